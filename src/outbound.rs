//! The one way the gateway builds an HTTP client for the outside services.
//!
//! reqwest is built without a default rustls crypto provider (see
//! Cargo.toml), so the process-wide ring provider is installed here before
//! any client exists; every client carries the same User-Agent and timeout.

use std::time::Duration;

/// `kintone-line-gateway/<version>`, sent with every outbound request.
pub const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// rustls needs one process-wide crypto provider; ours is ring (see Cargo.toml).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client whose every request ends within `timeout`.
///
/// # Errors
/// The TLS backend could not be initialised.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(USER_AGENT)
        .build()
}

/// A request that got no answer, in plain words: what an admin reads in
/// `doctor` and `status` ("connection refused", "timed out" …), never a
/// library's wording or the URL.
pub fn failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut words = Vec::new();
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused => return "connection refused".into(),
                K::ConnectionReset | K::ConnectionAborted => {
                    return "connection closed by the other side".into()
                }
                K::TimedOut => return "timed out".into(),
                _ => {}
            }
        }
        words.push(c.to_string().to_lowercase());
        cause = c.source();
    }
    let text = words.join(": ");
    if text.contains("dns error") || text.contains("failed to lookup address") {
        "the name does not resolve (DNS)".into()
    } else if text.contains("certificate") || text.contains("tls") {
        "the TLS handshake failed (certificate or proxy)".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        "the connection broke before an answer".into()
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_refused_connection_is_said_so() {
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let http = super::client(std::time::Duration::from_secs(5)).expect("client");
        let err = http
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .expect_err("nothing listens");
        assert_eq!(super::failure(&err), "connection refused");
    }
}

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

//! The gateway's own TLS (`server.tls_cert` / `tls_key`): a renewed
//! certificate, written over the old files and reloaded, is what the next
//! connection gets; a connection opened before keeps working.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::world::{World, COMMENT_ACK};

const CERT_A: &str = include_str!("../data/tls-a.pem");
const KEY_A: &str = include_str!("../data/tls-a.key");
const CERT_B: &str = include_str!("../data/tls-b.pem");
const KEY_B: &str = include_str!("../data/tls-b.key");

/// A TLS connection to `addr` that trusts only `cert`; `None` when the
/// server presents another certificate.
async fn connect(addr: SocketAddr, cert: &str) -> Option<TlsStream<tokio::net::TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(cert.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| eprintln!("TLS connection refused: {e}"))
        .ok()
}

/// `GET /healthz` on an open connection (keep-alive); the status code.
async fn healthz(stream: &mut TlsStream<tokio::net::TcpStream>) -> u16 {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The files the site writes (again) with its config.
fn pair(cert: &str, key: &str) -> Vec<(String, String)> {
    vec![
        ("tls.pem".into(), cert.into()),
        ("tls.key".into(), key.into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_served_to_new_connections_after_a_reload() {
    let mut w = World::start_tuned(
        |s| {
            s.server = "tls_cert = \"tls.pem\"\ntls_key = \"tls.key\"".into();
            s.secrets = pair(CERT_A, KEY_A);
        },
        COMMENT_ACK,
        "",
        |_| {},
    )
    .await;
    let addr = w.gateway().addr();
    let mut before = connect(addr, CERT_A).await.expect("certificate A at start");
    assert_eq!(healthz(&mut before).await, 200);
    assert!(connect(addr, CERT_B).await.is_none(), "B is not served yet");

    // The renewal writes the new pair over the old files.
    w.site.secrets = pair(CERT_B, KEY_B);
    let done = w.gateway().reload(&w.config_path()).expect("reload");
    assert!(
        done.live.iter().any(|k| k.starts_with("server.tls")),
        "{done:?}"
    );
    let mut after = connect(addr, CERT_B)
        .await
        .expect("certificate B after the reload");
    assert_eq!(healthz(&mut after).await, 200);
    assert!(
        connect(addr, CERT_A).await.is_none(),
        "A is no longer served"
    );
    assert_eq!(
        healthz(&mut before).await,
        200,
        "the open connection keeps working"
    );

    // A broken key: the reload is refused and B stays.
    w.site.secrets = pair(CERT_B, "not a key");
    assert!(w.gateway().reload(&w.config_path()).is_err());
    assert!(connect(addr, CERT_B).await.is_some(), "B is still served");
}

/// With `[server]` TLS the page is served over TLS with the same
/// certificate, and its cookies are `Secure`.
#[tokio::test]
async fn the_page_uses_the_servers_certificate_and_secure_cookies() {
    let hash = kintone_line_gateway::ui::hash_password(crate::ui::PASSWORD).unwrap();
    let w = World::start_tuned(
        |s| {
            s.server = "tls_cert = \"tls.pem\"\ntls_key = \"tls.key\"".into();
            s.secrets = pair(CERT_A, KEY_A);
            s.secrets.push(("ui-password".into(), hash));
        },
        COMMENT_ACK,
        "[ui]\nlisten = \"127.0.0.1:0\"\npassword = { file = \"ui-password\" }\n",
        |_| {},
    )
    .await;
    let addr = w.gateway().ui_addr().expect("the page");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(CERT_A.as_bytes()).unwrap())
        .unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let resp = http
        .get(format!("https://localhost:{}/ui/login", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("; HttpOnly; SameSite=Strict") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    let plain = reqwest::get(format!("http://{addr}/ui/login")).await;
    assert!(
        plain.is_err() || plain.unwrap().status() != 200,
        "no plain HTTP page beside TLS"
    );
}

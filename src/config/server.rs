//! The `[server]` section: where the webhook listens, TLS files, the relay token.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use toml::Table;

use super::reader::Reader;
use super::section_words;
use super::words;
use crate::secret::Rotation;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub tls: Option<TlsFiles>,
    /// When set, requests must carry `x-relay-token` with this value (either
    /// of `[new, old]` during a rotation).
    pub relay_token: Option<Rotation>,
    /// Slow clients are cut off after this long reading a request.
    pub read_timeout: Duration,
    /// Connections served at once (`server.max_connections`); more wait in the kernel's queue.
    pub max_connections: usize,
    /// Request bodies read at once (`server.max_body_reads`); more wait briefly, then 503.
    pub max_body_reads: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub(super) fn read_server(r: &mut Reader, t: &Table) -> Option<ServerConfig> {
    r.unknown_keys(
        t,
        "server",
        &[
            "listen",
            "tls_cert",
            "tls_key",
            "relay_token",
            "read_timeout",
            "max_connections",
            "max_body_reads",
        ],
    );
    let listen = r
        .opt_str(t, "server", "listen")
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen = match listen.parse::<SocketAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            let value = format!("{listen:?}");
            let args = [("value", value.as_str()), ("example", "0.0.0.0:8080")];
            r.said("server.listen", &words::NOT_ADDRESS, &args);
            None
        }
    };
    let tls = read_tls(r, t);
    let relay_token = r.rotation(t, "server", "relay_token", false);
    let read_timeout = r
        .opt_duration(t, "server", "read_timeout")
        .unwrap_or(Duration::from_secs(10));
    let max_connections = cap(r, t, "max_connections", 256);
    let max_body_reads = cap(r, t, "max_body_reads", 16);
    Some(ServerConfig {
        listen: listen?,
        tls,
        relay_token,
        read_timeout,
        max_connections,
        max_body_reads,
    })
}

/// A positive count under `[server]`, or its default.
fn cap(r: &mut Reader, t: &Table, key: &str, default: usize) -> usize {
    match r.opt_int(t, "server", key).map(usize::try_from) {
        None => default,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            r.said(
                format!("server.{key}"),
                &section_words::WHOLE_ABOVE_ZERO,
                &[],
            );
            default
        }
    }
}

/// Both files or neither; each must exist.
fn read_tls(r: &mut Reader, t: &Table) -> Option<TlsFiles> {
    let cert = r
        .opt_str(t, "server", "tls_cert")
        .map(|p| r.base_dir.join(p));
    let key = r
        .opt_str(t, "server", "tls_key")
        .map(|p| r.base_dir.join(p));
    match (cert, key) {
        (Some(cert), Some(key)) => {
            for (k, p) in [("server.tls_cert", &cert), ("server.tls_key", &key)] {
                if !p.is_file() {
                    let path = p.display().to_string();
                    r.said(k, &section_words::NO_FILE, &[("path", &path)]);
                }
            }
            Some(TlsFiles { cert, key })
        }
        (None, None) => None,
        _ => {
            r.said("server", &section_words::TLS_PAIR, &[]);
            None
        }
    }
}

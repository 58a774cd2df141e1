//! Configuration: one TOML file, parsed and validated whole before anything
//! binds. Every problem is reported with its key; the CLI exits 64 on any so
//! systemd's `RestartPreventExitStatus=64` stops a crash loop.
//!
//! Secrets are never inline: each is `{ file = "…" }` or `{ credential = "…" }`
//! (read from `$CREDENTIALS_DIRECTORY`), loaded here and held as [`Secret`].

mod apps;
pub mod indicator;
pub mod notify;
pub mod reader;
pub mod rules;
pub mod setup;
pub mod template;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Table;

pub use apps::{AckMethod, AckSettings, AppConfig, ACK_PLACEHOLDERS};
use reader::{Problem, Reader};

use crate::domain::SiteKey;
use crate::secret::Secret;

/// Default for the LINE API.
pub const DEFAULT_LINE_API: &str = "https://api.line.me";
/// Default state directory (systemd's `StateDirectory=` sets `$STATE_DIRECTORY`).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/kintone-line-gateway";

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub state_dir: PathBuf,
    /// This office's key in postback data (the relay routes on it).
    pub site: SiteKey,
    pub server: ServerConfig,
    pub line: LineConfig,
    pub kintone: KintoneConfig,
    /// Sections owned by other modules, validated by them (`rules`, `indicator`, `notify`).
    pub rest: Table,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub tls: Option<TlsFiles>,
    /// When set, requests must carry `x-relay-token` with this value.
    pub relay_token: Option<Secret>,
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

/// How to get a channel access token.
#[derive(Debug, Clone)]
pub enum TokenConfig {
    /// A long-lived token issued in the LINE console.
    LongLived(Secret),
    /// Stateless 15-minute tokens issued with the channel ID and secret.
    Stateless { channel_id: String },
}

/// What to do when the reply deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Log and count only (free).
    None,
    /// A paid push to the same user.
    Push,
}

#[derive(Debug, Clone)]
pub struct LineConfig {
    pub api_base: String,
    pub channel_secret: Secret,
    pub token: TokenConfig,
    pub reply_deadline: Duration,
    pub deadline_fallback: Fallback,
    /// After an early "Received — recording…" Reply, also confirm a
    /// success by a (paid) push. Refusals and failures are always told.
    pub confirm_late_success: bool,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct KintoneConfig {
    pub base_url: String,
    pub guest_space: Option<u32>,
    pub timeout: Duration,
    pub apps: Vec<AppConfig>,
}

/// Why the config was refused: every problem found.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in {}:\n{}", .problems.len(), .path.display(), list(.problems))]
pub struct ConfigErrors {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Config {
    /// Reads and validates the file at `path`; secrets are loaded and checked.
    ///
    /// # Errors
    /// [`ConfigErrors`] listing every problem with its key.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
            path: path.to_owned(),
            problems: vec![Problem {
                key: String::new(),
                message: format!("cannot read config file: {e}"),
            }],
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base, path).map_err(|problems| ConfigErrors {
            path: path.to_owned(),
            problems,
        })
    }

    /// Parses config text; relative secret paths resolve against `base_dir`.
    ///
    /// # Errors
    /// Every problem found.
    pub fn parse(text: &str, base_dir: &Path, path: &Path) -> Result<Config, Vec<Problem>> {
        let table: Table = text.parse().map_err(|e: toml::de::Error| {
            vec![Problem {
                key: String::new(),
                message: format!("{} is not valid TOML: {}", path.display(), e.message()),
            }]
        })?;
        let creds = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
        let mut r = Reader::new(base_dir, creds);
        let config = read(&mut r, &table);
        match config {
            Some(c) if r.problems.is_empty() => Ok(c),
            _ => Err(r.problems),
        }
    }

    /// The app with this id, if configured.
    pub fn app(&self, id: crate::domain::AppId) -> Option<&AppConfig> {
        self.kintone.apps.iter().find(|a| a.id == id)
    }
}

/// Reads only `state_dir` (for store-only commands such as `staff` and
/// `acks`, which run in an admin's shell without the service's credentials).
///
/// # Errors
/// [`ConfigErrors`] when the file cannot be read or is not TOML.
pub fn state_dir_of(path: &Path) -> Result<PathBuf, ConfigErrors> {
    let fail = |message: String| ConfigErrors {
        path: path.to_owned(),
        problems: vec![Problem {
            key: String::new(),
            message,
        }],
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read config file: {e}")))?;
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| fail(format!("not valid TOML: {}", e.message())))?;
    Ok(table
        .get("state_dir")
        .and_then(toml::Value::as_str)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("STATE_DIRECTORY").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR)))
}

const TOP_KEYS: &[&str] = &[
    "state_dir",
    "site",
    "server",
    "line",
    "kintone",
    "rules",
    "indicator",
    "notify",
];

fn read(r: &mut Reader, t: &Table) -> Option<Config> {
    r.unknown_keys(t, "", TOP_KEYS);
    let state_dir = r
        .opt_str(t, "", "state_dir")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("STATE_DIRECTORY").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
    let site = r.opt_str(t, "", "site").unwrap_or_default();
    let site = SiteKey::parse(&site)
        .map_err(|e| r.problem("site", e.reason))
        .ok();
    let empty = Table::new();
    let server_table = r.opt_table(t, "", "server").unwrap_or(&empty);
    let server = read_server(r, server_table);
    let line = match r.opt_table(t, "", "line") {
        Some(l) => read_line(r, l),
        None => {
            r.problem("line", "missing section [line]");
            None
        }
    };
    let kintone = match r.opt_table(t, "", "kintone") {
        Some(k) => read_kintone(r, k),
        None => {
            r.problem("kintone", "missing section [kintone]");
            None
        }
    };
    let mut rest = Table::new();
    for key in ["rules", "indicator", "notify"] {
        if let Some(v) = t.get(key) {
            rest.insert(key.to_owned(), v.clone());
        }
    }
    Some(Config {
        state_dir,
        site: site?,
        server: server?,
        line: line?,
        kintone: kintone?,
        rest,
    })
}

fn read_server(r: &mut Reader, t: &Table) -> Option<ServerConfig> {
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
            r.problem(
                "server.listen",
                format!("{listen:?} is not an address like 0.0.0.0:8080"),
            );
            None
        }
    };
    let cert = r
        .opt_str(t, "server", "tls_cert")
        .map(|p| r.base_dir.join(p));
    let key = r
        .opt_str(t, "server", "tls_key")
        .map(|p| r.base_dir.join(p));
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => {
            for (k, p) in [("server.tls_cert", &cert), ("server.tls_key", &key)] {
                if !p.is_file() {
                    r.problem(k, format!("{} does not exist", p.display()));
                }
            }
            Some(TlsFiles { cert, key })
        }
        (None, None) => None,
        _ => {
            r.problem("server", "set both tls_cert and tls_key, or neither");
            None
        }
    };
    let relay_token = r.secret(t, "server", "relay_token", false);
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
            r.problem(format!("server.{key}"), "must be a whole number above 0");
            default
        }
    }
}

fn read_line(r: &mut Reader, t: &Table) -> Option<LineConfig> {
    let p = "line";
    r.unknown_keys(
        t,
        p,
        &[
            "api_base",
            "channel_secret",
            "access_token",
            "channel_id",
            "reply_deadline",
            "deadline_fallback",
            "confirm_late_success",
            "timeout",
        ],
    );
    let api_base = r
        .opt_str(t, p, "api_base")
        .unwrap_or_else(|| DEFAULT_LINE_API.into());
    check_base_url(r, "line.api_base", &api_base);
    let channel_secret = r.secret(t, p, "channel_secret", true);
    let token = match (
        t.contains_key("access_token"),
        r.opt_str(t, p, "channel_id"),
    ) {
        (true, None) => r
            .secret(t, p, "access_token", true)
            .map(TokenConfig::LongLived),
        (false, Some(id)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            Some(TokenConfig::Stateless { channel_id: id })
        }
        (false, Some(_)) => {
            r.problem("line.channel_id", "must be the numeric channel ID");
            None
        }
        (true, Some(_)) => {
            r.problem(
                "line",
                "set access_token (long-lived) or channel_id (stateless tokens), not both",
            );
            None
        }
        (false, None) => {
            r.problem(
                "line.access_token",
                "missing: set access_token, or channel_id for stateless tokens",
            );
            None
        }
    };
    let reply_deadline = r
        .opt_duration(t, p, "reply_deadline")
        .unwrap_or(Duration::from_secs(30));
    if reply_deadline.is_zero() || reply_deadline > Duration::from_secs(60) {
        r.problem(
            "line.reply_deadline",
            "must be between 1s and 60s (LINE documents 1 minute)",
        );
    }
    let deadline_fallback = match r.opt_str(t, p, "deadline_fallback").as_deref() {
        None | Some("none") => Fallback::None,
        Some("push") => Fallback::Push,
        Some(other) => {
            r.problem(
                "line.deadline_fallback",
                format!("{other:?}: use \"none\" or \"push\""),
            );
            Fallback::None
        }
    };
    let confirm_late_success = r.opt_bool(t, p, "confirm_late_success").unwrap_or(false);
    let timeout = r
        .opt_duration(t, p, "timeout")
        .unwrap_or(Duration::from_secs(10));
    Some(LineConfig {
        api_base: api_base.trim_end_matches('/').to_owned(),
        channel_secret: channel_secret?,
        token: token?,
        reply_deadline,
        deadline_fallback,
        confirm_late_success,
        timeout,
    })
}

fn read_kintone(r: &mut Reader, t: &Table) -> Option<KintoneConfig> {
    let p = "kintone";
    r.unknown_keys(t, p, &["base_url", "guest_space", "timeout", "apps"]);
    let base_url = r.str(t, p, "base_url").unwrap_or_default();
    check_base_url(r, "kintone.base_url", &base_url);
    let guest_space = r.opt_int(t, p, "guest_space").and_then(|g| {
        let ok = u32::try_from(g).ok().filter(|g| *g > 0);
        if ok.is_none() {
            r.problem("kintone.guest_space", "must be a positive space id");
        }
        ok
    });
    let timeout = r
        .opt_duration(t, p, "timeout")
        .unwrap_or(Duration::from_secs(10));
    let tables = r.tables(t, p, "apps");
    if tables.is_empty() {
        r.problem("kintone.apps", "configure at least one [[kintone.apps]]");
    }
    let mut apps = Vec::new();
    for (i, app) in tables.into_iter().enumerate() {
        if let Some(a) = apps::read_app(r, app, &format!("kintone.apps[{i}]")) {
            if apps.iter().any(|x: &AppConfig| x.id == a.id) {
                r.problem(
                    format!("kintone.apps[{i}].id"),
                    format!("app {} is configured twice", a.id),
                );
            }
            apps.push(a);
        }
    }
    Some(KintoneConfig {
        base_url: base_url.trim_end_matches('/').to_owned(),
        guest_space,
        timeout,
        apps,
    })
}

fn check_base_url(r: &mut Reader, key: &str, url: &str) {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.contains(char::is_whitespace);
    if !ok && !url.is_empty() {
        r.problem(key, format!("{url:?} is not an http(s) URL"));
    }
}

#[cfg(test)]
mod tests;

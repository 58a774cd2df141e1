//! Configuration: one TOML file, parsed and validated whole before anything
//! binds. Every problem is reported with its key; the CLI exits 64 on any so
//! systemd's `RestartPreventExitStatus=64` stops a crash loop.
//!
//! Secrets are never inline: each is `{ file = "…" }` or `{ credential = "…" }`
//! (read from `$CREDENTIALS_DIRECTORY`), loaded here and held as [`Secret`].

mod ack;
mod apps;
pub mod changes;
pub mod document;
pub mod indicator;
pub mod ingress;
mod kintone;
mod line;
pub mod live;
pub mod notify;
pub mod notify_api;
pub mod quiet;
pub mod reader;
pub mod retention;
pub mod rules;
mod server;
pub mod setup;
pub mod template;
pub mod ui;
mod zone;

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use toml::Table;

pub use ack::{AckMethod, AckSettings, ACK_PLACEHOLDERS};
pub use apps::AppConfig;
pub use kintone::KintoneConfig;
pub use line::{Fallback, LineConfig, TokenConfig};
use reader::{Problem, Reader};
pub use server::{ServerConfig, TlsFiles};
pub use zone::INDICATOR_TIME_ZONE_DEPRECATED;

use crate::domain::SiteKey;
use crate::text::Language;

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
    /// What staff read in LINE and kintone.
    pub language: Language,
    /// The site's zone (`time_zone`, default the system's): every local time
    /// a person reads — templates, quiet hours, listings.
    pub time_zone: TimeZone,
    /// What `check-config` prints and the daemon logs at start: fine to run
    /// with, worth a look.
    pub warnings: Vec<String>,
    pub server: ServerConfig,
    pub line: LineConfig,
    pub kintone: KintoneConfig,
    /// `[retention]`: what the store keeps, and how old a LINE event may be.
    pub retention: retention::RetentionSettings,
    /// Sections owned by other modules, validated by them (`rules`, `indicator`, `notify`).
    pub rest: Table,
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

/// The config file's text, or the one problem saying why it cannot be read.
///
/// # Errors
/// [`ConfigErrors`] with that problem.
pub fn read_text(path: &Path) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path).map_err(|e| ConfigErrors {
        path: path.to_owned(),
        problems: vec![Problem::whole_file(format!("cannot read config file: {e}"))],
    })
}

impl Config {
    /// Parses and validates the core sections of config text (the whole
    /// file is [`Setup::parse`](setup::Setup::parse)); relative secret paths
    /// resolve against `base_dir`.
    ///
    /// # Errors
    /// Every problem found, placed and in the order of the file.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Config, Vec<Problem>> {
        let doc = document::Document::parse(text);
        let mut r = Reader::new(base_dir, credentials_dir());
        let config = read(&mut r, &doc.table);
        let mut problems = doc.syntax.clone();
        problems.append(&mut r.problems);
        doc.place(&mut problems);
        match config {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(problems),
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
        problems: vec![Problem::whole_file(message)],
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read config file: {e}")))?;
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| fail(format!("not valid TOML: {}", e.message())))?;
    Ok(table
        .get("state_dir")
        .and_then(toml::Value::as_str)
        .map_or_else(default_state_dir, PathBuf::from))
}

/// Reads only the site's zone (for the store-only listings, like
/// [`state_dir_of`]); warnings are `check-config`'s business.
///
/// # Errors
/// [`ConfigErrors`] when the file cannot be read, is not TOML, or names an
/// unknown zone.
pub fn time_zone_of(path: &Path) -> Result<TimeZone, ConfigErrors> {
    let fail = |problems: Vec<Problem>| ConfigErrors {
        path: path.to_owned(),
        problems,
    };
    let one = |message: String| fail(vec![Problem::whole_file(message)]);
    let text =
        std::fs::read_to_string(path).map_err(|e| one(format!("cannot read config file: {e}")))?;
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| one(format!("not valid TOML: {}", e.message())))?;
    let mut r = Reader::new(Path::new("."), None);
    let (zone, _) = zone::read_zone(&mut r, &table, Language::En);
    if r.problems.is_empty() {
        Ok(zone)
    } else {
        Err(fail(r.problems))
    }
}

/// The `language` of the config at `path`, for a command's answers; the
/// default (Japanese) when the file says nothing readable (its own problems
/// are reported by whatever reads it whole).
pub fn language_of(path: &Path) -> Language {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse::<Table>().ok())
        .and_then(|t| {
            t.get("language")?
                .as_str()
                .and_then(|s| Language::parse(s).ok())
        })
        .unwrap_or_default()
}

/// systemd's `$CREDENTIALS_DIRECTORY`, where `{ credential = … }` secrets are.
fn credentials_dir() -> Option<PathBuf> {
    std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from)
}

/// Where state goes when the config does not say: systemd's
/// `$STATE_DIRECTORY`, else [`DEFAULT_STATE_DIR`].
fn default_state_dir() -> PathBuf {
    std::env::var_os("STATE_DIRECTORY")
        .map_or_else(|| PathBuf::from(DEFAULT_STATE_DIR), PathBuf::from)
}

const TOP_KEYS: &[&str] = &[
    "state_dir",
    "site",
    "language",
    "time_zone",
    "server",
    "line",
    "kintone",
    "rules",
    "indicator",
    "notify",
    "notify_api",
    "ingress",
    "retention",
    "ui",
];

pub(crate) fn read(r: &mut Reader, t: &Table) -> Option<Config> {
    r.unknown_keys(t, "", TOP_KEYS);
    let state_dir = r
        .opt_str(t, "", "state_dir")
        .map_or_else(default_state_dir, PathBuf::from);
    let site = r.opt_str(t, "", "site").unwrap_or_default();
    let site = SiteKey::parse(&site)
        .map_err(|e| r.problem("site", e.reason))
        .ok();
    let language = r
        .opt_str(t, "", "language")
        .map_or(Ok(Language::default()), |s| Language::parse(&s))
        .map_err(|e| r.problem("language", e))
        .ok();
    r.language = language.unwrap_or_default();
    let (time_zone, warnings) = zone::read_zone(r, t, language.unwrap_or_default());
    let empty = Table::new();
    let server_table = r.opt_table(t, "", "server").unwrap_or(&empty);
    let server = server::read_server(r, server_table);
    let line = match r.opt_table(t, "", "line") {
        Some(l) => line::read_line(r, l),
        None => {
            r.problem("line", "missing section [line]");
            None
        }
    };
    let kintone = match r.opt_table(t, "", "kintone") {
        Some(k) => kintone::read_kintone(r, k),
        None => {
            r.problem("kintone", "missing section [kintone]");
            None
        }
    };
    let retention = retention::read_retention(r, t);
    let mut rest = Table::new();
    for key in ["rules", "indicator", "notify", "notify_api", "ingress"] {
        if let Some(v) = t.get(key) {
            rest.insert(key.to_owned(), v.clone());
        }
    }
    Some(Config {
        state_dir,
        site: site?,
        language: language?,
        time_zone,
        warnings,
        server: server?,
        line: line?,
        kintone: kintone?,
        retention,
        rest,
    })
}

/// A problem at `key` unless `url` is an http(s) URL (empty is reported by the caller).
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

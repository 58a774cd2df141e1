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
mod report;
pub mod retention;
pub mod rules;
mod section_words;
mod server;
pub mod setup;
pub mod template;
pub mod ui;
mod words;
mod zone;

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use toml::Table;

pub use ack::{AckMethod, AckSettings, ACK_PLACEHOLDERS};
pub use apps::AppConfig;
pub use kintone::KintoneConfig;
pub use line::{Fallback, LineConfig, TokenConfig};
use reader::{Problem, Reader};
pub use report::{report_settings, ReportSettings};
pub use server::{ServerConfig, TlsFiles};

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

/// Why the config was refused: every problem found, said in the config's
/// language.
#[derive(Debug, thiserror::Error)]
pub struct ConfigErrors {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
    /// What the file's `language` says (Japanese when it cannot be read).
    pub language: Language,
}

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, path) = (self.problems.len().to_string(), self.path.display());
        let path = path.to_string();
        let head = words::PROBLEMS_IN.fill(self.language, &[("n", &n), ("path", &path)]);
        f.write_str(&head)?;
        for p in &self.problems {
            write!(f, "\n  - {}", p.said(self.language))?;
        }
        Ok(())
    }
}

/// The config file's text, or the one problem saying why it cannot be read
/// (in Japanese, the default: no `language` could be read).
///
/// # Errors
/// [`ConfigErrors`] with that problem.
pub fn read_text(path: &Path) -> Result<String, ConfigErrors> {
    let language = Language::default();
    std::fs::read_to_string(path).map_err(|e| ConfigErrors {
        path: path.to_owned(),
        problems: vec![Problem::whole_file(
            words::CANNOT_READ.fill(language, &[("e", &e.to_string())]),
        )],
        language,
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

/// The `language` a file's table names, or the default (Japanese) when it
/// names none it knows: every answer about the file, its problems included,
/// is in it (a wrong `language` is itself reported, in Japanese).
pub fn language_in(table: &Table) -> Language {
    table
        .get("language")
        .and_then(toml::Value::as_str)
        .and_then(|s| Language::parse(s).ok())
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
    r.language = language_in(t);
    r.unknown_keys(t, "", TOP_KEYS);
    let state_dir = r
        .opt_str(t, "", "state_dir")
        .map_or_else(default_state_dir, PathBuf::from);
    let site = r.opt_str(t, "", "site").unwrap_or_default();
    let site = SiteKey::parse(&site)
        .map_err(|_| r.said("site", &section_words::SITE_KEY, &[]))
        .ok();
    let language = r
        .opt_str(t, "", "language")
        .map_or(Ok(Language::default()), |s| {
            Language::parse(&s).map_err(|_| format!("{s:?}"))
        })
        .map_err(|value| {
            let message = words::LANGUAGE.fill(r.language, &[("value", &value)]);
            r.problem("language", message);
        })
        .ok();
    let (time_zone, warnings) = zone::read_zone(r, t, language.unwrap_or_default());
    let empty = Table::new();
    let server_table = r.opt_table(t, "", "server").unwrap_or(&empty);
    let server = server::read_server(r, server_table);
    let line = match r.opt_table(t, "", "line") {
        Some(l) => line::read_line(r, l),
        None => {
            let message = words::MISSING_SECTION.fill(r.language, &[("section", "line")]);
            r.problem("line", message);
            None
        }
    };
    let kintone = match r.opt_table(t, "", "kintone") {
        Some(k) => kintone::read_kintone(r, k),
        None => {
            let message = words::MISSING_SECTION.fill(r.language, &[("section", "kintone")]);
            r.problem("kintone", message);
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
        let value = format!("{url:?}");
        let message = words::NOT_URL.fill(r.language, &[("value", &value)]);
        r.problem(key, message);
    }
}

#[cfg(test)]
mod tests;

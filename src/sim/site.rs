//! A gateway site wired to the fakes: secret files (mode 0600) and a config
//! file in a directory, ready for `Setup::load` or `run --config`.
//!
//! The demo, the tests and the benchmark all start the gateway this way, so
//! they differ only in the app and rule settings they add.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::kintone::{APP, ENGLISH};
use crate::text::Language;

/// The API token the fake kintone app is started with by sites built here.
pub const APP_TOKEN: &str = "fake-kintone-app-token";
/// The access token the gateway presents to the fake LINE.
pub const ACCESS_TOKEN: &str = "fake-line-access-token";
/// The relay's shared header token (`x-relay-token`), written for every site
/// and required only when `server` names it.
pub const RELAY_TOKEN: &str = "fake-relay-token-0123456789abcdef";
/// A `[notify_api]` bearer token, written for every site as `notify-token`
/// and used only when the config names it.
pub const NOTIFY_TOKEN: &str = "fake-notify-token-0123456789abcdefghij";
/// The kintone webhook path token of sites built here (≥ 24 characters).
pub const HOOK_TOKEN: &str = "fake-hook-token-abcdefghijklmnopqrstuvwxyz";

/// What varies between sites.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// Top-level lines (e.g. `language = "en"`, `time_zone = "Asia/Tokyo"`).
    pub top: String,
    /// The gateway's listen address (`None`: port 0, for in-process use).
    pub listen: Option<std::net::SocketAddr>,
    /// Lines added to `[server]` (e.g. `relay_token = { file = "relay-token" }`).
    pub server: String,
    /// Base URL of the (fake) LINE API.
    pub line: String,
    /// The channel secret the fake LINE signs with.
    pub channel_secret: String,
    /// During a rotation, the old channel secret: the config then lists
    /// `[new, old]` (`channel-secret`, `channel-secret-old`).
    pub previous_channel_secret: Option<String>,
    /// Lines added to `[line]` (e.g. `reply_deadline = "6s"`).
    pub line_settings: String,
    /// Base URL of the (fake) kintone domain.
    pub kintone: String,
    /// Lines added to the `[[kintone.apps]]` table of app 1 (may open
    /// `[kintone.apps.ack]` last).
    pub app: String,
    /// TOML appended at the end: `[[rules]]`, `[notify]`, `[indicator]`…
    pub tail: String,
    /// `[kintone] timeout` in seconds (`None`: 2 s, so tests of a slow
    /// kintone end quickly).
    pub kintone_timeout: Option<u64>,
    /// The top-level `language` (the gateway's default, `ja`, unless set).
    pub language: Language,
    /// App 1's name and `title_field`, as the fake kintone's form has them
    /// (`None`: the English app's).
    pub app_name: Option<String>,
    pub title_field: Option<String>,
    /// The gateway's `site` key (empty: the default site).
    pub key: String,
    /// More secret files (name, value), written beside the others with mode
    /// 0600 (e.g. an old token a rotation still lists).
    pub secrets: Vec<(String, String)>,
}

impl Site {
    /// A site in front of these fakes, with `app` lines for app 1 and a
    /// `tail` (rules, `[notify]`, `[indicator]`…).
    pub fn for_fakes(
        line: &super::line::FakeLine,
        kintone: &super::kintone::FakeKintone,
        app: &str,
        tail: &str,
    ) -> Site {
        Site {
            top: String::new(),
            server: String::new(),
            listen: None,
            line: line.server.base_url(),
            channel_secret: super::line::DEFAULT_SECRET.to_owned(),
            previous_channel_secret: None,
            line_settings: String::new(),
            kintone: kintone.server.base_url(),
            app: app.to_owned(),
            tail: tail.to_owned(),
            kintone_timeout: None,
            language: Language::default(),
            app_name: Some(kintone.form().app_name.to_owned()),
            title_field: Some(kintone.form().title.to_owned()),
            key: String::new(),
            secrets: Vec::new(),
        }
    }

    /// Writes the secret files and `config.toml` into `dir` (state in
    /// `dir/state`) and returns the config's path.
    ///
    /// # Errors
    /// A file cannot be written.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        for (name, value) in [
            ("channel-secret", self.channel_secret.as_str()),
            ("access-token", ACCESS_TOKEN),
            ("app-token", APP_TOKEN),
            ("hook-token", HOOK_TOKEN),
            ("relay-token", RELAY_TOKEN),
            ("notify-token", NOTIFY_TOKEN),
            (
                "channel-secret-old",
                self.previous_channel_secret.as_deref().unwrap_or_default(),
            ),
        ]
        .into_iter()
        .chain(self.secrets.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        {
            let path = dir.join(name);
            std::fs::write(&path, value)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        let config = format!(
            r#"site = "{key}"
state_dir = "{state}"
language = "{language}"
{top}

[server]
listen = "{listen}"
read_timeout = "2s"
{server}

[line]
api_base = "{line}"
channel_secret = {channel_secret}
access_token = {{ file = "access-token" }}
timeout = "2s"
{line_settings}

[kintone]
base_url = "{kintone}"
timeout = "{kintone_timeout}s"

[[kintone.apps]]
id = {APP}
name = "{app_name}"
api_token = {{ file = "app-token" }}
title_field = "{title_field}"
{app}
{tail}
"#,
            key = self.key,
            state = dir.join("state").display(),
            top = self.top,
            listen = self
                .listen
                .map_or_else(|| "127.0.0.1:0".to_owned(), |a| a.to_string()),
            server = self.server,
            line = self.line,
            line_settings = self.line_settings,
            channel_secret = if self.previous_channel_secret.is_some() {
                r#"[{ file = "channel-secret" }, { file = "channel-secret-old" }]"#
            } else {
                r#"{ file = "channel-secret" }"#
            },
            kintone = self.kintone,
            kintone_timeout = self.kintone_timeout.unwrap_or(2),
            language = self.language.code(),
            app_name = self.app_name.as_deref().unwrap_or(ENGLISH.app_name),
            title_field = self.title_field.as_deref().unwrap_or(ENGLISH.title),
            app = self.app,
            tail = self.tail,
        );
        let path = dir.join("config.toml");
        std::fs::write(&path, config)?;
        Ok(path)
    }
}

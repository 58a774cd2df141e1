//! `[ui]`: the board's web page (`src/ui/`) — where it listens and its
//! password. No `[ui]` section: no page. On this machine only (a loopback
//! address) the page may be open without a password; on any other address
//! (`0.0.0.0:8081` for the office LAN) a password is required. The password
//! is a secret like the others (`{ file = … }` or `{ credential = … }`)
//! holding an argon2 PHC hash, which `kintone-line-gateway ui-password`
//! writes; the plain password is never stored.

use std::net::SocketAddr;
use std::time::Duration;

use toml::Table;

use super::reader::Reader;
use super::section_words;
use super::words;
use crate::secret::Secret;

/// Where the page listens when `[ui] listen` is not given.
pub const DEFAULT_UI_LISTEN: &str = "127.0.0.1:8081";

/// `[ui]` settings.
#[derive(Debug, Clone)]
pub struct UiConfig {
    /// `false` without a `[ui]` section or with `enabled = false`.
    pub enabled: bool,
    pub listen: SocketAddr,
    /// The argon2 PHC hash of the page's password; `None`: open (loopback only).
    pub password: Option<Secret>,
    /// Wrong passwords in a row from one address before it is locked out.
    pub lockout_after: u32,
    /// How long a locked-out address waits.
    pub lockout_for: Duration,
    /// A session unused this long ends.
    pub session_idle: Duration,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            enabled: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            password: None,
            lockout_after: 5,
            lockout_for: Duration::from_secs(300),
            session_idle: Duration::from_secs(12 * 3600),
        }
    }
}

const KEYS: &[&str] = &[
    "enabled",
    "listen",
    "password",
    "lockout_after",
    "lockout_for",
    "session_idle",
];

pub(super) fn read_ui(r: &mut Reader, rest: &Table) -> UiConfig {
    let Some(t) = r.opt_table(rest, "", "ui") else {
        return UiConfig::default();
    };
    r.unknown_keys(t, "ui", KEYS);
    let mut ui = UiConfig {
        enabled: r.opt_bool(t, "ui", "enabled").unwrap_or(true),
        ..UiConfig::default()
    };
    if let Some(listen) = r.opt_str(t, "ui", "listen") {
        match listen.parse::<SocketAddr>() {
            Ok(a) => ui.listen = a,
            Err(_) => {
                let value = format!("{listen:?}");
                let example = format!("{DEFAULT_UI_LISTEN}, 0.0.0.0:8081");
                let args = [("value", value.as_str()), ("example", &example)];
                r.said("ui.listen", &words::NOT_ADDRESS, &args);
            }
        }
    }
    ui.password = r.secret(t, "ui", "password", false).and_then(|s| {
        let hash = s.expose().trim();
        if argon2::PasswordHash::new(hash).is_ok() {
            Some(Secret::new(hash))
        } else {
            r.said("ui.password", &section_words::NOT_A_HASH, &[]);
            None
        }
    });
    read_limits(r, t, &mut ui);
    if ui.enabled
        && ui.password.is_none()
        && !ui.listen.ip().is_loopback()
        && t.get("password").is_none()
    {
        let listen = ui.listen.to_string();
        r.said(
            "ui.password",
            &section_words::PASSWORD_NEEDED,
            &[("listen", &listen)],
        );
    }
    ui
}

fn read_limits(r: &mut Reader, t: &Table, ui: &mut UiConfig) {
    if let Some(n) = r.opt_int(t, "ui", "lockout_after") {
        match u32::try_from(n) {
            Ok(n) if n > 0 => ui.lockout_after = n,
            _ => r.said("ui.lockout_after", &section_words::ATTEMPTS, &[]),
        }
    }
    if let Some(d) = r.opt_duration(t, "ui", "lockout_for") {
        ui.lockout_for = d;
    }
    if let Some(d) = r.opt_duration(t, "ui", "session_idle") {
        if d < Duration::from_secs(60) {
            r.said("ui.session_idle", &words::AT_LEAST, &[("min", "60s")]);
        } else {
            ui.session_idle = d;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn ui(text: &str) -> (UiConfig, Vec<String>) {
        let rest: Table = toml::from_str(text).expect("toml");
        let mut r = Reader::new(Path::new("."), None);
        let ui = read_ui(&mut r, &rest);
        (ui, r.problems.iter().map(|p| p.key.clone()).collect())
    }

    #[test]
    fn no_section_no_page_and_a_section_listens_on_this_machine() {
        let (none, problems) = ui("");
        assert!(!none.enabled && problems.is_empty());
        let (on, problems) = ui("[ui]\n");
        assert!(on.enabled && problems.is_empty(), "{problems:?}");
        assert_eq!(on.listen.to_string(), DEFAULT_UI_LISTEN);
    }

    #[test]
    fn beyond_this_machine_a_password_is_required() {
        let (_, problems) = ui("[ui]\nlisten = \"0.0.0.0:8081\"\n");
        assert_eq!(problems, ["ui.password"]);
        let (_, problems) = ui("[ui]\nenabled = false\nlisten = \"0.0.0.0:8081\"\n");
        assert!(problems.is_empty());
        let (_, problems) = ui("[ui]\nlisten = \"nowhere\"\nlockout_after = 0\n");
        assert_eq!(problems, ["ui.listen", "ui.lockout_after"]);
    }
}

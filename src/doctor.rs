//! `kintone-line-gateway doctor`: checks, from the board, everything the
//! gateway needs from the world — each a pass/fail line that says what to do.
//!
//! - the config and its secrets load (files owner-only);
//! - the state directory takes a durable write;
//! - the LINE channel access token works (`GET /v2/bot/info`);
//! - every kintone app answers with its token, and the field codes the config
//!   names exist in its form;
//! - the GPIO lines exist on this board;
//! - the clock agrees with LINE's and kintone's (reply deadlines count from
//!   LINE's timestamps).
//!
//! Run it the way the service runs (same user, same credentials):
//! `sudo systemd-run --pty --wait --collect -p User=kintone-line-gateway
//! -p SupplementaryGroups=gpio -p LoadCredential=klg:/etc/kintone-line-gateway/credentials
//! kintone-line-gateway doctor`.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::config::rules::{Recipient, Rule};
use crate::config::setup::Setup;
use crate::config::{AckMethod, AppConfig, Config};

/// Largest clock difference to LINE or kintone that still passes.
pub const MAX_SKEW: Duration = Duration::from_secs(5);

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    /// What was found (pass) or what is wrong and what to do (fail).
    pub detail: String,
}

impl Check {
    fn pass(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            ok: true,
            detail: detail.into(),
        }
    }
    fn fail(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "[{mark}] {}: {}", self.name, self.detail)
    }
}

/// Runs every check on a loaded setup; the lines are printed as they come.
pub async fn run(setup: &Setup, out: &mut dyn std::io::Write) -> Vec<Check> {
    let c = &setup.config;
    let mut checks = Vec::new();
    let mut note = |check: Check, checks: &mut Vec<Check>| {
        let _ = writeln!(out, "{check}");
        checks.push(check);
    };
    note(
        Check::pass(
            "config",
            format!(
                "{} app(s), {} rule(s); every secret loaded from an owner-only file",
                c.kintone.apps.len(),
                setup.rules.len()
            ),
        ),
        &mut checks,
    );
    note(state_dir(&c.state_dir), &mut checks);
    let mut dates = Vec::new();
    note(line(c, &mut dates).await, &mut checks);
    for app in &c.kintone.apps {
        note(kintone(c, app, &setup.rules, &mut dates).await, &mut checks);
    }
    #[cfg(feature = "pubsub")]
    if let Some(p) = &setup.ingress.pubsub {
        let check = match crate::pull::check(p).await {
            Ok(found) => Check::pass("pubsub", found),
            Err(why) => Check::fail("pubsub", why),
        };
        note(check, &mut checks);
    }
    note(gpio(setup), &mut checks);
    note(clock(&dates, jiff::Timestamp::now()), &mut checks);
    checks
}

/// A durable write in the state directory (created if missing, as the
/// daemon would).
fn state_dir(dir: &Path) -> Check {
    let name = "state directory";
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    let result = std::fs::create_dir_all(dir).and_then(|()| {
        let mut f = std::fs::File::create(&probe)?;
        f.write_all(b"doctor")?;
        f.sync_all()?;
        std::fs::remove_file(&probe)
    });
    match result {
        Ok(()) => Check::pass(name, format!("{}: writable", dir.display())),
        Err(e) => Check::fail(
            name,
            format!(
                "{}: {e} — it must be writable by the service's user (systemd's StateDirectory= creates it; check owner and mode)",
                dir.display()
            ),
        ),
    }
}

/// The channel access token works: `GET /v2/bot/info`.
async fn line(c: &Config, dates: &mut Vec<(&'static str, jiff::Timestamp)>) -> Check {
    let name = "LINE";
    let client = match crate::daemon::line_client(c) {
        Ok(client) => client,
        Err(e) => return Check::fail(name, format!("cannot build the client: {e:#}")),
    };
    if let Some(t) = server_date(&c.line.api_base, c.line.timeout).await {
        dates.push(("LINE", t));
    }
    match client.bot_info().await {
        Ok(info) => {
            let text = |k: &str| info.get(k).and_then(|v| v.as_str()).unwrap_or("?");
            Check::pass(
                name,
                format!(
                    "token accepted by {} — bot {:?} ({})",
                    c.line.api_base,
                    text("displayName"),
                    text("basicId")
                ),
            )
        }
        Err(e) => Check::fail(
            name,
            format!(
                "GET /v2/bot/info at {}: {e} — check the channel access token (or channel ID and secret) in the LINE Developers console, and that {} is reachable",
                c.line.api_base, c.line.api_base
            ),
        ),
    }
}

/// The app answers with its token, and every field code the config names is
/// in its form.
async fn kintone(
    c: &Config,
    app: &AppConfig,
    rules: &[Rule],
    dates: &mut Vec<(&'static str, jiff::Timestamp)>,
) -> Check {
    let name = format!("kintone app {} {:?}", app.id, app.name);
    let client = match crate::daemon::kintone_client(c) {
        Ok(client) => client,
        Err(e) => return Check::fail(name, format!("cannot build the client: {e:#}")),
    };
    if dates.iter().all(|(who, _)| *who != "kintone") {
        if let Some(t) = server_date(&c.kintone.base_url, c.kintone.timeout).await {
            dates.push(("kintone", t));
        }
    }
    let fields = match client.form_fields(&app.auth).await {
        Ok(f) => f,
        Err(e) => {
            return Check::fail(
                name,
                format!(
                    "{e} — check the app's API token (kintone: app settings → API token; it needs View records, plus Edit records or Add comments for the write-back) and the base URL {}",
                    c.kintone.base_url
                ),
            )
        }
    };
    let have: BTreeSet<&str> = fields.iter().map(|f| f.code.as_str()).collect();
    let missing: Vec<String> = named_fields(app, rules)
        .into_iter()
        .filter(|(code, _)| !have.contains(code.as_str()))
        .map(|(code, why)| format!("{code} ({why})"))
        .collect();
    if missing.is_empty() {
        Check::pass(
            name,
            format!(
                "token accepted; {} form fields, every field the config names is there",
                fields.len()
            ),
        )
    } else {
        Check::fail(
            name,
            format!(
                "token accepted, but the form has no field {} — field codes are case-sensitive (kintone: app settings → form → field settings → field code)",
                missing.join(", ")
            ),
        )
    }
}

/// Field codes the config relies on for `app`, with where they come from.
fn named_fields(app: &AppConfig, rules: &[Rule]) -> Vec<(String, String)> {
    let mut named = Vec::new();
    if let Some(t) = &app.title_field {
        named.push((t.clone(), "title_field".to_owned()));
    }
    if let AckMethod::Fields(fields) = &app.ack.method {
        for (code, _) in fields {
            named.push((code.clone(), "ack.fields".to_owned()));
        }
    }
    for r in rules.iter().filter(|r| r.app == app.id) {
        let rule = format!("rule {:?}", r.name);
        named.push((r.field.clone(), format!("{rule} field")));
        for s in &r.show {
            named.push((s.clone(), format!("{rule} show")));
        }
        for rec in &r.recipients {
            if let Recipient::Field(f) = rec {
                named.push((f.clone(), format!("{rule} recipients")));
            }
        }
    }
    named
}

fn gpio(setup: &Setup) -> Check {
    let name = "GPIO";
    let ind = &setup.indicator;
    if ind.backend != crate::config::indicator::BackendKind::Gpio {
        return Check::pass(
            name,
            format!(
                "not used (indicator backend {})",
                format!("{:?}", ind.backend).to_lowercase()
            ),
        );
    }
    let problems = crate::indicator::check_hardware(&setup.indicator);
    if problems.is_empty() {
        let lines: Vec<String> = [
            ("led", &ind.led),
            ("buzzer", &ind.buzzer),
            ("button", &ind.button),
        ]
        .into_iter()
        .filter_map(|(k, s)| s.as_ref().map(|s| format!("{k} {}", s.line)))
        .collect();
        Check::pass(name, format!("found {}", lines.join(", ")))
    } else {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Check::fail(
            name,
            format!(
                "{} — `gpioinfo` lists this board's line names; the service's user needs the gpio group (/dev/gpiochip*)",
                list.join("; ")
            ),
        )
    }
}

/// The clock against the `Date` headers LINE and kintone sent.
fn clock(dates: &[(&'static str, jiff::Timestamp)], now: jiff::Timestamp) -> Check {
    let name = "clock";
    if dates.is_empty() {
        return Check::fail(
            name,
            "neither LINE nor kintone answered with a Date header, so the clock could not be compared",
        );
    }
    let mut worst: Option<(&str, i64)> = None;
    for (who, t) in dates {
        let skew = now.as_millisecond() - t.as_millisecond();
        if worst.is_none_or(|(_, w)| skew.abs() > w.abs()) {
            worst = Some((who, skew));
        }
    }
    let (who, skew) = worst.unwrap_or(("", 0));
    let max = i64::try_from(MAX_SKEW.as_millis()).unwrap_or(i64::MAX);
    // Date headers have whole seconds: up to a second off by themselves.
    let described = format!(
        "{:+.1} s from {who}'s (Date headers are whole seconds)",
        skew as f64 / 1000.0
    );
    if skew.abs() <= max {
        Check::pass(name, described)
    } else {
        Check::fail(
            name,
            format!(
                "{described} — keep it in sync (systemd-timesyncd or chrony; `timedatectl` shows the state): reply deadlines count from LINE's event timestamps"
            ),
        )
    }
}

/// The `Date` header of any answer from `base` (even an error page).
async fn server_date(base: &str, timeout: Duration) -> Option<jiff::Timestamp> {
    let http = crate::outbound::client(timeout).ok()?;
    let resp = http.head(base).send().await.ok()?;
    let date = resp.headers().get("date")?.to_str().ok()?;
    jiff::fmt::rfc2822::parse(date).ok().map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_passes_within_the_limit_and_names_the_worst_source() {
        let now: jiff::Timestamp = "2026-11-25T09:00:00Z".parse().unwrap();
        let at = |s: i64| jiff::Timestamp::from_second(now.as_second() + s).unwrap();
        let c = clock(&[("LINE", at(-1)), ("kintone", at(3))], now);
        assert!(c.ok, "{c}");
        assert!(c.detail.starts_with("-3.0 s from kintone's"), "{c}");
        let c = clock(&[("LINE", at(-40))], now);
        assert!(!c.ok);
        assert!(c.detail.contains("+40.0 s from LINE's"), "{c}");
        assert!(c.detail.contains("timedatectl"), "{c}");
        assert!(!clock(&[], now).ok);
    }

    #[test]
    fn state_dir_that_is_a_file_fails_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let c = state_dir(&file);
        assert!(!c.ok);
        assert!(c.detail.contains("not-a-dir"), "{c}");
        assert!(state_dir(&dir.path().join("new")).ok);
    }
}

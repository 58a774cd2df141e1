//! `kintone-line-gateway doctor`: checks, from the board, everything the
//! gateway needs from the world — each a pass/fail line that says what to do.
//!
//! - the config and its secrets load (files owner-only);
//! - the state directory takes a durable write; the store reads back whole
//!   (`PRAGMA integrity_check`) at this gateway's schema, opened read-only
//!   (never created or upgraded here);
//! - the LINE channel access token works (`GET /v2/bot/info`), and LINE's
//!   test webhook reaches this board (the console's webhook URL, straight or
//!   through the relay: `GET /v2/bot/channel/webhook/endpoint`,
//!   `POST /v2/bot/channel/webhook/test`);
//! - every kintone app answers with its token, and the field codes the config
//!   names exist in its form;
//! - each rule reaches someone right now (`recipients`: the staff directory
//!   and groups, read-only), and whom;
//! - the GPIO lines exist on this board;
//! - the clock agrees with LINE's and kintone's (reply deadlines count from
//!   LINE's timestamps).
//!
//! Run it the way the service runs (same user, same credentials):
//! `sudo systemd-run --pty --wait --collect -p User=kintone-line-gateway
//! -p SupplementaryGroups=gpio -p LoadCredential=klg:/etc/kintone-line-gateway/credentials
//! kintone-line-gateway doctor`.

mod board;
mod kintone;
mod line;
pub mod recipients;
mod store;

use std::time::Duration;

use crate::config::setup::Setup;
use board::{clock, gpio, state_dir};
use kintone::kintone;
use line::line;

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
    note(store::store(&c.state_dir).await, &mut checks);
    let mut dates = Vec::new();
    let (line_check, client) = line(c, &mut dates).await;
    note(line_check, &mut checks);
    // Pointless without a token LINE takes.
    if let Some(client) = client {
        note(line::webhook(&client).await, &mut checks);
    }
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
    note(recipients::check(setup), &mut checks);
    note(gpio(setup), &mut checks);
    note(clock(&dates, jiff::Timestamp::now()), &mut checks);
    checks
}

/// The host of a base URL, as a person names it (`api.line.me`).
pub(super) fn host_of(base: &str) -> &str {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// The `Date` header of any answer from `base` (even an error page).
pub(super) async fn server_date(base: &str, timeout: Duration) -> Option<jiff::Timestamp> {
    let http = crate::outbound::client(timeout).ok()?;
    let resp = http.head(base).send().await.ok()?;
    let date = resp.headers().get("date")?.to_str().ok()?;
    jiff::fmt::rfc2822::parse(date).ok().map(|z| z.timestamp())
}

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
//!
//! It speaks the config's `language` (`words`).

mod board;
mod kintone;
mod line;
pub mod recipients;
mod store;
mod words;

use std::time::Duration;

use crate::config::setup::Setup;
use crate::text::Language;
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

impl Check {
    /// The check's line as a person reads it: the mark, the name, what was
    /// found.
    pub fn said(&self, language: Language) -> String {
        let mark = if self.ok {
            &words::MARK_OK
        } else {
            &words::MARK_FAIL
        };
        let args = [
            ("mark", mark.in_(language)),
            ("name", &self.name),
            ("detail", &self.detail),
        ];
        words::CHECK_LINE.fill(language, &args)
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.said(Language::En))
    }
}

/// Runs every check on a loaded setup; the lines are printed as they come.
pub async fn run(setup: &Setup, out: &mut dyn std::io::Write) -> Vec<Check> {
    let c = &setup.config;
    let lang = c.language;
    let mut checks = Vec::new();
    let mut note = |check: Check, checks: &mut Vec<Check>| {
        let _ = writeln!(out, "{}", check.said(lang));
        checks.push(check);
    };
    note(config(setup), &mut checks);
    note(state_dir(&c.state_dir, lang), &mut checks);
    note(store::store(&c.state_dir, lang).await, &mut checks);
    let mut dates = Vec::new();
    let (line_check, client) = line(c, &mut dates).await;
    note(line_check, &mut checks);
    // Pointless without a token LINE takes.
    if let Some(client) = client {
        note(line::webhook(&client, lang).await, &mut checks);
    }
    for app in &c.kintone.apps {
        note(kintone(c, app, &setup.rules, &mut dates).await, &mut checks);
    }
    #[cfg(feature = "pubsub")]
    if let Some(p) = &setup.ingress.pubsub {
        let check = match crate::pull::check(p).await {
            Ok(found) => Check::pass("pubsub", pubsub_found(&found, lang)),
            Err(why) => Check::fail("pubsub", why),
        };
        note(check, &mut checks);
    }
    note(recipients::check(setup), &mut checks);
    note(gpio(setup), &mut checks);
    note(clock(&dates, jiff::Timestamp::now(), lang), &mut checks);
    checks
}

/// What was found of the Pub/Sub subscription, in `lang`.
#[cfg(feature = "pubsub")]
fn pubsub_found(f: &crate::pull::Found, lang: Language) -> String {
    let filter = if f.filter.is_empty() {
        words::NO_FILTER.in_(lang).to_owned()
    } else {
        words::FILTER.fill(lang, &[("filter", &f.filter)])
    };
    let more = if f.more { words::OR_MORE.in_(lang) } else { "" };
    let (deadline, waiting) = (f.ack_deadline_s.to_string(), f.waiting.to_string());
    let args = [
        ("subscription", f.subscription.as_str()),
        ("topic", &f.topic),
        ("filter", &filter),
        ("deadline", &deadline),
        ("waiting", &waiting),
        ("more", more),
    ];
    words::PUBSUB_FOUND.fill(lang, &args)
}

/// The config loaded, secrets and all (doctor runs only then).
fn config(setup: &Setup) -> Check {
    let lang = setup.config.language;
    let apps = setup.config.kintone.apps.len().to_string();
    let rules = setup.rules.len().to_string();
    let detail = words::CONFIG_LOADED.fill(lang, &[("apps", &apps), ("rules", &rules)]);
    Check::pass(words::NAME_CONFIG.in_(lang), detail)
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

#[cfg(test)]
mod tests {
    #[cfg(feature = "pubsub")]
    #[test]
    fn the_backlog_is_said_in_the_language() {
        use super::{pubsub_found, Language};
        let found = crate::pull::Found {
            subscription: "klg".into(),
            topic: "projects/p/topics/t".into(),
            filter: String::new(),
            ack_deadline_s: 60,
            waiting: 1000,
            more: true,
        };
        assert_eq!(
            pubsub_found(&found, Language::Ja),
            "klg（トピック projects/p/topics/t、フィルターなし、確認の期限 60 秒）：待っているメッセージ 1000 件以上"
        );
        assert_eq!(
            pubsub_found(&found, Language::En),
            "klg on projects/p/topics/t (no filter, ack deadline 60 s): 1000 or more message(s) waiting"
        );
    }
}

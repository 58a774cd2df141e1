//! `status`: the daemon's last `STATUS=` line, what waits in the store, what
//! the daemon last saw of LINE and kintone (never "ok" without an answer
//! seen), the open reminder chains and today's kintone requests — read-only,
//! in the config's language.

use std::io::Write;
use std::path::Path;

use jiff::tz::TimeZone;

use super::read_store;
use super::words;
use crate::clock::{format_ms, now_ms};
use crate::config::report_settings;
use crate::metrics::Observed;
use crate::store::chains::ChainStage;
use crate::text::Language;

pub(super) async fn status(config: &Path) -> anyhow::Result<()> {
    let settings = report_settings(config)?;
    let (zone, lang) = (settings.time_zone()?, settings.language);
    let store = read_store(&settings)?;
    let s = store.summary().await?;
    let saved_usage = store.kintone_usage().await?;
    let mut out = std::io::stdout().lock();
    match &s.daemon_status {
        Some((line, at)) => {
            let at = format_ms(*at, &zone);
            let args = [("at", at.as_str()), ("line", line)];
            writeln!(out, "{}", words::STATUS_DAEMON.fill(lang, &args))?;
        }
        None => writeln!(out, "{}", words::STATUS_NO_DAEMON.in_(lang))?,
    }
    let last = s.last_push_ms.map_or_else(
        || words::NEVER.in_(lang).to_owned(),
        |ms| format_ms(ms, &zone),
    );
    let counts = [
        ("acks", s.pending_acks),
        ("queued", s.outbox_pending),
        ("dead", s.dead_letters),
        ("nobody", s.undeliverable),
        ("events", s.inbox_pending),
        ("changes", s.changes_pending),
    ]
    .map(|(k, n)| (k, n.to_string()));
    let mut args: Vec<(&str, &str)> = counts.iter().map(|(k, n)| (*k, n.as_str())).collect();
    args.push(("last", &last));
    writeln!(out, "{}", words::STATUS_STORE.fill(lang, &args))?;
    match &s.contacts {
        Some(c) => {
            for (name, seen) in [("LINE", &c.line), ("kintone", &c.kintone)] {
                writeln!(out, "{}", contact(lang, name, seen, now_ms()))?;
            }
        }
        // A store from before these were saved, or a service that never
        // saved a status: nothing is known either way.
        None => writeln!(out, "{}", words::CONTACTS_NOTHING.in_(lang))?,
    }
    write_chains(&mut out, lang, &store.open_chains().await?, &zone)?;
    // The daemon saves its counts at least every ten minutes while they
    // move (and when it stops); an older day's are void.
    let today = crate::metrics::KintoneUsage::default();
    if let Some(saved) = saved_usage {
        today.restore(&saved, now_ms());
    }
    let today = today.today(now_ms());
    if today.per_app.is_empty() {
        writeln!(out, "{}", words::KINTONE_TODAY_NONE.in_(lang))?;
    }
    for (app, n) in &today.per_app {
        let (app, pct, n) = (
            app.to_string(),
            (n * 100 / 10_000).to_string(),
            n.to_string(),
        );
        let args = [("app", app.as_str()), ("n", &n), ("pct", &pct)];
        writeln!(out, "{}", words::KINTONE_TODAY_APP.fill(lang, &args))?;
    }
    Ok(())
}

/// One service's line: answered (and when), failing (the last failure, its
/// reason, and the last answer if any), or never contacted.
fn contact(lang: Language, name: &str, seen: &Observed, now_ms: i64) -> String {
    let ago = |ms: i64| age(lang, (now_ms - ms).max(0));
    match (seen.answered_ms, seen.failed_ms) {
        (ok, Some(f)) if seen.failing() => {
            let last = ok.map_or_else(
                || words::CONTACT_NEVER_ANSWERED.in_(lang).to_owned(),
                |ok| words::CONTACT_LAST_ANSWERED.fill(lang, &[("ago", &ago(ok))]),
            );
            let why = seen
                .failure
                .as_deref()
                .unwrap_or(words::NO_REASON.in_(lang));
            let ago = ago(f);
            let args = [("name", name), ("ago", &ago), ("why", why), ("last", &last)];
            words::CONTACT_FAILING.fill(lang, &args)
        }
        (Some(ok), _) => words::CONTACT_ANSWERED.fill(lang, &[("name", name), ("ago", &ago(ok))]),
        (None, _) => words::CONTACT_NEVER.fill(lang, &[("name", name)]),
    }
}

/// `12s ago`, `5m ago`, `3h ago`, `2d ago` (or `12 秒前` …).
fn age(lang: Language, ms: i64) -> String {
    let s = ms / 1000;
    let (said, n) = match s {
        0..60 => (words::AGO_S, s),
        60..3600 => (words::AGO_M, s / 60),
        3600..86_400 => (words::AGO_H, s / 3600),
        _ => (words::AGO_D, s / 86_400),
    };
    said.fill(lang, &[("n", &n.to_string())])
}

/// Open reminder chains: each notification's age, the stage it reached and
/// when its next step is due.
fn write_chains(
    out: &mut impl Write,
    lang: Language,
    open: &[crate::store::chains::OpenChain],
    zone: &TimeZone,
) -> std::io::Result<()> {
    let n = open.len().to_string();
    writeln!(out, "{}", words::REMINDERS_OPEN.fill(lang, &[("n", &n)]))?;
    for c in open {
        let min = (now_ms().saturating_sub(c.base_ms).max(0) / 60_000).to_string();
        let (record, stage, next) = (
            c.record.to_string(),
            stage_words(lang, c.stage),
            format_ms(c.due_ms, zone),
        );
        let args = [
            ("record", record.as_str()),
            ("title", &c.title),
            ("stage", &stage),
            ("min", &min),
            ("next", &next),
        ];
        writeln!(out, "{}", words::REMINDER_ROW.fill(lang, &args))?;
    }
    Ok(())
}

/// The stage a chain reached, for a person.
fn stage_words(lang: Language, stage: ChainStage) -> String {
    match stage {
        ChainStage::First => words::STAGE_FIRST.in_(lang).to_owned(),
        ChainStage::Reminder(n) => words::STAGE_REMINDER.fill(lang, &[("n", &n.to_string())]),
        ChainStage::Escalation(n) => words::STAGE_ESCALATION.fill(lang, &[("n", &n.to_string())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_seen_is_never_contacted_and_a_failure_after_an_answer_is_failing() {
        let c = crate::metrics::Contact::default();
        let en = |now| contact(Language::En, "LINE", &c.observed(), now);
        assert_eq!(en(0), "LINE: never contacted");
        c.failed(1_000, "connection refused");
        assert_eq!(
            en(6_000),
            "LINE: failing: last call 5s ago got no answer (connection refused); never answered"
        );
        c.answered(10_000);
        assert_eq!(en(130_000), "LINE: answered 2m ago");
        c.failed(200_000, "timed out");
        assert!(en(200_000).contains("last answered 3m ago"));
        assert_eq!(
            contact(Language::Ja, "kintone", &c.observed(), 200_000),
            "kintone：つながりません。0 秒前の呼び出しに応答なし（timed out）。最後の応答は3 分前"
        );
    }
}

//! The words of `STATUS=`: the one-line summary the watchdog refreshes and
//! saves for `kintone-line-gateway status`, and what a reload did.

use std::sync::atomic::{AtomicI64, Ordering};

use jiff::tz::TimeZone;

use super::words;
use crate::clock::now_ms;
use crate::metrics::{Metrics, Observed, Seen};
use crate::text::said::Said;
use crate::text::Language;

/// How the site reads the status line: its zone and its language.
#[derive(Debug, Clone)]
pub struct Locale {
    pub zone: TimeZone,
    pub language: Language,
}

/// The one-line summary for `STATUS=` and `kintone-line-gateway status`.
pub fn status_line(m: &Metrics, locale: &Locale) -> String {
    let lang = locale.language;
    let g = |a: &AtomicI64| a.load(Ordering::Relaxed);
    let either = |ok: bool, yes: &Said, no: &Said| if ok { yes } else { no }.in_(lang);
    let last = match g(&m.last_push_ms) {
        0 => words::NEVER.in_(lang).to_owned(),
        ms => crate::clock::format_ms(ms, &locale.zone),
    };
    let seen = |down: &AtomicI64, o: Observed| {
        let seen = if g(down) == 0 {
            o.seen()
        } else {
            Seen::Failing
        };
        seen_word(seen).in_(lang)
    };
    let (acks, queued) = (
        g(&m.pending_acks).to_string(),
        g(&m.outbox_pending).to_string(),
    );
    let today = m.kintone_usage.today(now_ms());
    let requests = today.per_app.values().sum::<u64>().to_string();
    let args = [
        (
            "store",
            if g(&m.store_down) == 0 {
                ""
            } else {
                words::STORE_FAILING.in_(lang)
            },
        ),
        ("acks", &acks),
        ("queued", &queued),
        ("last", &last),
        ("line", seen(&m.line_down, m.line_contact.observed())),
        (
            "kintone",
            seen(&m.kintone_down, m.kintone_contact.observed()),
        ),
        ("requests", &requests),
        (
            "quota",
            either(
                g(&m.quota_exhausted) == 0,
                &words::QUOTA_OK,
                &words::QUOTA_EXHAUSTED,
            ),
        ),
        (
            "indicator",
            either(
                g(&m.indicator_fault) == 0,
                &words::INDICATOR_OK,
                &words::INDICATOR_FAULT,
            ),
        ),
    ];
    words::STATUS_LINE.fill(lang, &args)
}

fn seen_word(seen: Seen) -> &'static Said {
    match seen {
        Seen::Answering => &words::SEEN_OK,
        Seen::Failing => &words::SEEN_FAILING,
        Seen::NotContacted => &words::SEEN_NOT_YET,
    }
}

/// What a reload did (the keys that changed live, and those that need a
/// restart), in one line for `STATUS=`.
pub fn reloaded_line(language: Language, live: &[String], restart: &[String]) -> String {
    let live = if live.is_empty() {
        words::NOTHING_LIVE.in_(language).to_owned()
    } else {
        words::CHANGED_LIVE.fill(language, &[("keys", &live.join(", "))])
    };
    if restart.is_empty() {
        words::RELOADED.fill(language, &[("live", &live)])
    } else {
        let args = [("live", live.as_str()), ("keys", &restart.join(", "))];
        words::RELOADED_RESTART.fill(language, &args)
    }
}

/// A reload refused for `problems` problems in the file (`None`: the TLS
/// files), in one line for `STATUS=`.
pub fn refused_line(language: Language, problems: Option<usize>) -> String {
    match problems {
        Some(n) => words::RELOAD_REFUSED.fill(language, &[("n", &n.to_string())]),
        None => words::RELOAD_TLS_REFUSED.in_(language).to_owned(),
    }
}

//! `[retention]`: how long the store keeps what it no longer works on, and
//! the window past which a LINE event is too old to take in (the pruner in
//! `daemon/prune.rs` and `store/retention.rs` do the deleting).

use std::time::Duration;

use toml::Table;

use super::reader::{duration_in, Reader};
use super::section_words;
use crate::text::said::Said;
use crate::text::Language;

const DAY: Duration = Duration::from_secs(86_400);

/// `[retention]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// A judged kintone change is kept this long (`line_events`; a finished
    /// LINE event's key stays for the dedup window).
    pub line_events: Duration,
    /// LINE events older than this are refused, and their deduplication
    /// keys (`webhookEventId`) are kept at least this long (`line_dedup`).
    pub line_dedup: Duration,
    /// Acknowledgement audit rows (`audit`).
    pub audit: Duration,
    /// Sent pushes, acknowledged notifications and other finished rows
    /// (`history`); at least this month and last for the cost report.
    pub history: Duration,
    /// Time between pruning passes (`interval`).
    pub interval: Duration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            line_events: DAY,
            line_dedup: 7 * DAY,
            audit: 365 * DAY,
            history: 62 * DAY,
            interval: Duration::from_secs(3600),
        }
    }
}

/// The shortest dedup window: LINE publishes no limit for its redeliveries;
/// a redelivered token is dead 20 minutes after its event, and a board that
/// was off over a night must still recognise what LINE resends.
const MIN_DEDUP: Duration = DAY;
/// Two calendar months (this month and the last) at their longest.
const MIN_HISTORY: Duration = Duration::from_secs(62 * 86_400);

pub(super) fn read_retention(r: &mut Reader, t: &Table) -> RetentionSettings {
    let mut s = RetentionSettings::default();
    let Some(t) = r.opt_table(t, "", "retention") else {
        return s;
    };
    r.unknown_keys(
        t,
        "retention",
        &["line_events", "line_dedup", "audit", "history", "interval"],
    );
    let mut span = |key: &str, min: Duration, why: &Said, into: &mut Duration| {
        let Some(text) = r.opt_str(t, "retention", key) else {
            return;
        };
        match parse_span(&text, r.language) {
            Ok(d) if d >= min => *into = d,
            Ok(_) => r.said(format!("retention.{key}"), why, &[]),
            Err(e) => r.problem(format!("retention.{key}"), e),
        }
    };
    span(
        "line_events",
        Duration::ZERO,
        &section_words::ZERO_OR_MORE,
        &mut s.line_events,
    );
    span(
        "line_dedup",
        MIN_DEDUP,
        &section_words::DEDUP_MIN,
        &mut s.line_dedup,
    );
    span("audit", DAY, &section_words::AT_LEAST_1D, &mut s.audit);
    span(
        "history",
        MIN_HISTORY,
        &section_words::HISTORY_MIN,
        &mut s.history,
    );
    let second = Duration::from_secs(1);
    span(
        "interval",
        second,
        &section_words::AT_LEAST_1S,
        &mut s.interval,
    );
    if s.line_events > s.line_dedup {
        r.said("retention.line_events", &section_words::EVENTS_DEDUP, &[]);
    }
    s
}

/// A span like `"365d"`, `"36h"` or `"1h 30m"`.
fn parse_span(s: &str, language: Language) -> Result<Duration, String> {
    if let Some(days) = s.trim().strip_suffix('d') {
        let value = format!("{s:?}");
        return days
            .trim()
            .parse::<u64>()
            .map(|n| DAY.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX)))
            .map_err(|_| section_words::NOT_SPAN.fill(language, &[("value", &value)]));
    }
    duration_in(s, language)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn read(text: &str) -> (RetentionSettings, Vec<String>) {
        let t: Table = toml::from_str(text).expect("toml");
        let mut r = Reader::new(Path::new("."), None);
        let s = read_retention(&mut r, &t);
        (s, r.problems.into_iter().map(|p| p.key).collect())
    }

    #[test]
    fn defaults_keep_a_year_of_audit_and_a_week_of_keys() {
        let (s, problems) = read("");
        assert!(problems.is_empty());
        assert_eq!(s, RetentionSettings::default());
        assert_eq!(s.audit, 365 * DAY);
        assert_eq!(s.line_dedup, 7 * DAY);
    }

    #[test]
    fn spans_are_read_and_wrong_ones_named_by_key() {
        let (s, problems) = read(
            "[retention]\naudit = \"730d\"\nline_events = \"36h\"\nline_dedup = \"14d\"\n\
             interval = \"10m\"\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.audit, 730 * DAY);
        assert_eq!(s.line_events, Duration::from_secs(36 * 3600));
        assert_eq!(s.line_dedup, 14 * DAY);
        assert_eq!(s.interval, Duration::from_secs(600));
        let (_, problems) = read(
            "[retention]\naudit = \"a year\"\nline_dedup = \"2h\"\nhistory = \"30d\"\n\
             line_events = \"8d\"\nkeep = 1\n",
        );
        assert_eq!(
            problems,
            [
                "retention.keep",
                "retention.line_dedup",
                "retention.audit",
                "retention.history",
                "retention.line_events"
            ]
        );
    }
}

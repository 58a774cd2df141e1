//! Quiet hours, in the site's time zone: one type for the buzzer's
//! (`[indicator] quiet_hours`) and the pushes' (`[notify] quiet_hours`).

use jiff::civil::Time;
use jiff::tz::TimeZone;
use toml::Table;

use crate::config::reader::{join, Reader};

/// A daily span in the site's zone. `from` may be later than `to`: the span
/// then crosses midnight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHours {
    pub from: Time,
    pub to: Time,
}

/// `{prefix}.quiet_hours = { from = "22:00", to = "07:00" }`, if set.
pub fn read_quiet_hours(r: &mut Reader, t: &Table, prefix: &str) -> Option<QuietHours> {
    let full = join(prefix, "quiet_hours");
    let q = r.opt_table(t, prefix, "quiet_hours")?;
    r.unknown_keys(q, &full, &["from", "to"]);
    let mut time = |key: &str| {
        let s = r.str(q, &full, key)?;
        match s.parse::<Time>() {
            Ok(t) => Some(t),
            Err(_) => {
                let value = format!("{s:?}");
                r.said(
                    join(&full, key),
                    &super::section_words::NOT_TIME,
                    &[("value", &value)],
                );
                None
            }
        }
    };
    let (from, to) = (time("from"), time("to"));
    let (from, to) = (from?, to?);
    if from == to {
        r.said(full, &super::section_words::FROM_TO_SAME, &[]);
        return None;
    }
    Some(QuietHours { from, to })
}

impl QuietHours {
    /// Whether `at` falls inside the quiet hours in `tz`.
    pub fn contains(&self, at: jiff::Timestamp, tz: &TimeZone) -> bool {
        let now = at.to_zoned_datetime(tz.clone()).time();
        if self.from < self.to {
            self.from <= now && now < self.to
        } else {
            now >= self.from || now < self.to
        }
    }

    /// Whether wall time `at_ms` falls inside them.
    pub fn contains_ms(&self, at_ms: i64, tz: &TimeZone) -> bool {
        jiff::Timestamp::from_millisecond(at_ms).is_ok_and(|at| self.contains(at, tz))
    }
}

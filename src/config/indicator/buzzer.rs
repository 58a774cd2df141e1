//! The buzzer's timing: on/off patterns (bounded, so it is never stuck on)
//! and the quiet hours when it stays silent.

use std::time::Duration;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use toml::Table;

use crate::config::reader::{join, parse_duration, Reader};

/// Longest single step of a buzzer pattern, and of a whole pattern: the
/// buzzer must never be stuck on.
const MAX_STEP: Duration = Duration::from_secs(3);
const MAX_PATTERN: Duration = Duration::from_secs(10);

/// Hours when the buzzer stays silent, in the site's time zone. `from` may be
/// later than `to`: the span then crosses midnight.
#[derive(Debug, Clone)]
pub struct QuietHours {
    pub from: Time,
    pub to: Time,
}

pub(super) fn pattern(r: &mut Reader, t: &Table, key: &str) -> Option<Vec<Duration>> {
    let full = join("indicator", key);
    let items = r.opt_strings(t, "indicator", key)?;
    let mut out = Vec::new();
    for s in &items {
        match parse_duration(s) {
            Ok(d) if d.is_zero() || d > MAX_STEP => {
                r.problem(
                    full.clone(),
                    format!("{s:?}: each step must be between 1ms and {MAX_STEP:?}"),
                );
                return None;
            }
            Ok(d) => out.push(d),
            Err(e) => {
                r.problem(full.clone(), e);
                return None;
            }
        }
    }
    if out.is_empty() || out.len() % 2 == 0 {
        r.problem(
            full,
            "list on, off, on … durations: an odd number, ending with on",
        );
        return None;
    }
    if out.iter().sum::<Duration>() > MAX_PATTERN {
        r.problem(
            full,
            format!("the whole pattern must last at most {MAX_PATTERN:?}"),
        );
        return None;
    }
    Some(out)
}

pub(super) fn quiet_hours(r: &mut Reader, t: &Table) -> Option<QuietHours> {
    let full = "indicator.quiet_hours";
    let q = r.opt_table(t, "indicator", "quiet_hours")?;
    r.unknown_keys(q, full, &["from", "to"]);
    let mut time = |key: &str| {
        let s = r.str(q, full, key)?;
        match s.parse::<Time>() {
            Ok(t) => Some(t),
            Err(_) => {
                r.problem(
                    join(full, key),
                    format!("{s:?} is not a time like \"22:00\""),
                );
                None
            }
        }
    };
    let (from, to) = (time("from"), time("to"));
    let (from, to) = (from?, to?);
    if from == to {
        r.problem(full, "from and to must differ");
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
}

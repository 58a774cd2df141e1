//! The buzzer's timing: on/off patterns (bounded, so it is never stuck on)
//! and the quiet hours when it stays silent (`config::quiet`).

use std::time::Duration;

use toml::Table;

use crate::config::reader::{join, parse_duration, Reader};

/// Longest single step of a buzzer pattern, and of a whole pattern: the
/// buzzer must never be stuck on.
const MAX_STEP: Duration = Duration::from_secs(3);
const MAX_PATTERN: Duration = Duration::from_secs(10);

pub use crate::config::quiet::QuietHours;

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
    crate::config::quiet::read_quiet_hours(r, t, "indicator")
}

//! The buzzer's timing: on/off patterns (bounded, so it is never stuck on)
//! and the quiet hours when it stays silent (`config::quiet`).

use std::time::Duration;

use toml::Table;

use super::indicator_words;
use crate::config::reader::{duration_in, join, Reader};

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
        match duration_in(s, r.language) {
            Ok(d) if d.is_zero() || d > MAX_STEP => {
                let (value, max) = (format!("{s:?}"), format!("{MAX_STEP:?}"));
                let args = [("value", value.as_str()), ("max", &max)];
                r.said(full.clone(), &indicator_words::STEP_LENGTH, &args);
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
        r.said(full, &indicator_words::PATTERN_ODD, &[]);
        return None;
    }
    if out.iter().sum::<Duration>() > MAX_PATTERN {
        let max = format!("{MAX_PATTERN:?}");
        r.said(full, &indicator_words::PATTERN_LENGTH, &[("max", &max)]);
        return None;
    }
    Some(out)
}

pub(super) fn quiet_hours(r: &mut Reader, t: &Table) -> Option<QuietHours> {
    crate::config::quiet::read_quiet_hours(r, t, "indicator")
}

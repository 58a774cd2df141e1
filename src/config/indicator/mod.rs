//! `[indicator]`: which backend drives the lights, which lines they are on,
//! and how the buzzer behaves. Read with the same problem-collecting walker as
//! the rest of the config, so every mistake is listed with its key.
//!
//! Lines are named (`"GPIO17"`) by default: the Raspberry Pi 5's header chip
//! changed number between kernels, names did not. `{ chip, offset }` is there
//! for boards whose lines have no names.

use std::fmt;
use std::time::Duration;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use toml::{Table, Value};

use crate::config::reader::{join, parse_duration, Reader};

/// Longest single step of a buzzer pattern, and of a whole pattern: the
/// buzzer must never be stuck on.
const MAX_STEP: Duration = Duration::from_secs(3);
const MAX_PATTERN: Duration = Duration::from_secs(10);

/// What drives the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// The Linux GPIO character device (`gpiocdev`).
    Gpio,
    /// The `rppal` crate (Raspberry Pi only; cargo feature `rppal`).
    Rppal,
    /// Drawn on the terminal (the demo).
    Terminal,
    /// No hardware.
    None,
}

/// Where a line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRef {
    /// By the name the board gives it, e.g. `GPIO17`.
    Named(String),
    /// By chip (`gpiochip0` or `/dev/gpiochip0`) and offset.
    ChipOffset { chip: String, offset: u32 },
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineRef::Named(n) => f.write_str(n),
            LineRef::ChipOffset { chip, offset } => write!(f, "{chip} line {offset}"),
        }
    }
}

/// One configured line and its polarity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinSpec {
    pub line: LineRef,
    /// Active when the line is driven (or reads) low.
    pub active_low: bool,
}

/// Hours when the buzzer stays silent, in the site's time zone. `from` may be
/// later than `to`: the span then crosses midnight.
#[derive(Debug, Clone)]
pub struct QuietHours {
    pub from: Time,
    pub to: Time,
}

/// The validated `[indicator]` section.
#[derive(Debug, Clone)]
pub struct IndicatorConfig {
    pub backend: BackendKind,
    pub led: Option<PinSpec>,
    pub buzzer: Option<PinSpec>,
    pub button: Option<PinSpec>,
    /// On, off, on … durations for a new notification.
    pub buzzer_pattern: Vec<Duration>,
    /// Played while something stays unacknowledged, every `reminder`.
    pub reminder_pattern: Vec<Duration>,
    pub reminder: Option<Duration>,
    pub quiet_hours: Option<QuietHours>,
    pub time_zone: TimeZone,
    /// LINE or kintone must fail this long before the LED shows trouble.
    pub trouble_after: Duration,
    pub long_press: Duration,
    pub debounce: Duration,
}

impl Default for IndicatorConfig {
    fn default() -> Self {
        IndicatorConfig {
            backend: BackendKind::None,
            led: None,
            buzzer: None,
            button: None,
            buzzer_pattern: ms(&[150, 100, 150]),
            reminder_pattern: ms(&[80]),
            reminder: None,
            quiet_hours: None,
            time_zone: TimeZone::system(),
            trouble_after: Duration::from_secs(300),
            long_press: Duration::from_secs(2),
            debounce: Duration::from_millis(30),
        }
    }
}

fn ms(v: &[u64]) -> Vec<Duration> {
    v.iter().copied().map(Duration::from_millis).collect()
}

const KEYS: &[&str] = &[
    "backend",
    "led",
    "buzzer",
    "button",
    "active_low",
    "buzzer_pattern",
    "reminder_pattern",
    "reminder",
    "quiet_hours",
    "time_zone",
    "trouble_after",
    "long_press",
    "debounce",
];

/// Reads `[indicator]` from the sections the core config passed through.
pub fn read_indicator(r: &mut Reader, rest: &Table) -> IndicatorConfig {
    let mut c = IndicatorConfig::default();
    let Some(t) = r.opt_table(rest, "", "indicator") else {
        return c;
    };
    let p = "indicator";
    r.unknown_keys(t, p, KEYS);
    c.backend = match r.opt_str(t, p, "backend").as_deref() {
        None | Some("none") => BackendKind::None,
        Some("gpio") => BackendKind::Gpio,
        Some("rppal") => BackendKind::Rppal,
        Some("terminal") => BackendKind::Terminal,
        Some(other) => {
            r.problem(
                "indicator.backend",
                format!("{other:?}: use \"gpio\", \"rppal\", \"terminal\" or \"none\""),
            );
            BackendKind::None
        }
    };
    let active_low = r.opt_bool(t, p, "active_low").unwrap_or(false);
    c.led = pin(r, t, "led", active_low);
    c.buzzer = pin(r, t, "buzzer", active_low);
    // A button to ground with the pull-up reads low when pressed.
    c.button = pin(r, t, "button", true);
    let hardware = matches!(c.backend, BackendKind::Gpio | BackendKind::Rppal);
    if hardware && c.led.is_none() && c.buzzer.is_none() {
        r.problem(p, "set at least one of led and buzzer for this backend");
    }
    if c.backend == BackendKind::Rppal {
        if !cfg!(feature = "rppal") {
            r.problem(
                "indicator.backend",
                "this build has no rppal support (cargo feature \"rppal\"); use \"gpio\"",
            );
        }
        check_rppal_names(r, &c);
    }
    if c.backend == BackendKind::Gpio && !cfg!(target_os = "linux") {
        r.problem("indicator.backend", "the gpio backend needs Linux");
    }
    if let Some(v) = pattern(r, t, "buzzer_pattern") {
        c.buzzer_pattern = v;
    }
    if let Some(v) = pattern(r, t, "reminder_pattern") {
        c.reminder_pattern = v;
    }
    c.reminder = r.opt_duration(t, p, "reminder");
    if c.reminder.is_some_and(|d| d < Duration::from_secs(60)) {
        r.problem("indicator.reminder", "must be at least 1m");
    }
    if let Some(name) = r.opt_str(t, p, "time_zone") {
        match TimeZone::get(&name) {
            Ok(tz) => c.time_zone = tz,
            Err(e) => r.problem(
                "indicator.time_zone",
                format!("{name:?} is not a known IANA time zone (like \"Asia/Tokyo\"): {e}"),
            ),
        }
    }
    c.quiet_hours = quiet_hours(r, t);
    let durations = [
        ("trouble_after", &mut c.trouble_after, Duration::ZERO),
        ("long_press", &mut c.long_press, Duration::from_millis(500)),
        ("debounce", &mut c.debounce, Duration::ZERO),
    ];
    for (key, slot, min) in durations {
        if let Some(d) = r.opt_duration(t, p, key) {
            if d < min {
                r.problem(join(p, key), format!("must be at least {min:?}"));
            }
            *slot = d;
        }
    }
    if c.debounce >= c.long_press {
        r.problem("indicator.debounce", "must be shorter than long_press");
    }
    c
}

/// `"GPIO17"`, `{ line = "GPIO17", active_low = true }` or
/// `{ chip = "gpiochip0", offset = 17 }`.
fn pin(r: &mut Reader, t: &Table, key: &str, default_low: bool) -> Option<PinSpec> {
    let full = join("indicator", key);
    let bad = |r: &mut Reader| {
        r.problem(
            full.clone(),
            "write a line name like \"GPIO17\", or { chip = \"gpiochip0\", offset = 17 }",
        );
        None
    };
    match t.get(key)? {
        Value::String(name) if !name.trim().is_empty() => Some(PinSpec {
            line: LineRef::Named(name.clone()),
            active_low: default_low,
        }),
        Value::Table(tab) => {
            r.unknown_keys(tab, &full, &["line", "chip", "offset", "active_low"]);
            let active_low = r.opt_bool(tab, &full, "active_low").unwrap_or(default_low);
            let line = match (tab.get("line"), tab.get("chip"), tab.get("offset")) {
                (Some(Value::String(n)), None, None) if !n.trim().is_empty() => {
                    LineRef::Named(n.clone())
                }
                (None, Some(Value::String(chip)), Some(Value::Integer(o))) => {
                    match u32::try_from(*o) {
                        Ok(offset) if !chip.is_empty() => LineRef::ChipOffset {
                            chip: chip.clone(),
                            offset,
                        },
                        _ => return bad(r),
                    }
                }
                _ => return bad(r),
            };
            Some(PinSpec { line, active_low })
        }
        _ => bad(r),
    }
}

/// The BCM number rppal needs: from `GPIO17` or an offset on `gpiochip0`.
pub fn bcm_number(line: &LineRef) -> Option<u8> {
    match line {
        LineRef::Named(n) => n.strip_prefix("GPIO")?.parse().ok(),
        LineRef::ChipOffset { offset, .. } => u8::try_from(*offset).ok(),
    }
}

fn check_rppal_names(r: &mut Reader, c: &IndicatorConfig) {
    for (key, spec) in [
        ("led", &c.led),
        ("buzzer", &c.buzzer),
        ("button", &c.button),
    ] {
        if let Some(s) = spec {
            if bcm_number(&s.line).is_none_or(|n| n > 27) {
                r.problem(
                    join("indicator", key),
                    format!(
                        "{}: rppal needs a BCM line GPIO0…GPIO27 (names other than GPIOn need the gpio backend)",
                        s.line
                    ),
                );
            }
        }
    }
}

fn pattern(r: &mut Reader, t: &Table, key: &str) -> Option<Vec<Duration>> {
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

fn quiet_hours(r: &mut Reader, t: &Table) -> Option<QuietHours> {
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

/// Finds lines on this board; injectable so the check is unit-tested.
pub trait LineLookup {
    /// `Ok` if the line exists.
    ///
    /// # Errors
    /// Why it cannot be found (no GPIO chip, unknown name, offset out of range).
    fn find(&self, line: &LineRef) -> Result<(), String>;
}

/// The hardware half of `check-config`: every configured line must exist on
/// this board (gpio backend only; rppal is checked when it opens the pins).
pub fn check_lines(
    c: &IndicatorConfig,
    lookup: &dyn LineLookup,
) -> Vec<crate::config::reader::Problem> {
    let mut r = Reader::new(std::path::Path::new("."), None);
    if c.backend != BackendKind::Gpio {
        return Vec::new();
    }
    for (key, spec) in [
        ("led", &c.led),
        ("buzzer", &c.buzzer),
        ("button", &c.button),
    ] {
        if let Some(s) = spec {
            if let Err(e) = lookup.find(&s.line) {
                r.problem(join("indicator", key), format!("{}: {e}", s.line));
            }
        }
    }
    r.problems
}

#[cfg(test)]
pub(crate) mod tests;

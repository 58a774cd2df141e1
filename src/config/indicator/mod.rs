//! `[indicator]`: which backend drives the lights, which lines they are on,
//! and how the buzzer behaves. Read with the same problem-collecting walker as
//! the rest of the config, so every mistake is listed with its key.
//!
//! Lines are named (`"GPIO17"`) by default: the Raspberry Pi 5's header chip
//! changed number between kernels, names did not. `{ chip, offset }` is there
//! for boards whose lines have no names.

mod buzzer;
mod indicator_words;
mod lines;

use std::time::Duration;

use toml::Table;

pub use buzzer::QuietHours;
use buzzer::{pattern, quiet_hours};
pub use lines::{bcm_number, check_lines, LineLookup, LineMissing, LineRef, PinSpec};
use lines::{check_rppal_names, pin};

use crate::config::reader::{join, Reader};
use crate::config::words;

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

/// The validated `[indicator]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// In the site's zone (the top-level `time_zone`).
    pub quiet_hours: Option<QuietHours>,
    /// LINE or kintone must fail this long before the LED shows trouble.
    pub trouble_after: Duration,
    /// Pub/Sub must fail this long before the LED shows trouble: not an
    /// `[indicator]` key but `[ingress.pubsub] trouble_after`, copied here
    /// when the setup is read.
    pub pubsub_trouble_after: Duration,
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
            trouble_after: Duration::from_secs(300),
            pubsub_trouble_after: crate::config::ingress::PUBSUB_TROUBLE_AFTER,
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
    // Deprecated: read as an alias of the top-level key (config/zone.rs).
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
            let value = format!("{other:?}");
            let choices = words::choices(r.language, &["gpio", "rppal", "terminal", "none"]);
            let args = [("value", value.as_str()), ("choices", &choices)];
            r.said("indicator.backend", &words::USE_ONE_OF, &args);
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
        r.said(p, &indicator_words::LED_OR_BUZZER, &[]);
    }
    if c.backend == BackendKind::Rppal {
        if !cfg!(feature = "rppal") {
            r.said("indicator.backend", &indicator_words::NO_RPPAL, &[]);
        }
        check_rppal_names(r, &c);
    }
    if c.backend == BackendKind::Gpio && !cfg!(target_os = "linux") {
        r.said("indicator.backend", &indicator_words::GPIO_LINUX, &[]);
    }
    if let Some(v) = pattern(r, t, "buzzer_pattern") {
        c.buzzer_pattern = v;
    }
    if let Some(v) = pattern(r, t, "reminder_pattern") {
        c.reminder_pattern = v;
    }
    c.reminder = r.opt_duration(t, p, "reminder");
    if c.reminder.is_some_and(|d| d < Duration::from_secs(60)) {
        r.said("indicator.reminder", &words::AT_LEAST, &[("min", "1m")]);
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
                let min = format!("{min:?}");
                r.said(join(p, key), &words::AT_LEAST, &[("min", &min)]);
            }
            *slot = d;
        }
    }
    if c.debounce >= c.long_press {
        r.said(
            "indicator.debounce",
            &indicator_words::DEBOUNCE_SHORTER,
            &[],
        );
    }
    c
}

#[cfg(test)]
pub(crate) mod tests;

//! `[notify]`: when pushes go (pacing, quiet hours), the monthly quota guard,
//! and the fallback recipients of a notification that reaches nobody.

use std::time::Duration;

use super::reader::{join, Reader};
use super::rules::{fixed_recipients, Recipient};

/// `[notify]` settings.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    pub pacing: Pacing,
    /// Warn when this fraction of the monthly quota is used.
    pub quota_warn: f64,
    pub quota_check: Duration,
    /// When pushes are held or silent (each rule's `at_night` says which),
    /// in the site's zone. A `hold` rule's steps due in these hours wait.
    pub quiet_hours: Option<super::quiet::QuietHours>,
    /// `reminders_at_night`: what a step that went late (held through the
    /// quiet hours, or due while the board was off) does to the rest of its
    /// chain. `false` ("continue", the default): the schedule keeps its
    /// times, every step missed goes in one; `true` ("pause"): the clock
    /// stopped meanwhile, so only the first missed step goes, and the rest
    /// keep their spacing from it.
    pub pause_reminders: bool,
    /// Whom a notification goes to when its own recipients reach nobody
    /// (`fallback = "group:Admin"`); empty: it is only recorded and logged.
    pub fallback: Vec<Recipient>,
    /// Config keys that are read but no longer used, with what to do
    /// instead; logged when the outbox starts.
    pub deprecated: Vec<String>,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            pacing: Pacing::default(),
            quota_warn: 0.8,
            quota_check: Duration::from_secs(600),
            quiet_hours: None,
            pause_reminders: false,
            fallback: Vec::new(),
            deprecated: Vec::new(),
        }
    }
}

/// `[notify]` pacing knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// A part-filled request goes once this long passes with no new card.
    pub debounce: Duration,
    /// No card waits longer than this (from its arrival), burst or not.
    pub max_wait: Duration,
    /// Part-filled requests per recipient per minute that go at debounce speed.
    pub prompt_per_minute: usize,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            debounce: Duration::from_secs(1),
            max_wait: Duration::from_secs(20),
            prompt_per_minute: 2,
        }
    }
}

pub(super) fn read_notify(r: &mut Reader, rest: &toml::Table) -> OutboxSettings {
    let mut s = OutboxSettings::default();
    let Some(t) = r.opt_table(rest, "", "notify") else {
        return s;
    };
    r.unknown_keys(
        t,
        "notify",
        &[
            "debounce",
            "max_wait",
            "prompt_per_minute",
            "coalesce_window",
            "quota_warn",
            "quota_check",
            "quiet_hours",
            "reminders_at_night",
            "fallback",
        ],
    );
    s.quiet_hours = super::quiet::read_quiet_hours(r, t, "notify");
    s.pause_reminders = match r.opt_str(t, "notify", "reminders_at_night").as_deref() {
        None | Some("continue") => false,
        Some("pause") => true,
        Some(other) => {
            let value = format!("{other:?}");
            let choices = super::words::choices(r.language, &["continue", "pause"]);
            let args = [("value", value.as_str()), ("choices", &choices)];
            r.said(
                "notify.reminders_at_night",
                &super::words::USE_ONE_OF,
                &args,
            );
            false
        }
    };
    read_pacing(r, t, &mut s);
    s.fallback = read_fallback(r, t);
    if let Some(d) = r.opt_duration(t, "notify", "quota_check") {
        if d.as_secs() < 60 {
            r.said(
                "notify.quota_check",
                &super::words::AT_LEAST,
                &[("min", "60s")],
            );
        }
        s.quota_check = d;
    }
    match t
        .get("quota_warn")
        .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
    {
        None => {}
        Some(Some(f)) if (0.0..=1.0).contains(&f) => s.quota_warn = f,
        Some(_) => r.said("notify.quota_warn", &super::section_words::FRACTION, &[]),
    }
    s
}

/// `fallback`: one recipient or a list, none of them a record field (the
/// fallback is for when a record's own people are not reachable).
fn read_fallback(r: &mut Reader, t: &toml::Table) -> Vec<Recipient> {
    let list = match t.get("fallback") {
        None => return Vec::new(),
        Some(toml::Value::String(s)) => vec![s.clone()],
        Some(_) => r.opt_strings(t, "notify", "fallback").unwrap_or_default(),
    };
    let key = join("notify", "fallback");
    let no_field = super::section_words::FALLBACK_FIELD.in_(r.language);
    fixed_recipients(&list, (&key, r.language), no_field, |k, m| {
        r.problem(k, m);
    })
}

fn read_pacing(r: &mut Reader, t: &toml::Table, s: &mut OutboxSettings) {
    let p = &mut s.pacing;
    if let Some(d) = r.opt_duration(t, "notify", "debounce") {
        p.debounce = d;
    }
    if let Some(d) = r.opt_duration(t, "notify", "max_wait") {
        p.max_wait = d;
    }
    if p.max_wait < p.debounce {
        r.said(
            "notify.max_wait",
            &super::section_words::AT_LEAST_DEBOUNCE,
            &[],
        );
    }
    if let Some(n) = r.opt_int(t, "notify", "prompt_per_minute") {
        match usize::try_from(n) {
            Ok(n) => p.prompt_per_minute = n,
            Err(_) => r.said(
                "notify.prompt_per_minute",
                &super::section_words::ZERO_OR_MORE,
                &[],
            ),
        }
    }
    if t.contains_key("coalesce_window") {
        let _ = r.opt_duration(t, "notify", "coalesce_window");
        // Accepted for configs written before pacing: it held every push
        // after the first for a whole window, which is what pacing replaces.
        // Old files keep loading (a warning) so an upgrade does not stop.
        let note = super::words::COALESCE_WINDOW_DEPRECATED.in_(r.language);
        s.deprecated.push(note.to_owned());
    }
}

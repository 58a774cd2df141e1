//! The whole configuration, every section validated together so
//! `check-config` lists all problems at once: the core [`Config`], the
//! notification rules, `[notify]` and `[indicator]`.

use std::path::Path;

use crate::clock::Clock;
use crate::config::reader::{Problem, Reader};
use crate::config::{Config, ConfigErrors};
use crate::indicator::config::{read_indicator, IndicatorConfig};
use crate::notify::outbox::OutboxSettings;
use crate::notify::rules::{read_rules, Rule};

/// Everything the daemon runs from.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: Config,
    pub rules: Vec<Rule>,
    pub outbox: OutboxSettings,
    pub indicator: IndicatorConfig,
    /// The system's clocks; tests and the demo put a wrong one here.
    pub clock: Clock,
}

impl Setup {
    /// Loads and validates the file at `path`.
    ///
    /// # Errors
    /// [`ConfigErrors`] listing every problem found, with its key.
    pub fn load(path: &Path) -> Result<Setup, ConfigErrors> {
        let config = Config::load(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_config(config, base).map_err(|problems| ConfigErrors {
            path: path.to_owned(),
            problems,
        })
    }

    /// Validates the sections beyond the core config.
    ///
    /// # Errors
    /// Every problem found.
    pub fn from_config(config: Config, base_dir: &Path) -> Result<Setup, Vec<Problem>> {
        let mut problems = Vec::new();
        let rules = read_rules(&config, base_dir).unwrap_or_else(|p| {
            problems.extend(p);
            Vec::new()
        });
        let mut r = Reader::new(base_dir, None);
        let outbox = read_notify(&mut r, &config.rest);
        let indicator = read_indicator(&mut r, &config.rest);
        problems.extend(r.problems);
        if problems.is_empty() {
            Ok(Setup {
                config,
                rules,
                outbox,
                indicator,
                clock: Clock::system(),
            })
        } else {
            Err(problems)
        }
    }
}

fn read_notify(r: &mut Reader, rest: &toml::Table) -> OutboxSettings {
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
        ],
    );
    read_pacing(r, t, &mut s);
    if let Some(d) = r.opt_duration(t, "notify", "quota_check") {
        if d.as_secs() < 60 {
            r.problem("notify.quota_check", "must be at least 60s");
        }
        s.quota_check = d;
    }
    match t
        .get("quota_warn")
        .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
    {
        None => {}
        Some(Some(f)) if (0.0..=1.0).contains(&f) => s.quota_warn = f,
        Some(_) => r.problem("notify.quota_warn", "must be a fraction between 0 and 1"),
    }
    s
}

/// Accepted for configs written before pacing: it held every push after the
/// first for a whole window, which is what pacing replaces. Old files keep
/// loading (a warning, not a problem) so an upgrade does not stop the daemon.
const COALESCE_WINDOW_DEPRECATED: &str =
    "notify.coalesce_window is no longer used and is ignored: \
     pushes now wait for notify.debounce (and at most notify.max_wait); remove the key";

fn read_pacing(r: &mut Reader, t: &toml::Table, s: &mut OutboxSettings) {
    let p = &mut s.pacing;
    if let Some(d) = r.opt_duration(t, "notify", "debounce") {
        p.debounce = d;
    }
    if let Some(d) = r.opt_duration(t, "notify", "max_wait") {
        p.max_wait = d;
    }
    if p.max_wait < p.debounce {
        r.problem("notify.max_wait", "must be at least notify.debounce");
    }
    if let Some(n) = r.opt_int(t, "notify", "prompt_per_minute") {
        match usize::try_from(n) {
            Ok(n) => p.prompt_per_minute = n,
            Err(_) => r.problem("notify.prompt_per_minute", "must be 0 or more"),
        }
    }
    if t.contains_key("coalesce_window") {
        let _ = r.opt_duration(t, "notify", "coalesce_window");
        s.deprecated.push(COALESCE_WINDOW_DEPRECATED.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn notify(text: &str) -> (OutboxSettings, Vec<Problem>) {
        let rest: toml::Table = toml::from_str(text).expect("toml");
        let mut r = Reader::new(Path::new("."), None);
        let s = read_notify(&mut r, &rest);
        (s, r.problems)
    }

    #[test]
    fn pacing_defaults_meet_the_latency_and_cost_goals() {
        let (s, problems) = notify("");
        assert!(problems.is_empty());
        assert_eq!(s.pacing.debounce, Duration::from_secs(1));
        assert_eq!(s.pacing.max_wait, Duration::from_secs(20));
        assert_eq!(s.pacing.prompt_per_minute, 2);
    }

    #[test]
    fn pacing_keys_are_read_and_checked() {
        let (s, problems) =
            notify("[notify]\ndebounce = \"2s\"\nmax_wait = \"45s\"\nprompt_per_minute = 4\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.pacing.debounce, Duration::from_secs(2));
        assert_eq!(s.pacing.max_wait, Duration::from_secs(45));
        assert_eq!(s.pacing.prompt_per_minute, 4);
        let (_, problems) =
            notify("[notify]\ndebounce = \"5s\"\nmax_wait = \"2s\"\nprompt_per_minute = -1\n");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["notify.max_wait", "notify.prompt_per_minute"]);
    }

    #[test]
    fn the_old_coalesce_window_still_loads_with_a_deprecation_warning() {
        let (s, problems) = notify("[notify]\ncoalesce_window = \"60s\"\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.deprecated, [COALESCE_WINDOW_DEPRECATED]);
        assert_eq!(s.pacing, crate::notify::pacing::Pacing::default());
        let (s, problems) = notify("[notify]\ncoalesce_window = 60\n");
        assert_eq!(problems.len(), 1, "a malformed value is still a problem");
        assert_eq!(s.deprecated.len(), 1);
    }
}

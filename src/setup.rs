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
        let outbox = read_notify(&mut r, &config);
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

fn read_notify(r: &mut Reader, config: &Config) -> OutboxSettings {
    let mut s = OutboxSettings::default();
    let Some(t) = r.opt_table(&config.rest, "", "notify") else {
        return s;
    };
    r.unknown_keys(
        t,
        "notify",
        &["coalesce_window", "quota_warn", "quota_check"],
    );
    if let Some(d) = r.opt_duration(t, "notify", "coalesce_window") {
        s.coalesce_window = d;
    }
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

//! What polling costs: kintone counts every request against an app's daily
//! limit. Computed once per app ([`Budget`]) and told twice: in the log at
//! start and by `check-config`.

use std::time::Duration;

use super::NotifyContext;
pub use crate::kintone::{daily_requests, DAILY_LIMIT};

/// What polling one app costs a day: computed once, told by the log at
/// start and by `check-config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Polling is off: webhooks only.
    Off,
    /// Polling every `interval`.
    Polling {
        interval: Duration,
        per_day: u64,
        /// Per cent of [`DAILY_LIMIT`].
        share: u64,
        /// More than a third of the limit.
        too_much: bool,
    },
}

impl Budget {
    /// The budget of `app`'s polling settings.
    pub fn of(app: &crate::config::AppConfig) -> Budget {
        Budget::new(app.poll, app.poll_interval)
    }

    /// The budget of polling (if `poll`) every `interval`.
    pub fn new(poll: bool, interval: Duration) -> Budget {
        if !poll {
            return Budget::Off;
        }
        let per_day = daily_requests(interval);
        Budget::Polling {
            interval,
            per_day,
            share: per_day * 100 / DAILY_LIMIT,
            too_much: per_day > DAILY_LIMIT / 3,
        }
    }
}

/// Logs the daily request budget polling will use; warns past a third of the limit.
pub fn log_budget(ctx: &NotifyContext) {
    for app in &ctx.config.kintone.apps {
        match Budget::of(app) {
            Budget::Off => {
                tracing::info!(app = %app.id, "polling off: webhooks only (a lost webhook is not recovered)");
            }
            Budget::Polling {
                interval,
                per_day,
                share,
                too_much: true,
            } => {
                tracing::warn!(app = %app.id, ?interval, per_day, "polling would use {share}% of kintone's {DAILY_LIMIT} requests/day; raise poll_interval");
            }
            Budget::Polling {
                interval,
                per_day,
                share,
                too_much: false,
            } => {
                tracing::info!(app = %app.id, ?interval, per_day, "polling budget: {share}% of kintone's {DAILY_LIMIT} requests/day");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_requests_of_an_interval() {
        assert_eq!(daily_requests(Duration::from_secs(60)), 1440);
        assert!(daily_requests(Duration::from_secs(60)) < DAILY_LIMIT / 3);
    }

    #[test]
    fn the_budget_is_computed_once() {
        let b = Budget::new(true, Duration::from_secs(10));
        assert_eq!(
            b,
            Budget::Polling {
                interval: Duration::from_secs(10),
                per_day: 8_640,
                share: 86,
                too_much: true,
            }
        );
        assert!(matches!(
            Budget::new(true, Duration::from_secs(60)),
            Budget::Polling {
                per_day: 1_440,
                share: 14,
                too_much: false,
                ..
            }
        ));
        assert_eq!(Budget::new(false, Duration::from_secs(10)), Budget::Off);
    }
}

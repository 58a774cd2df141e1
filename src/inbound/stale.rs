//! Events too old to take in. Once their deduplication keys are pruned
//! (`store::retention`), an old signed body replayed, or redelivered after a
//! long outage, would look new: so an event whose `timestamp` is older than
//! the dedup window at its receipt is dropped — counted
//! (`klg_line_stale_events_total`), logged at most once a minute, and
//! answered 200 with the rest so LINE does not send it again.
//!
//! Age is judged on LINE's clock ([`Clock::line_time_at`]): the receipt's
//! steady time less the measured offset from LINE, so a board clock that is
//! wrong or jumps neither drops fresh events nor lets old ones through.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::clock::{millis, Clock};
use crate::metrics::Metrics;
use crate::store::inbox::EventEnvelope;

/// How often a dropped event is logged in full; the ones between are
/// counted in the next line.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// The dedup window and the log's throttle.
#[derive(Debug)]
pub struct StaleEvents {
    window_ms: i64,
    log: Mutex<Throttle>,
}

#[derive(Debug, Default)]
struct Throttle {
    /// Steady time before which a drop is only counted.
    quiet_until_ms: i64,
    unlogged: u64,
}

impl StaleEvents {
    /// Drops events older than `window` (`[retention] line_dedup`).
    pub fn new(window: Duration) -> StaleEvents {
        StaleEvents {
            window_ms: millis(window),
            log: Mutex::new(Throttle::default()),
        }
    }

    /// The events of a webhook received at steady time `received` that are
    /// young enough to take in; the others are counted and logged.
    pub fn keep_fresh(
        &self,
        events: Vec<EventEnvelope>,
        received: i64,
        clock: &Clock,
        metrics: &Metrics,
    ) -> Vec<EventEnvelope> {
        let line_now = clock.line_time_at(received);
        let (fresh, stale): (Vec<_>, Vec<_>) = events
            .into_iter()
            .partition(|e| line_now.saturating_sub(e.timestamp_ms) <= self.window_ms);
        if let Some(oldest) = stale.iter().map(|e| e.timestamp_ms).min() {
            metrics
                .line_stale_events
                .fetch_add(stale.len() as u64, Ordering::Relaxed);
            let redeliveries = stale.iter().filter(|e| e.redelivery).count();
            self.note(stale.len(), redeliveries, line_now - oldest, received);
        }
        fresh
    }

    fn note(&self, dropped: usize, redeliveries: usize, age_ms: i64, now: i64) {
        let unlogged = {
            let mut t = self.log.lock().unwrap_or_else(PoisonError::into_inner);
            if now < t.quiet_until_ms {
                t.unlogged += dropped as u64;
                return;
            }
            t.quiet_until_ms = now.saturating_add(millis(LOG_EVERY));
            std::mem::take(&mut t.unlogged)
        };
        tracing::warn!(
            dropped,
            redeliveries,
            age_hours = age_ms / 3_600_000,
            window_hours = self.window_ms / 3_600_000,
            unlogged,
            "LINE event(s) older than the deduplication window dropped (answered 200, not \
             stored): a replayed old webhook, or a redelivery after a long outage; \
             further drops are logged at most once a minute"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn event(id: &str, timestamp_ms: i64) -> EventEnvelope {
        EventEnvelope {
            id: id.into(),
            timestamp_ms,
            redelivery: false,
            kind: "postback".into(),
            json: "{}".into(),
            reply_token: None,
        }
    }

    #[test]
    fn age_is_judged_on_line_s_clock_not_the_board_s() {
        // A board eight days fast: on its own clock every event is more
        // than a week old, on LINE's (the measured offset) it is not.
        let clock = Clock::offset_by(8 * 24 * HOUR);
        let received = clock.steady_ms();
        let line_now = received - 8 * 24 * HOUR;
        clock.observe_line(8 * 24 * HOUR + 150);
        let metrics = Metrics::default();
        let filter = StaleEvents::new(Duration::from_secs(7 * 24 * 3600));
        let kept = filter.keep_fresh(
            vec![
                event("now", line_now - 200),
                event("six-days", line_now - 6 * 24 * HOUR),
                event("eight-days", line_now - 8 * 24 * HOUR),
            ],
            received,
            &clock,
            &metrics,
        );
        let ids: Vec<&str> = kept.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["now", "six-days"]);
        assert_eq!(metrics.line_stale_events.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn drops_are_logged_once_a_minute_with_the_count_between() {
        let filter = StaleEvents::new(Duration::from_secs(3600));
        filter.note(1, 0, 0, 0);
        for at in 1..100 {
            filter.note(2, 0, 0, at * 500);
        }
        let state = |f: &StaleEvents| {
            let t = f.log.lock().expect("lock");
            (t.quiet_until_ms, t.unlogged)
        };
        assert_eq!(state(&filter), (60_000, 198), "counted, not logged");
        filter.note(1, 0, 0, 60_000);
        assert_eq!(state(&filter), (120_000, 0), "logged with the count");
    }
}

//! Refusals before authentication: counted in metrics every time, logged
//! once, then summarised once a minute, so a flood of forged webhooks (or of
//! failed accepts) cannot flood the journal.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::metrics::Metrics;

/// How often suppressed lines are summarised.
pub(super) const SUMMARY_INTERVAL: Duration = Duration::from_secs(60);

/// Why a request or a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    LineUnsigned,
    LineSignature,
    KintoneToken,
    RelayToken,
    /// `/api/notify` or `/api/status` without a known bearer token.
    NotifyToken,
    /// Not a request: `accept()` failed (out of file descriptors, usually).
    Accept,
}

impl Refusal {
    const ALL: [Refusal; 6] = [
        Refusal::LineUnsigned,
        Refusal::LineSignature,
        Refusal::KintoneToken,
        Refusal::RelayToken,
        Refusal::NotifyToken,
        Refusal::Accept,
    ];

    fn what(self) -> &'static str {
        match self {
            Refusal::LineUnsigned => "LINE webhook without x-line-signature refused",
            Refusal::LineSignature => "LINE webhook with a wrong signature refused",
            Refusal::KintoneToken => "kintone webhook with an unknown path token refused",
            Refusal::RelayToken => "webhook with a missing or wrong x-relay-token refused",
            Refusal::NotifyToken => "/api request without a known bearer token refused",
            Refusal::Accept => "accept failed; backing off (out of file descriptors?)",
        }
    }

    fn counter(self, m: &Metrics) -> &AtomicU64 {
        let a = &m.auth_refused;
        match self {
            Refusal::LineUnsigned => &a.line_unsigned,
            Refusal::LineSignature => &a.line_signature,
            Refusal::KintoneToken => &a.kintone_token,
            Refusal::RelayToken => &a.relay_token,
            Refusal::NotifyToken => &a.notify_token,
            Refusal::Accept => &m.accept_errors,
        }
    }
}

/// One kind of line: the first is logged, the rest counted until the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Throttle {
    /// A line was logged in the current interval.
    logged: bool,
    suppressed: u64,
}

impl Throttle {
    /// Whether this occurrence is logged in full.
    fn note(&mut self) -> bool {
        if self.logged {
            self.suppressed += 1;
            false
        } else {
            self.logged = true;
            true
        }
    }

    /// The count to summarise at the end of an interval; a quiet interval
    /// lets the next occurrence be logged in full again.
    fn end_interval(&mut self) -> Option<u64> {
        let n = std::mem::take(&mut self.suppressed);
        self.logged = n > 0;
        (n > 0).then_some(n)
    }
}

/// Counts and logs refusals.
pub(super) struct Guard {
    metrics: Arc<Metrics>,
    throttles: Mutex<[Throttle; Refusal::ALL.len()]>,
}

impl Guard {
    pub(super) fn new(metrics: Arc<Metrics>) -> Guard {
        Guard {
            metrics,
            throttles: Mutex::new([Throttle::default(); Refusal::ALL.len()]),
        }
    }

    fn throttles(&self) -> std::sync::MutexGuard<'_, [Throttle; Refusal::ALL.len()]> {
        // A count is still right after a panic elsewhere.
        self.throttles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts `why`; logs it unless a line for it went out this interval.
    pub(super) fn refused(&self, why: Refusal, detail: Option<&dyn std::fmt::Display>) {
        why.counter(&self.metrics).fetch_add(1, Ordering::Relaxed);
        let index = Refusal::ALL.iter().position(|r| *r == why).unwrap_or(0);
        if self.throttles()[index].note() {
            match detail {
                Some(d) => {
                    tracing::warn!(detail = %d, "{}; further ones are summarised once a minute", why.what())
                }
                None => tracing::warn!("{}; further ones are summarised once a minute", why.what()),
            }
        }
    }

    /// Logs one line per kind with the occurrences not logged this interval.
    pub(super) fn summarise(&self) {
        let counts: Vec<(Refusal, Option<u64>)> = {
            let mut t = self.throttles();
            Refusal::ALL
                .iter()
                .zip(t.iter_mut())
                .map(|(r, t)| (*r, t.end_interval()))
                .collect()
        };
        for (why, n) in counts {
            if let Some(n) = n {
                tracing::warn!(count = n, "{n} more in the last minute: {}", why.what());
            }
        }
    }

    /// Summarises every [`SUMMARY_INTERVAL`] until `stop`.
    pub(super) async fn run_summaries(self: Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        let mut tick = tokio::time::interval(SUMMARY_INTERVAL);
        tick.tick().await;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => self.summarise(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_one_line_then_one_summary_per_interval() {
        let mut t = Throttle::default();
        assert!(t.note(), "the first is logged");
        assert!((0..999).all(|_| !t.note()), "the rest are only counted");
        assert_eq!(t.end_interval(), Some(999));
        // Still flooding: the next interval is summarised, not logged anew.
        assert!(!t.note());
        assert_eq!(t.end_interval(), Some(1));
        // A quiet interval: the next one is news again.
        assert_eq!(t.end_interval(), None);
        assert!(t.note());
    }

    #[test]
    fn every_refusal_is_counted_by_reason() {
        let guard = Guard::new(Arc::new(Metrics::default()));
        for _ in 0..3 {
            guard.refused(Refusal::KintoneToken, None);
        }
        guard.refused(Refusal::LineSignature, None);
        let text = guard.metrics.render();
        assert!(text.contains("klg_auth_refused_total{reason=\"kintone_token\"} 3\n"));
        assert!(text.contains("klg_auth_refused_total{reason=\"line_signature\"} 1\n"));
        assert!(text.contains("klg_auth_refused_total{reason=\"line_unsigned\"} 0\n"));
    }
}

//! Counters for `GET /metrics` (Prometheus text format) and the status line.
//!
//! Plain atomics rendered by hand: the set is small and fixed, and this keeps
//! a metrics library out of the board's binary.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Every counter the gateway keeps. Gauges are `AtomicI64`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub line_events: AtomicU64,
    pub line_duplicates: AtomicU64,
    pub kintone_webhooks: AtomicU64,
    pub kintone_polled: AtomicU64,
    pub acks: AtomicU64,
    pub ack_failures: AtomicU64,
    pub replies: AtomicU64,
    pub fallbacks: AtomicU64,
    pub notifications: AtomicU64,
    pub pushes: AtomicU64,
    /// Messages counted against the monthly quota (one per recipient per request).
    pub quota_messages: AtomicU64,
    pub retries: AtomicU64,
    pub dead_letters: AtomicU64,
    pub kintone_requests: AtomicU64,
    pub pending_acks: AtomicI64,
    pub outbox_pending: AtomicI64,
    /// 0 off, 1 on (pending), 2 trouble.
    pub indicator_state: AtomicI64,
    /// 1 while the indicator hardware is failing (it is being retried).
    pub indicator_fault: AtomicI64,
    pub last_push_ms: AtomicI64,
    /// 1 while LINE / kintone calls keep failing.
    pub line_down: AtomicI64,
    pub kintone_down: AtomicI64,
    /// 1 while the monthly quota is exhausted.
    pub quota_exhausted: AtomicI64,
}

impl Metrics {
    /// Renders the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP klg_{name} {help}\n# TYPE klg_{name} counter\nklg_{name}_total {v}"
            );
        };
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            "line_events",
            "LINE webhook events stored",
            c(&self.line_events),
        );
        counter(
            "line_duplicate_events",
            "LINE events already stored (redeliveries)",
            c(&self.line_duplicates),
        );
        counter(
            "kintone_webhooks",
            "kintone webhooks taken in",
            c(&self.kintone_webhooks),
        );
        counter(
            "kintone_polled_records",
            "records seen by polling",
            c(&self.kintone_polled),
        );
        counter("acks", "acknowledgements written back", c(&self.acks));
        counter(
            "ack_failures",
            "acknowledgements that could not be written back",
            c(&self.ack_failures),
        );
        counter(
            "replies",
            "Reply API calls that succeeded",
            c(&self.replies),
        );
        counter(
            "deadline_fallbacks",
            "answers that missed the reply deadline",
            c(&self.fallbacks),
        );
        counter(
            "notifications",
            "notifications created from kintone changes",
            c(&self.notifications),
        );
        counter(
            "pushes",
            "push and multicast requests accepted",
            c(&self.pushes),
        );
        counter(
            "quota_messages",
            "messages counted against the monthly quota",
            c(&self.quota_messages),
        );
        counter("retries", "retried outside calls", c(&self.retries));
        counter(
            "dead_letters",
            "push requests given up",
            c(&self.dead_letters),
        );
        counter(
            "kintone_requests",
            "kintone REST requests made",
            c(&self.kintone_requests),
        );
        let mut gauge = |name: &str, help: &str, v: i64| {
            let _ = writeln!(
                out,
                "# HELP klg_{name} {help}\n# TYPE klg_{name} gauge\nklg_{name} {v}"
            );
        };
        let g = |a: &AtomicI64| a.load(Ordering::Relaxed);
        gauge(
            "pending_acks",
            "notifications not yet acknowledged",
            g(&self.pending_acks),
        );
        gauge(
            "outbox_pending",
            "push requests waiting",
            g(&self.outbox_pending),
        );
        gauge(
            "indicator_state",
            "0 off, 1 pending, 2 trouble",
            g(&self.indicator_state),
        );
        gauge(
            "indicator_fault",
            "1 while the indicator hardware is failing",
            g(&self.indicator_fault),
        );
        gauge(
            "line_down",
            "1 while LINE calls keep failing",
            g(&self.line_down),
        );
        gauge(
            "kintone_down",
            "1 while kintone calls keep failing",
            g(&self.kintone_down),
        );
        gauge(
            "quota_exhausted",
            "1 while the monthly message quota is used up",
            g(&self.quota_exhausted),
        );
        out.push_str("# EOF\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_gauges() {
        let m = Metrics::default();
        m.replies.fetch_add(3, Ordering::Relaxed);
        m.pending_acks.store(2, Ordering::Relaxed);
        let text = m.render();
        assert!(text.contains("# TYPE klg_replies counter\nklg_replies_total 3\n"));
        assert!(text.contains("klg_pending_acks 2\n"));
        assert!(text.ends_with("# EOF\n"));
    }
}

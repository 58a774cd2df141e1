//! Counters for `GET /metrics` (Prometheus text format) and the status line.
//!
//! Plain atomics rendered by hand: the set is small and fixed, and this keeps
//! a metrics library out of the board's binary.

mod chains;

pub use chains::ChainMetrics;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

mod contact;
pub use contact::{AppContacts, Contact, Contacts, Observed, Seen};

/// kintone counts requests per app per day and its day starts at 09:00 JST,
/// which is 00:00 UTC: the kintone day is the UTC date.
const DAY_MS: i64 = 86_400_000;

/// kintone REST requests per app in the current kintone day (counted by the
/// client on every request, whatever made it; saved in the store so a
/// restart does not forget the morning's requests).
#[derive(Debug, Default)]
pub struct KintoneUsage {
    inner: Mutex<Usage>,
    total: AtomicU64,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// Days since the epoch (UTC).
    pub day: i64,
    pub per_app: BTreeMap<u64, u64>,
}

impl KintoneUsage {
    fn lock(&self) -> std::sync::MutexGuard<'_, Usage> {
        // A counter is still right after a panic elsewhere: keep counting.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One request to `app` at `now_ms`.
    pub fn count(&self, app: u64, now_ms: i64) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut u = self.lock();
        roll(&mut u, now_ms);
        *u.per_app.entry(app).or_default() += 1;
    }

    /// Requests since the start.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Requests per app so far in the kintone day of `now_ms`.
    pub fn today(&self, now_ms: i64) -> Usage {
        let mut u = self.lock();
        roll(&mut u, now_ms);
        u.clone()
    }

    /// Adds what an earlier run counted, if it was the same day.
    pub fn restore(&self, saved: &Usage, now_ms: i64) {
        let mut u = self.lock();
        roll(&mut u, now_ms);
        if saved.day == u.day {
            for (app, n) in &saved.per_app {
                *u.per_app.entry(*app).or_default() += n;
            }
        }
    }
}

fn roll(u: &mut Usage, now_ms: i64) {
    let day = now_ms.div_euclid(DAY_MS);
    if u.day != day {
        u.day = day;
        u.per_app.clear();
    }
}

/// Refused requests, one counter per reason (`klg_auth_refused_total{reason=…}`).
#[derive(Debug, Default)]
pub struct AuthRefused {
    /// LINE webhook without `x-line-signature`.
    pub line_unsigned: AtomicU64,
    /// LINE webhook whose signature does not match.
    pub line_signature: AtomicU64,
    /// kintone webhook with an unknown path token.
    pub kintone_token: AtomicU64,
    /// Missing or wrong `x-relay-token`.
    pub relay_token: AtomicU64,
    /// `/api/notify` or `/api/status` without a known bearer token.
    pub notify_token: AtomicU64,
}

impl AuthRefused {
    /// Each reason's label and count, in a fixed order.
    pub fn by_reason(&self) -> [(&'static str, u64); 5] {
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
        [
            ("line_unsigned", c(&self.line_unsigned)),
            ("line_signature", c(&self.line_signature)),
            ("kintone_token", c(&self.kintone_token)),
            ("relay_token", c(&self.relay_token)),
            ("notify_token", c(&self.notify_token)),
        ]
    }
}

/// Rows removed by the retention pruner, per table label
/// (`klg_pruned_rows_total{table=…}`; a table appears once it lost rows).
#[derive(Debug, Default)]
pub struct Pruned {
    by_table: Mutex<BTreeMap<&'static str, u64>>,
}

impl Pruned {
    /// Counts `n` rows removed from `table`.
    pub fn add(&self, table: &'static str, n: u64) {
        let mut t = self
            .by_table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *t.entry(table).or_default() += n;
    }

    /// Each table's count so far.
    pub fn by_table(&self) -> BTreeMap<&'static str, u64> {
        self.by_table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Every counter the gateway keeps. Gauges are `AtomicI64`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub line_events: AtomicU64,
    pub line_duplicates: AtomicU64,
    /// LINE events older than the dedup window, answered 200 and dropped.
    pub line_stale_events: AtomicU64,
    /// Rows the retention pruner removed, by table.
    pub pruned: Pruned,
    pub kintone_webhooks: AtomicU64,
    pub kintone_polled: AtomicU64,
    /// Changes found to be the gateway's own write-backs (nobody told).
    pub kintone_echoes: AtomicU64,
    /// Changes held while a write-back to their record was unanswered.
    pub kintone_held: AtomicU64,
    pub acks: AtomicU64,
    pub ack_failures: AtomicU64,
    /// Taps refused: unknown notification, or not sent to the person.
    pub ack_refused: AtomicU64,
    /// Outcomes told by push after an early Reply.
    pub ack_late_pushes: AtomicU64,
    /// Other recipients told who acknowledged (`tell_others`), one each.
    pub ack_told_others: AtomicU64,
    pub replies: AtomicU64,
    pub fallbacks: AtomicU64,
    pub notifications: AtomicU64,
    pub pushes: AtomicU64,
    /// Messages counted against the monthly quota (one per recipient per request).
    pub quota_messages: AtomicU64,
    pub retries: AtomicU64,
    pub dead_letters: AtomicU64,
    /// Notifications whose recipients resolved to nobody.
    pub undeliverable: AtomicU64,
    /// Requests refused before anyone was authenticated, by reason.
    pub auth_refused: AuthRefused,
    /// `accept()` failures (EMFILE and the like); the server backs off.
    pub accept_errors: AtomicU64,
    /// Requests answered 503 because every body-read permit was taken.
    pub busy_refused: AtomicU64,
    /// Request bodies being read or handled now (at most `max_body_reads`).
    pub body_reads: AtomicI64,
    /// Store probes `GET /healthz` ran (shared between callers, one a second at most).
    pub health_probes: AtomicU64,
    /// Requests per app today (kintone allows 10,000 per app per day).
    pub kintone_usage: std::sync::Arc<KintoneUsage>,
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
    /// LINE's monthly message limit at the last quota check (0: not checked
    /// yet, -1: no limit) and what it said was used then (the web page).
    pub quota_limit: AtomicI64,
    pub quota_used: AtomicI64,
    /// 1 while the store's file is gone or replaced, or writes to it fail.
    pub store_down: AtomicI64,
    /// What the clients last saw of LINE and kintone (for `status`).
    pub line_contact: std::sync::Arc<Contact>,
    pub kintone_contact: std::sync::Arc<Contact>,
    /// The same, app by app (the web page's Health).
    pub kintone_apps: std::sync::Arc<AppContacts>,
    /// The Pub/Sub pull transport.
    pub pubsub: PubsubMetrics,
    /// Reminders and escalations.
    pub chains: ChainMetrics,
}

/// Counters of the Pub/Sub pull transport (rendered only once it pulled or
/// failed, so an HTTP-only board's metrics stay as they were).
#[derive(Debug, Default)]
pub struct PubsubMetrics {
    pub pulled: AtomicU64,
    pub acked: AtomicU64,
    /// Handed back for redelivery (the handler failed, 5xx).
    pub nacked: AtomicU64,
    /// Refused by the handler (4xx) and acknowledged.
    pub refused: AtomicU64,
    /// Another site's, acknowledged untouched.
    pub foreign_site: AtomicU64,
    /// Answers too large to read (many large messages): the next pulls
    /// take one message at a time.
    pub too_large: AtomicU64,
    /// Age of the oldest message in the last batch, 0 once none waits.
    pub oldest_unacked_age_s: AtomicI64,
    /// 1 while pulls keep failing.
    pub down: AtomicI64,
    /// 1 once the transport runs.
    pub running: AtomicI64,
}

impl PubsubMetrics {
    fn render(&self, out: &mut String) {
        if self.running.load(Ordering::Relaxed) == 0 {
            return;
        }
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
        for (name, help, v) in [
            ("pulled", "messages pulled", c(&self.pulled)),
            ("acked", "messages acknowledged", c(&self.acked)),
            (
                "nacked",
                "messages handed back for redelivery",
                c(&self.nacked),
            ),
            (
                "refused",
                "messages refused (4xx) and acknowledged",
                c(&self.refused),
            ),
            (
                "foreign_site",
                "messages for another site, acknowledged untouched",
                c(&self.foreign_site),
            ),
            (
                "answers_too_large",
                "answers too large to read (then one message a pull)",
                c(&self.too_large),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP klg_pubsub_{name} Pub/Sub {help}\n# TYPE klg_pubsub_{name} counter\nklg_pubsub_{name}_total {v}"
            );
        }
        let g = |a: &AtomicI64| a.load(Ordering::Relaxed);
        for (name, help, v) in [
            (
                "oldest_unacked_age_seconds",
                "age of the oldest message in the last pulled batch",
                g(&self.oldest_unacked_age_s),
            ),
            (
                "down",
                "1 while pulling from Pub/Sub keeps failing",
                g(&self.down),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP klg_pubsub_{name} {help}\n# TYPE klg_pubsub_{name} gauge\nklg_pubsub_{name} {v}"
            );
        }
    }
}

impl Metrics {
    /// What the clients have seen of LINE and kintone so far.
    pub fn contacts(&self) -> Contacts {
        Contacts {
            line: self.line_contact.observed(),
            kintone: self.kintone_contact.observed(),
        }
    }

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
            "line_stale_events",
            "LINE events older than the deduplication window, answered and dropped",
            c(&self.line_stale_events),
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
        counter(
            "kintone_echoes",
            "kintone changes that were the gateway's own write-backs",
            c(&self.kintone_echoes),
        );
        counter(
            "kintone_held_changes",
            "kintone changes held until a write-back to their record was answered",
            c(&self.kintone_held),
        );
        counter("acks", "acknowledgements written back", c(&self.acks));
        counter(
            "ack_failures",
            "acknowledgements that could not be written back",
            c(&self.ack_failures),
        );
        counter(
            "ack_refused",
            "taps not written back: unknown notification, or one not sent to the person",
            c(&self.ack_refused),
        );
        counter(
            "ack_late_pushes",
            "acknowledgement outcomes told by push after an early Reply",
            c(&self.ack_late_pushes),
        );
        counter(
            "ack_told_others",
            "other recipients told who acknowledged (tell_others), one message each",
            c(&self.ack_told_others),
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
            "undeliverable",
            "notifications whose recipients resolved to nobody (see `outbox`)",
            c(&self.undeliverable),
        );
        counter(
            "kintone_requests",
            "kintone REST requests made",
            self.kintone_usage.total(),
        );
        counter(
            "accept_errors",
            "failed accepts (EMFILE and the like); the server backed off",
            c(&self.accept_errors),
        );
        counter(
            "busy_refused",
            "requests answered 503 while every body-read permit was taken",
            c(&self.busy_refused),
        );
        counter(
            "health_store_probes",
            "store probes run for GET /healthz",
            c(&self.health_probes),
        );
        let _ = writeln!(
            out,
            "# HELP klg_auth_refused requests refused before authentication, by reason\n# TYPE klg_auth_refused counter"
        );
        for (reason, n) in self.auth_refused.by_reason() {
            let _ = writeln!(out, "klg_auth_refused_total{{reason=\"{reason}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP klg_pruned_rows rows removed by the retention pruner, by table\n# TYPE klg_pruned_rows counter"
        );
        for (table, n) in self.pruned.by_table() {
            let _ = writeln!(out, "klg_pruned_rows_total{{table=\"{table}\"}} {n}");
        }
        let today = self.kintone_usage.today(crate::clock::now_ms());
        let _ = writeln!(
            out,
            "# HELP klg_kintone_requests_today kintone REST requests per app since 00:00 UTC (09:00 JST, when kintone's daily count resets)\n# TYPE klg_kintone_requests_today gauge"
        );
        for (app, n) in &today.per_app {
            let _ = writeln!(out, "klg_kintone_requests_today{{app=\"{app}\"}} {n}");
        }
        let mut gauge = |name: &str, help: &str, v: i64| {
            let _ = writeln!(
                out,
                "# HELP klg_{name} {help}\n# TYPE klg_{name} gauge\nklg_{name} {v}"
            );
        };
        let g = |a: &AtomicI64| a.load(Ordering::Relaxed);
        gauge(
            "body_reads",
            "request bodies being read or handled now",
            g(&self.body_reads),
        );
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
        gauge(
            "store_down",
            "1 while the store's file is gone or replaced, or writes to it fail",
            g(&self.store_down),
        );
        self.pubsub.render(&mut out);
        self.chains.render(&mut out);
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

    #[test]
    fn kintone_usage_is_per_app_and_per_kintone_day() {
        let u = KintoneUsage::default();
        // 2026-11-25 08:59 JST is still the previous kintone day.
        let before_reset = 1_795_996_740_000; // 2026-11-24T23:59:00Z
        u.count(42, before_reset);
        u.count(42, before_reset);
        u.count(7, before_reset);
        let day = u.today(before_reset);
        assert_eq!(day.per_app, BTreeMap::from([(7, 1), (42, 2)]));
        // 09:00 JST: kintone's count starts again.
        let after_reset = before_reset + 60_000;
        assert!(u.today(after_reset).per_app.is_empty());
        u.count(42, after_reset);
        // A restart the same day adds what the last run counted; an old
        // day's count is dropped.
        let fresh = KintoneUsage::default();
        fresh.restore(&u.today(after_reset), after_reset + 1);
        fresh.restore(&day, after_reset + 1);
        fresh.count(42, after_reset + 2);
        assert_eq!(
            fresh.today(after_reset + 3).per_app,
            BTreeMap::from([(42, 2)])
        );
        let m = Metrics::default();
        m.kintone_usage.count(42, crate::clock::now_ms());
        assert!(m
            .render()
            .contains("klg_kintone_requests_today{app=\"42\"} 1\n"));
    }
}

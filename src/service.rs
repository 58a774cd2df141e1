//! Talking to systemd: `READY=1` once the listener is bound and the store is
//! open, `WATCHDOG=1` only while the gateway is really making progress, a
//! one-line `STATUS=`, `RELOADING=1` … `READY=1` around a reload (SIGHUP),
//! and `STOPPING=1`.
//!
//! The watchdog is not a free-running timer: each ping needs a store write
//! that commits in time and every worker loop having ticked recently. A hung
//! store or a stuck worker stops the pings, and systemd restarts the service.
//! Outside systemd (no `NOTIFY_SOCKET`) every call here is a no-op.
//!
//! What `STATUS=` says is in the config's language (`words`); the log stays
//! English.

pub mod pace;
mod stall;
mod status;
mod words;

use stall::healthy;
pub use status::{refused_line, reloaded_line, status_line, Locale};

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::text::Language;

/// When each worker loop last went round (ms since the epoch).
#[derive(Debug, Default)]
pub struct Heartbeats {
    pub ack: AtomicI64,
    pub changes: AtomicI64,
    pub outbox: AtomicI64,
    /// The Pub/Sub pull loop (0 when it does not run).
    pub pull: AtomicI64,
}

impl Heartbeats {
    /// Records a tick of a loop.
    pub fn tick(beat: &AtomicI64) {
        beat.store(now_ms(), Ordering::Relaxed);
    }

    /// The name of a loop that has not ticked within `max_age`, if any.
    pub fn stalled(&self, max_age: Duration) -> Option<&'static str> {
        let limit = now_ms() - i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        [
            ("ack", &self.ack),
            ("changes", &self.changes),
            ("outbox", &self.outbox),
            ("Pub/Sub pull", &self.pull),
        ]
        .into_iter()
        .find(|(_, b)| {
            let t = b.load(Ordering::Relaxed);
            t != 0 && t < limit
        })
        .map(|(n, _)| n)
    }
}

/// Tells systemd a reload has begun (`RELOADING=1` with the
/// `MONOTONIC_USEC=` systemd matches it by); [`ready`] ends it.
pub fn reloading(language: Language) {
    let mut states = vec![
        NotifyState::Reloading,
        NotifyState::Status(words::RELOADING.in_(language)),
    ];
    if let Ok(now) = NotifyState::monotonic_usec_now() {
        states.push(now);
    }
    let _ = sd_notify::notify(&states);
}

/// Tells systemd we are ready (call once the listener and store are up).
pub fn ready(status: &str) {
    let _ = sd_notify::notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Tells systemd we are stopping.
pub fn stopping(language: Language) {
    let status = words::STOPPING.in_(language);
    let _ = sd_notify::notify(&[NotifyState::Stopping, NotifyState::Status(status)]);
}

/// Pings the watchdog (if systemd enabled one) at half its interval while
/// the gateway makes progress, and refreshes `STATUS=` (saving it for
/// `status` as [`Saved`] says). Runs until `shutdown`.
pub async fn watchdog(
    store: Store,
    metrics: Arc<Metrics>,
    beats: Arc<Heartbeats>,
    locale: Locale,
    shutdown: CancellationToken,
) {
    let interval = sd_notify::watchdog_enabled();
    let period = interval.map_or(Duration::from_secs(10), |i| i / 2);
    let mut ticker = tokio::time::interval(period);
    let mut saved = Saved::default();
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        // One look at the file for the status line and the ping both: two
        // could disagree when it goes between them.
        let file = store.file_check();
        let store_trouble = file
            .clone()
            .err()
            .map(|lost| lost.to_string())
            .or_else(|| store.health().write_failure());
        metrics
            .store_down
            .store(i64::from(store_trouble.is_some()), Ordering::Relaxed);
        let status = status_line(&metrics, &locale);
        // Decide and tell systemd first: saving below waits on the store,
        // which is exactly what may be hanging.
        if let Some(interval) = interval {
            match healthy(&store, &beats, interval, file).await {
                Ok(()) => {
                    let _ =
                        sd_notify::notify(&[NotifyState::Watchdog, NotifyState::Status(&status)]);
                }
                Err(why) => {
                    let reason = why.said(Language::En);
                    tracing::error!(%reason, "not making progress: withholding the watchdog ping");
                    let why = why.said(locale.language);
                    let args = [("why", why.as_str()), ("status", &status)];
                    let line = words::STALLED.fill(locale.language, &args);
                    let _ = sd_notify::notify(&[NotifyState::Status(&line)]);
                }
            }
        } else {
            let _ = sd_notify::notify(&[NotifyState::Status(&status)]);
        }
        let (usage, contacts, now) = (
            metrics.kintone_usage.today(now_ms()),
            metrics.contacts(),
            now_ms(),
        );
        if !saved.due(&status, &usage, &contacts, now) {
            continue;
        }
        let report = (status.clone(), usage.clone(), contacts.clone());
        match store.save_report(status, usage, contacts, now).await {
            Ok(()) => {
                saved = Saved {
                    last: Some(report),
                    at_ms: now,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not save the status line and today's kintone request counts")
            }
        }
    }
}

/// How long a status line whose words did not change waits to be saved
/// again with its new numbers (today's kintone requests, the last push).
const RESAVE_AFTER_MS: i64 = 10 * 60 * 1000;

/// What the watchdog last saved for `kintone-line-gateway status`. Each save
/// is a commit, on an SD card a few blocks: saved at once when the line's
/// words change (a service failing or back, the store, the quota, the
/// indicator), otherwise at most every [`RESAVE_AFTER_MS`] and only if a
/// number moved. `status` prints the line with the time it was saved.
#[derive(Default)]
struct Saved {
    last: Option<(String, crate::metrics::Usage, crate::metrics::Contacts)>,
    at_ms: i64,
}

impl Saved {
    fn due(
        &self,
        line: &str,
        usage: &crate::metrics::Usage,
        contacts: &crate::metrics::Contacts,
        now_ms: i64,
    ) -> bool {
        let Some((l, u, c)) = &self.last else {
            return true;
        };
        if words(l) != words(line) {
            return true;
        }
        (l != line || u != usage || c != contacts) && now_ms - self.at_ms >= RESAVE_AFTER_MS
    }
}

/// The status line without its numbers: each run of digits one `#`.
fn words(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for ch in line.chars() {
        if !ch.is_ascii_digit() {
            out.push(ch);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

/// The last word, for `kintone-line-gateway status` while stopped: saved
/// once every task has finished, with the counts read from the store.
pub async fn save_final_status(store: &Store, metrics: &Metrics, locale: &Locale) {
    if let Ok(s) = store.summary().await {
        crate::store::notifications::show_pending_acks(metrics, s.pending_acks);
        metrics
            .outbox_pending
            .store(s.outbox_pending, Ordering::Relaxed);
    }
    let status = status_line(metrics, locale);
    let status = words::STOPPED.fill(locale.language, &[("status", &status)]);
    let usage = metrics.kintone_usage.today(now_ms());
    if let Err(e) = store
        .save_report(status, usage, metrics.contacts(), now_ms())
        .await
    {
        tracing::warn!(error = %e, "could not save the final status line");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalled_loops_are_named() {
        let b = Heartbeats::default();
        assert_eq!(b.stalled(Duration::from_secs(1)), None);
        Heartbeats::tick(&b.ack);
        b.outbox.store(now_ms() - 10_000, Ordering::Relaxed);
        assert_eq!(b.stalled(Duration::from_secs(5)), Some("outbox"));
    }

    #[test]
    fn the_report_is_saved_when_its_words_change_and_its_numbers_rarely() {
        let (usage, contacts) = (
            crate::metrics::Usage::default(),
            crate::metrics::Contacts::default(),
        );
        let line = "0 pending ack(s), LINE ok, kintone ok (12 requests today)";
        let mut saved = Saved::default();
        assert!(
            saved.due(line, &usage, &contacts, 1_000),
            "nothing saved yet"
        );
        saved = Saved {
            last: Some((line.into(), usage.clone(), contacts.clone())),
            at_ms: 1_000,
        };
        assert!(
            !saved.due(line, &usage, &contacts, 2_000_000),
            "nothing moved"
        );
        let counted = "0 pending ack(s), LINE ok, kintone ok (130 requests today)";
        assert!(!saved.due(counted, &usage, &contacts, 1_000 + RESAVE_AFTER_MS - 1));
        assert!(saved.due(counted, &usage, &contacts, 1_000 + RESAVE_AFTER_MS));
        let failing = "0 pending ack(s), LINE failing, kintone ok (12 requests today)";
        assert!(
            saved.due(failing, &usage, &contacts, 1_001),
            "a word changed: at once"
        );
    }
}

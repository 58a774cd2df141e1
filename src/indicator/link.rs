//! The indicator's link to the rest of the gateway: reads the store and the
//! health gauges into a [`Snapshot`], forwards new notifications, and runs
//! panel acknowledgements — so the indicator task itself never waits on the
//! store or on kintone.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::panel::Panel;
use super::{IndicatorHandle, PanelRequest, Snapshot};
use crate::acknowledge::AckEvent;
use crate::metrics::Metrics;
use crate::notify::NotifyEvent;
use crate::store::notifications::NotificationState;
use crate::store::Store;

/// How often the snapshot is refreshed when nothing happens (the health
/// gauges change without events).
pub const REFRESH: Duration = Duration::from_secs(2);
/// Acknowledgements re-read the store at most this often: a burst of taps
/// (thousands a second at the gateway's peak) costs one snapshot per gap, and
/// the light clears no later than this after the last of them.
const ACK_GAP: Duration = Duration::from_millis(10);
/// Panel write-backs kintone could not take are retried this many times.
const PANEL_ATTEMPTS: u32 = 8;

/// Panel acknowledgements waiting for another try.
struct Retry {
    items: Vec<NotificationState>,
    attempt: u32,
    at: tokio::time::Instant,
}

/// What the link task listens to.
pub struct Link {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub indicator: IndicatorHandle,
    pub notifications: broadcast::Receiver<NotifyEvent>,
    pub acks: broadcast::Receiver<AckEvent>,
    pub requests: mpsc::Receiver<PanelRequest>,
    pub panel: Panel,
}

/// Reads the current state of things.
pub async fn snapshot(store: &Store, metrics: &Metrics) -> Snapshot {
    let flag = |a: &AtomicI64| a.load(Ordering::Relaxed) != 0;
    let mut s = Snapshot {
        line_down: flag(&metrics.line_down),
        kintone_down: flag(&metrics.kintone_down),
        pubsub_down: flag(&metrics.pubsub.down),
        quota_exhausted: flag(&metrics.quota_exhausted),
        ..Snapshot::default()
    };
    match store.pending_and_dead_letters().await {
        Ok((pending, dead)) => {
            s.pending = pending;
            s.dead_letters = dead;
        }
        Err(e) => {
            tracing::warn!(error = %e, "indicator: cannot read the store");
            s.store_error = true;
        }
    }
    s.store_error |= store.health().failing.load(Ordering::Relaxed) != 0;
    s
}

impl Link {
    /// One panel round; what is left to retry, if anything.
    async fn acknowledge(&self, items: Vec<NotificationState>, attempt: u32) -> Option<Retry> {
        let left = self.panel.acknowledge(items).await.retry;
        if left.is_empty() {
            return None;
        }
        let attempt = attempt + 1;
        if attempt >= PANEL_ATTEMPTS {
            tracing::error!(
                left = left.len(),
                "panel acknowledgement gave up; those notifications stay pending (press again)"
            );
            return None;
        }
        let at = tokio::time::Instant::now() + crate::retry::default_backoff(attempt);
        Some(Retry {
            items: left,
            attempt,
            at,
        })
    }

    /// Runs until `shutdown`.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(REFRESH);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut notify_open, mut acks_open) = (true, true);
        let mut retry: Option<Retry> = None;
        let mut last = tokio::time::Instant::now();
        loop {
            let retry_at = retry.as_ref().map(|r| r.at);
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
                ev = self.notifications.recv(), if notify_open => match ev {
                    Ok(NotifyEvent::Created { buzz, .. }) => self.indicator.notified(buzz).await,
                    // Missed events: still sound once for them.
                    Err(RecvError::Lagged(_)) => self.indicator.notified(true).await,
                    Err(RecvError::Closed) => notify_open = false,
                },
                ev = self.acks.recv(), if acks_open => {
                    // One snapshot for everything acknowledged meanwhile: a
                    // burst of taps must not cost a store read each.
                    let since = last.elapsed();
                    if since < ACK_GAP {
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            () = tokio::time::sleep(ACK_GAP - since) => {}
                        }
                    }
                    let mut closed = matches!(ev, Err(RecvError::Closed));
                    while !closed {
                        match self.acks.try_recv() {
                            Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Closed) => closed = true,
                        }
                    }
                    acks_open = !closed;
                }
                Some(PanelRequest::AcknowledgeAll) = self.requests.recv() => {
                    match self.panel.pending().await {
                        Ok(items) => retry = self.acknowledge(items, 0).await,
                        Err(e) => tracing::error!(error = %e, "panel: cannot read pending notifications"),
                    }
                }
                () = tokio::time::sleep_until(retry_at.unwrap_or_else(tokio::time::Instant::now)), if retry_at.is_some() => {
                    if let Some(r) = retry.take() {
                        retry = self.acknowledge(r.items, r.attempt).await;
                    }
                }
            }
            last = tokio::time::Instant::now();
            let s = snapshot(&self.store, &self.metrics).await;
            crate::store::notifications::show_pending_acks(&self.metrics, s.pending);
            self.indicator.snapshot(s).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn snapshot_reads_pending_open_dead_letters_and_gauges() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .call(|c| {
                c.execute_batch(
                    "INSERT INTO notifications(id, app, record, rule, to_value, revision, created_ms)
                       VALUES ('n1', 1, 5, 'r', 'Urgent', 3, 1), ('n2', 1, 6, 'r', 'Urgent', 3, 2);
                     INSERT INTO outbox(id, retry_key, recipients, messages, message_count, state, created_ms)
                       VALUES (1, 'k1', '[]', '[]', 1, 'dead', 1), (2, 'k2', '[]', '[]', 1, 'sent', 1);
                     INSERT INTO deliveries(notification, recipient, created_ms, push_id)
                       VALUES ('n1', 'U1', 1, 1), ('n2', 'U1', 1, 2);",
                )?;
                Ok(())
            })
            .await
            .unwrap();
        let metrics = Metrics::default();
        metrics.kintone_down.store(1, Ordering::Relaxed);
        let s = snapshot(&store, &metrics).await;
        assert_eq!(
            s,
            Snapshot {
                pending: 2,
                kintone_down: true,
                dead_letters: 1,
                ..Snapshot::default()
            }
        );
        // Acknowledging the dead-lettered notification clears the trouble.
        store
            .call(|c| {
                c.execute("UPDATE notifications SET acked_ms = 9 WHERE id = 'n1'", [])?;
                Ok(())
            })
            .await
            .unwrap();
        metrics.kintone_down.store(0, Ordering::Relaxed);
        let s = snapshot(&store, &metrics).await;
        assert_eq!(
            s,
            Snapshot {
                pending: 1,
                ..Snapshot::default()
            }
        );
    }
}

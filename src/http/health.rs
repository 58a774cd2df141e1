//! `GET /healthz`: the store probe ([`Store::probe`]) takes the writer's
//! lock and commits an empty transaction, which writes nothing to the SD
//! card; it still runs at most once a [`PROBE_REUSE`]: callers in between get
//! the last answer, and callers during a probe wait for it and share it.
//!
//! What the store already knows is never hidden by that reuse: a deleted or
//! replaced database file, or a write the disk refused a moment ago, makes
//! the very next answer unhealthy. While writes fail, the probe is one that
//! needs new pages ([`Store::probe_room`]), so it passes only once there is
//! room again.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::metrics::Metrics;
use crate::store::Store;

/// How long one probe's answer is reused.
pub(super) const PROBE_REUSE: Duration = Duration::from_secs(1);

/// Longest a probe may take before the store counts as not answering.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The store's health as the last probe found it.
pub(super) type Health = Result<(), String>;

/// One shared, recent store probe.
pub(super) struct HealthProbe {
    reuse: Duration,
    last: Mutex<Option<(Instant, Health)>>,
    /// Held while a probe runs: concurrent callers queue here, then reuse it.
    running: tokio::sync::Mutex<()>,
}

impl HealthProbe {
    pub(super) fn new(reuse: Duration) -> HealthProbe {
        HealthProbe {
            reuse,
            last: Mutex::new(None),
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// The last answer while it is recent, unless it was healthy and the
    /// store has since seen a write fail.
    fn recent(&self, failing: bool) -> Option<Health> {
        let last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*last {
            Some((at, h)) if at.elapsed() < self.reuse && (h.is_err() || !failing) => {
                Some(h.clone())
            }
            _ => None,
        }
    }

    /// The store's health, probing only when the last probe is too old.
    pub(super) async fn check(&self, store: &Store, metrics: &Metrics) -> Health {
        let health = self.check_store(store, metrics).await;
        metrics
            .store_down
            .store(i64::from(health.is_err()), Ordering::Relaxed);
        health
    }

    async fn check_store(&self, store: &Store, metrics: &Metrics) -> Health {
        store.file_check().map_err(|lost| lost.to_string())?;
        let failing = store.health().write_failure().is_some();
        if let Some(h) = self.recent(failing) {
            return h;
        }
        let _running = self.running.lock().await;
        let failing = store.health().write_failure().is_some();
        if let Some(h) = self.recent(failing) {
            return h;
        }
        metrics.health_probes.fetch_add(1, Ordering::Relaxed);
        let probe = async {
            if failing {
                store.probe_room().await
            } else {
                store.probe().await
            }
        };
        let health = match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("writes fail: {e}")),
            Err(_) => Err("not answering".to_owned()),
        };
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now(), health.clone()));
        health
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        (dir, store)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_and_repeated_callers_share_one_probe() {
        let (_dir, store) = store().await;
        let metrics = std::sync::Arc::new(Metrics::default());
        // Reused for an hour: whatever the machine's speed, one probe.
        let probe = std::sync::Arc::new(HealthProbe::new(Duration::from_secs(3600)));
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..200 {
            let (probe, store, metrics) = (probe.clone(), store.clone(), metrics.clone());
            callers.spawn(async move { probe.check(&store, &metrics).await });
        }
        while let Some(answer) = callers.join_next().await {
            assert_eq!(answer.expect("caller"), Ok(()));
        }
        for _ in 0..200 {
            assert_eq!(probe.check(&store, &metrics).await, Ok(()));
        }
        assert_eq!(metrics.health_probes.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn an_old_answer_is_probed_again() {
        let (_dir, store) = store().await;
        let metrics = Metrics::default();
        let probe = HealthProbe::new(Duration::ZERO);
        for _ in 0..3 {
            assert_eq!(probe.check(&store, &metrics).await, Ok(()));
        }
        assert_eq!(metrics.health_probes.load(Ordering::Relaxed), 3);
    }
}

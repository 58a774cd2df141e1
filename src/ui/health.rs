//! *Health*: LINE, each kintone app, the store, the ingress and the
//! watchdog's loops, each with its last success, last error in plain words
//! and their age.

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::Ui;
use crate::metrics::{Observed, Seen};

/// *Health*: one row per service.
#[derive(Debug, Serialize)]
pub struct HealthView {
    pub now_ms: i64,
    pub services: Vec<ServiceRow>,
    /// Room on the state directory's file system (`None`: not known here).
    pub disk: Option<DiskRoom>,
}

/// Free and whole space of a file system, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DiskRoom {
    pub free_bytes: u64,
    pub total_bytes: u64,
    /// Under 5 % or 64 MiB free: the store's writes may soon fail.
    pub low: bool,
}

/// How the binary measures a file system's room (`main.rs` sets it with
/// `statvfs`; the library has no unsafe code to call it with).
pub static DISK_ROOM: std::sync::OnceLock<RoomOf> = std::sync::OnceLock::new();

/// Free and whole bytes of the file system holding a path.
pub type RoomOf = fn(&std::path::Path) -> Option<(u64, u64)>;

fn disk_room(dir: &std::path::Path) -> Option<DiskRoom> {
    let (free_bytes, total_bytes) = DISK_ROOM.get()?(dir)?;
    let low = free_bytes < 64 * 1024 * 1024 || free_bytes.saturating_mul(20) < total_bytes;
    Some(DiskRoom {
        free_bytes,
        total_bytes,
        low,
    })
}

#[derive(Debug, Serialize)]
pub struct ServiceRow {
    /// `line`, `kintone:<app>`, `store`, `ingress:<mode>`.
    pub service: String,
    /// `ok`, `failing` or `never`.
    pub state: &'static str,
    pub last_ok_ms: Option<i64>,
    pub last_error_ms: Option<i64>,
    pub last_error: Option<String>,
    /// kintone: requests today; ingress: events taken in since start.
    pub count: Option<u64>,
}

impl Ui {
    pub(super) fn health_view(&self) -> HealthView {
        let now_ms = self.clock.now_ms();
        let m = &self.metrics;
        let mut services = vec![contact_row("line".into(), &m.line_contact.observed(), None)];
        let usage = m.kintone_usage.today(now_ms);
        for app in &self.config.kintone.apps {
            let n = usage.per_app.get(&app.id.get()).copied().unwrap_or(0);
            services.push(contact_row(
                format!("kintone:{}", app.id),
                &m.kintone_apps.observed(app.id.get()),
                Some(n),
            ));
        }
        services.push(self.store_row());
        services.push(self.ingress_row());
        services.push(self.watchdog_row(now_ms));
        let disk = disk_room(&self.config.state_dir);
        HealthView {
            now_ms,
            services,
            disk,
        }
    }

    fn store_row(&self) -> ServiceRow {
        let failure = self
            .store
            .file_check()
            .err()
            .map(|lost| lost.to_string())
            .or_else(|| self.store.health().write_failure());
        let last = self.store.health().last_commit_ms.load(Ordering::Relaxed);
        ServiceRow {
            service: "store".into(),
            state: if failure.is_some() { "failing" } else { "ok" },
            last_ok_ms: (last > 0 && failure.is_none()).then_some(last),
            last_error_ms: failure.as_ref().map(|_| self.clock.now_ms()),
            last_error: failure,
            count: None,
        }
    }

    fn ingress_row(&self) -> ServiceRow {
        let m = &self.metrics;
        let taken =
            m.line_events.load(Ordering::Relaxed) + m.kintone_webhooks.load(Ordering::Relaxed);
        let down = m.pubsub.down.load(Ordering::Relaxed) != 0;
        ServiceRow {
            service: format!("ingress:{}", self.ingress),
            state: if down { "failing" } else { "ok" },
            last_ok_ms: None,
            last_error_ms: None,
            last_error: down.then(|| self.language.page().health_pubsub_down.to_owned()),
            count: Some(taken),
        }
    }

    /// The loops the watchdog watches: each went round within 30 s.
    fn watchdog_row(&self, now_ms: i64) -> ServiceRow {
        let b = &self.beats;
        let stalled = b.stalled(std::time::Duration::from_secs(30));
        let oldest = [&b.ack, &b.changes, &b.outbox, &b.pull]
            .iter()
            .map(|t| t.load(Ordering::Relaxed))
            .filter(|t| *t != 0)
            .min();
        ServiceRow {
            service: "watchdog".into(),
            state: if stalled.is_some() { "failing" } else { "ok" },
            last_ok_ms: oldest,
            last_error_ms: stalled.map(|_| now_ms),
            last_error: stalled.map(|l| {
                crate::text::fill(self.language.page().health_loop_stalled, &[("loop", l)])
            }),
            count: None,
        }
    }
}

fn contact_row(service: String, o: &Observed, count: Option<u64>) -> ServiceRow {
    let state = match o.seen() {
        Seen::Answering => "ok",
        Seen::Failing => "failing",
        Seen::NotContacted => "never",
    };
    ServiceRow {
        service,
        state,
        last_ok_ms: o.answered_ms,
        last_error_ms: o.failed_ms,
        last_error: o.failure.clone(),
        count,
    }
}

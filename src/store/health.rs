//! The store's health as the writer thread sees it: commits, the last
//! commit's time, and whether (and why) the disk refuses writes.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use super::StoreError;

/// Progress counters the watchdog and `/healthz` read.
#[derive(Debug, Default)]
pub struct StoreHealth {
    /// Batches committed since start.
    pub commits: AtomicU64,
    /// Wall-clock ms of the last commit attempt's end.
    pub last_commit_ms: AtomicI64,
    /// Non-zero while the last write failed (disk full, read-only…): set
    /// by the failing statement or commit at once, cleared by the next
    /// batch that commits without such a failure.
    pub failing: AtomicU64,
    /// SQLite's words for the last such failure.
    last_failure: Mutex<String>,
}

impl StoreHealth {
    /// Why writes fail, while they do.
    pub fn write_failure(&self) -> Option<String> {
        (self.failing.load(Ordering::Relaxed) != 0).then(|| {
            self.last_failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        })
    }

    pub(super) fn set_failure(&self, why: Option<String>) {
        if let Some(why) = why {
            *self
                .last_failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = why;
            self.failing.store(1, Ordering::Relaxed);
        } else {
            self.failing.store(0, Ordering::Relaxed);
        }
    }
}

/// Whether `e` says the disk (not the caller's data) failed the write.
pub(super) fn is_disk_failure(e: &StoreError) -> bool {
    use rusqlite::ErrorCode as C;
    match e {
        StoreError::Sql(e) => matches!(
            e.sqlite_error_code(),
            Some(
                C::DiskFull | C::SystemIoFailure | C::ReadOnly | C::CannotOpen | C::DatabaseCorrupt
            )
        ),
        _ => false,
    }
}

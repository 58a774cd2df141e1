//! Which inbox rows may already have been written back by a comment.
//!
//! The comment method stores no `Writing` stage before it posts: that was a
//! durable commit per tap (on an SD card, one or two 4 KiB blocks). The
//! comment carries its marker instead, and a row counts as maybe written —
//! its marker is searched for before posting — when an earlier run of the
//! daemon stored it (its `seq` is not above the highest there was when this
//! run's worker started: that run may have posted and died before
//! finishing), or when this run has already tried it (a failed attempt, a
//! retry within the call, a task that panicked). Until the worker has read
//! the highest `seq`, every row counts as an earlier run's.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

/// Rows an earlier run or an earlier attempt may have written.
#[derive(Debug)]
pub struct Resume {
    /// The highest `seq` stored before this run's worker started.
    earlier_up_to: AtomicI64,
    /// Rows this run has started writing back and not finished.
    tried: Mutex<HashSet<i64>>,
}

impl Default for Resume {
    fn default() -> Resume {
        Resume {
            earlier_up_to: AtomicI64::new(i64::MAX),
            tried: Mutex::default(),
        }
    }
}

impl Resume {
    fn tried(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        // The set stays right after a panic elsewhere.
        self.tried
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Rows up to `seq` were stored by an earlier run.
    pub(super) fn earlier_runs_up_to(&self, seq: i64) {
        self.earlier_up_to.store(seq, Ordering::Relaxed);
    }

    /// Whether the row may have been written back already.
    pub(super) fn may_be_written(&self, seq: i64) -> bool {
        seq <= self.earlier_up_to.load(Ordering::Relaxed) || self.tried().contains(&seq)
    }

    /// A write-back of the row begins.
    pub(super) fn trying(&self, seq: i64) {
        self.tried().insert(seq);
    }

    /// The row is finished: nothing more is written for it.
    pub(super) fn finished(&self, seq: i64) {
        self.tried().remove(&seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_runs_and_earlier_attempts_may_have_written() {
        let r = Resume::default();
        assert!(r.may_be_written(7), "before the worker looked: all");
        r.earlier_runs_up_to(5);
        assert!(r.may_be_written(5));
        assert!(!r.may_be_written(6), "stored by this run, never tried");
        r.trying(6);
        assert!(r.may_be_written(6));
        r.finished(6);
        assert!(!r.may_be_written(6));
    }
}

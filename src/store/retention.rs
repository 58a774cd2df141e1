//! Retention: a pruning pass that deletes what the gateway no longer works
//! on, a few hundred rows per store call so the loops' calls queue between
//! them (each step is one savepoint of a group commit, like any call), then
//! hands freed pages back to the file system.
//!
//! Every table, and what a pass does with it (the SQL is in its file):
//! - `inbox`: events still queued kept; a finished message keeps no body (a
//!   person's words, blanked when it finishes), a finished postback keeps its
//!   own (our button's data: rewriting its page would cost a tap a write;
//!   its reply token left with its queue entry); the row (its
//!   `webhookEventId`, the dedup key) is deleted once both its receipt
//!   (steady time) and its timestamp (on LINE's clock, as the intake judges
//!   it) are older than the dedup window plus [`KEY_MARGIN`]: the intake
//!   refuses it as too old then.
//! - `acks` (audit): deleted after `audit` (a year by default).
//! - `changes`: pending kept; judged ones deleted after `line_events`:
//!   nothing reads a judged change (its webhook body is dropped when it is
//!   judged: `changes::close`).
//! - `kintone_seen`, `pulled_seen`: kintone webhook ids and the Pub/Sub
//!   message ids of LINE Notify calls, deleted after the dedup window.
//! - `notifications` with their `deliveries` and `chains` (reminders): an
//!   unacknowledged one, or one with a card still owed, is kept whatever its
//!   age; an acknowledged one goes after `history` (at least two months: this
//!   month's and last month's cost).
//! - `outbox`: pending and dead requests (dead letters) kept until handled;
//!   sent ones (their messages dropped when sent: `outbox::record_attempt`)
//!   deleted after `history`.
//! - `push_history`: the pacing looks back a minute; deleted after a day.
//! - `own_writes`: a write-back's revision matters until its echo is judged,
//!   minutes; deleted after `history`.
//! - `invite_failures`: the wrong-code limit counts an hour; deleted after a
//!   day (any LINE friend can add rows).
//! - `write_intents`: deleted when their write-back resolves or their event
//!   ends (`intents::finish_owner`); not pruned.
//!
//! The oldest rows are found by row number where rows are stored in time
//! order (`inbox`, `acks`, `changes`, `notifications`, `outbox`,
//! `kintone_seen`, `push_history`),
//! not through an index on the time: such an index is written by every
//! event's commit (a page on the SD card each), and read only here. A step
//! walks from the first row to the first one too young to go ([`oldest`]),
//! so it reads the rows it deletes and the old ones kept on purpose
//! (pending, unacknowledged), never the young ones.
//! A row stored after the clock went back waits until the younger-looking
//! rows before it go: pruned late, never early.
//! - Kept: `meta`, `staff`, `invites`, `groups`, `profiles`, `field_state`,
//!   `app_baseline`, `watermarks` (one row per person, group, record field or
//!   app, written over, not added to); `operator_audit`, a row per
//!   operator action (`outbox retry`); `revisions_seen` is never written.

use std::time::Duration;

use rusqlite::Connection;

use super::{Store, StoreError};
use crate::clock::millis;

/// Rows one step deletes at most: a short transaction on an SD card.
pub const STEP_ROWS: usize = 500;
/// Kept beyond the dedup window: a clock set forward between two runs makes
/// stored receipt times look older than they are, by up to this much.
pub const KEY_MARGIN: Duration = Duration::from_secs(86_400);
const DAY_MS: i64 = 86_400_000;

/// What a pass prunes, one kind of row each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pruned {
    InboxEvents,
    Audit,
    Changes,
    KintoneSeen,
    Notifications,
    Outbox,
    PushHistory,
    OwnWrites,
    InviteFailures,
    PulledSeen,
}

impl Pruned {
    /// In pass order.
    pub const ALL: [Pruned; 10] = [
        Pruned::InboxEvents,
        Pruned::Audit,
        Pruned::Changes,
        Pruned::KintoneSeen,
        Pruned::Notifications,
        Pruned::Outbox,
        Pruned::PushHistory,
        Pruned::OwnWrites,
        Pruned::InviteFailures,
        Pruned::PulledSeen,
    ];

    /// The label in metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            Pruned::InboxEvents => "inbox",
            Pruned::Audit => "acks",
            Pruned::Changes => "changes",
            Pruned::KintoneSeen => "kintone_seen",
            Pruned::Notifications => "notifications",
            Pruned::Outbox => "outbox",
            Pruned::PushHistory => "push_history",
            Pruned::OwnWrites => "own_writes",
            Pruned::InviteFailures => "invite_failures",
            Pruned::PulledSeen => "pulled_seen",
        }
    }

    /// One step: up to `limit` of the oldest prunable rows.
    fn step(self, c: &Connection, h: &Horizons, limit: i64) -> Result<usize, StoreError> {
        match self {
            Pruned::InboxEvents => {
                super::inbox::prune_events(c, h.keys_before, h.keys_line_before, limit)
            }
            Pruned::Audit => super::audit::prune(c, h.audit_before, limit),
            Pruned::Changes => super::changes::prune(c, h.judged_before, limit),
            Pruned::KintoneSeen => super::kintone_seen::prune(c, h.kintone_ids_before, limit),
            Pruned::Notifications => super::deliveries::prune(c, h.history_before, limit),
            Pruned::Outbox => super::outbox::prune(c, h.history_before, limit),
            Pruned::PushHistory => super::push_history::prune(c, h.pacing_before, limit),
            Pruned::OwnWrites => super::intents::prune_own_writes(c, h.history_before, limit),
            Pruned::InviteFailures => super::staff::prune_failures(c, h.failures_before, limit),
            // Pub/Sub's ids, on the same window as kintone's.
            Pruned::PulledSeen => super::pulled_seen::prune(c, h.kintone_ids_before, limit),
        }
    }
}

/// How long each kind of row is kept (the `[retention]` settings, in the
/// store's terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spans {
    pub line_events: Duration,
    pub line_dedup: Duration,
    pub audit: Duration,
    pub history: Duration,
}

/// The cut-off times of one pass: rows older than these go. Steady times
/// for columns stored on the steady timeline, wall times for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizons {
    pub keys_before: i64,
    /// On LINE's clock: event timestamps before this are past the window.
    pub keys_line_before: i64,
    pub audit_before: i64,
    pub judged_before: i64,
    pub kintone_ids_before: i64,
    pub history_before: i64,
    pub pacing_before: i64,
    pub failures_before: i64,
}

impl Horizons {
    /// The cut-offs at steady time `steady_ms`, wall time `wall_ms` and
    /// LINE's time `line_ms` ([`crate::clock::Clock::line_time_at`]).
    pub fn at(steady_ms: i64, wall_ms: i64, line_ms: i64, s: Spans) -> Horizons {
        let keys = millis(s.line_dedup).saturating_add(millis(KEY_MARGIN));
        Horizons {
            keys_before: steady_ms.saturating_sub(keys),
            keys_line_before: line_ms.saturating_sub(keys),
            audit_before: wall_ms.saturating_sub(millis(s.audit)),
            judged_before: wall_ms.saturating_sub(millis(s.line_events)),
            kintone_ids_before: wall_ms.saturating_sub(keys),
            history_before: wall_ms.saturating_sub(millis(s.history)),
            pacing_before: steady_ms.saturating_sub(DAY_MS),
            failures_before: wall_ms.saturating_sub(DAY_MS),
        }
    }
}

/// Rows a pass removed, per kind (in [`Pruned::ALL`] order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassCounts(pub [u64; Pruned::ALL.len()]);

impl PassCounts {
    /// Rows removed of `kind`.
    pub fn of(&self, kind: Pruned) -> u64 {
        let i = Pruned::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.0[i]
    }

    /// Rows removed in all.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `label=count` for each kind that lost rows, for the log line.
    pub fn summary(&self) -> String {
        Pruned::ALL
            .iter()
            .zip(self.0)
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{}={n}", k.label()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Pages handed back to the file system per step.
const VACUUM_PAGES: i64 = 512;
/// A pragma takes no parameters: [`VACUUM_PAGES`] written out.
const VACUUM_STEP: &str = "PRAGMA incremental_vacuum(512)";

impl Store {
    /// One pruning pass at `h`: each kind of row in steps of at most
    /// [`STEP_ROWS`] rows (one store call each, yielding in between, so the
    /// loops' calls are never stuck behind it), then free pages released.
    /// `each` hears every step's count as it is committed.
    ///
    /// # Errors
    /// A step failed; what earlier steps deleted stays deleted.
    pub async fn prune_pass(
        &self,
        h: Horizons,
        mut each: impl FnMut(Pruned, usize),
    ) -> Result<PassCounts, StoreError> {
        let mut counts = PassCounts::default();
        for (i, kind) in Pruned::ALL.into_iter().enumerate() {
            let limit = STEP_ROWS;
            loop {
                let n = self
                    .call(move |c| kind.step(c, &h, i64::try_from(limit).unwrap_or(i64::MAX)))
                    .await?;
                counts.0[i] += n as u64;
                if n > 0 {
                    each(kind, n);
                }
                tokio::task::yield_now().await;
                if n < limit {
                    break;
                }
            }
        }
        if counts.total() > 0 {
            self.release_free_pages().await?;
        }
        Ok(counts)
    }

    /// Hands free pages back to the file system, [`VACUUM_PAGES`] a step
    /// (a store made before retention has no incremental vacuum: it keeps
    /// its size and reuses the pages instead). Returns the pages released.
    ///
    /// # Errors
    /// A step failed.
    pub async fn release_free_pages(&self) -> Result<i64, StoreError> {
        let mut released = 0;
        loop {
            let freed = self
                .call(|c| {
                    let mode: i64 = c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
                    let before: i64 = c.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
                    if mode != 2 || before == 0 {
                        return Ok(0);
                    }
                    // Each page is one step of the statement: run it to the end.
                    let mut st = c.prepare_cached(VACUUM_STEP)?;
                    let mut rows = st.query([])?;
                    while rows.next()?.is_some() {}
                    let after: i64 = c.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
                    Ok(before - after)
                })
                .await?;
            released += freed;
            tokio::task::yield_now().await;
            if freed < VACUUM_PAGES {
                return Ok(released);
            }
        }
    }
}

/// Up to `limit` keys of the oldest prunable rows. `walk` selects `time,
/// prunable, key` over a table in row order (the order its rows were
/// stored in) and may use `params`; the walk stops at the first row whose
/// time is not before `before`, so a step reads the rows it takes and the
/// old ones kept on purpose, never the young ones (see the module's note).
///
/// # Errors
/// The read failed.
pub(super) fn oldest<K: rusqlite::types::FromSql>(
    c: &Connection,
    walk: &str,
    params: impl rusqlite::Params,
    before: i64,
    limit: i64,
) -> Result<Vec<K>, StoreError> {
    let mut st = c.prepare_cached(walk)?;
    let mut rows = st.query(params)?;
    let mut keys = Vec::new();
    while i64::try_from(keys.len()).unwrap_or(i64::MAX) < limit {
        let Some(r) = rows.next()? else { break };
        if r.get::<_, i64>(0)? >= before {
            break;
        }
        if r.get::<_, bool>(1)? {
            keys.push(r.get(2)?);
        }
    }
    Ok(keys)
}

/// Runs `delete` (its key as `?1`) for each of `keys`; how many went.
///
/// # Errors
/// The write failed.
pub(super) fn delete_keys(c: &Connection, delete: &str, keys: &[i64]) -> Result<usize, StoreError> {
    let mut st = c.prepare_cached(delete)?;
    let mut n = 0;
    for k in keys {
        n += st.execute([k])?;
    }
    Ok(n)
}

/// Runs `sql` (a delete of the oldest rows before `?1`, at most `?2`).
pub(super) fn delete_oldest(
    c: &Connection,
    sql: &str,
    before: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    Ok(c.prepare_cached(sql)?.execute([before, limit])?)
}

#[cfg(test)]
mod tests;

//! The store thread: the one connection that writes, and group commit.
//!
//! Every [`Store::call`] runs inside a savepoint of the current batch; the
//! batch is committed (one fsync for all of it) before any caller hears
//! back. A call that fails rolls back only its own savepoint. A call or a
//! commit that the disk refused (full, read-only, I/O error) marks the
//! store failing at once, for `/healthz`; the next batch that writes and
//! commits without one clears it. Under load a batch waits a moment for
//! more calls ([`LINGER`]), so that a burst takes fewer, larger commits.
//!
//! A batch whose every call is [`Store::call_redoable`] commits without its
//! own fsync (`synchronous=NORMAL`): its pages reach the disk with the next
//! synced commit (the WAL is written in order, so that fsync covers them) or
//! the next checkpoint. Lost in a crash, such a stage is done again from
//! what was synced before it.

use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{exec_cached, is_disk_failure, Store, StoreError, StoreHealth};
use crate::clock::now_ms;

/// How many queued calls one transaction takes at most.
const MAX_BATCH: usize = 512;
/// How long a batch that found other calls queued behind its first waits
/// for more before it commits. Under load each commit writes again the last
/// page of every table it adds to, and the 4 KiB block of the WAL the commit
/// before it ended in; fewer, larger commits write fewer of both (an SD
/// card's slow fsync makes them larger by itself; this machine's does not).
/// A call that came alone is not held back.
const LINGER: Duration = Duration::from_millis(1);

/// Told the batch's commit outcome; answers the caller.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// How a call ran inside the batch.
pub(super) enum Ran {
    Done,
    /// Its own error: only its savepoint is rolled back.
    Failed,
    /// The disk refused its write (SQLite's words).
    DiskFailed(String),
}

/// A queued call: given the connection it runs and reports how; given
/// `None` (no transaction could be opened) it only prepares its failure answer.
type Run = Box<dyn FnOnce(Option<&Connection>) -> (Ran, Completion) + Send>;

/// A queued call and how its commit is flushed.
pub(super) struct Job {
    run: Run,
    /// Whether the caller waits for its own fsync (see the module doc).
    flush: Flush,
}

/// Whether a commit waits for its fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flush {
    /// `synchronous=FULL`: durable when the caller hears back.
    Full,
    /// `synchronous=NORMAL`: durable with the next synced commit.
    Deferred,
}

impl Flush {
    fn pragma(self) -> &'static str {
        match self {
            Flush::Full => "PRAGMA synchronous = FULL",
            Flush::Deferred => "PRAGMA synchronous = NORMAL",
        }
    }
}

/// Starts the store thread on `conn`; it runs until every sender is gone.
///
/// # Errors
/// The thread could not be started.
pub(super) fn spawn(
    conn: Connection,
    health: Arc<StoreHealth>,
) -> Result<mpsc::Sender<Job>, StoreError> {
    let (jobs, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("store".into())
        .spawn(move || run(conn, rx, &health))
        .map_err(|e| StoreError::Invalid(format!("cannot start store thread: {e}")))?;
    Ok(jobs)
}

impl Store {
    /// Runs `f` on the store thread inside its own savepoint and returns once
    /// the batch holding it is committed.
    ///
    /// # Errors
    /// `f`'s own error (its changes rolled back), a failed commit, or a
    /// stopped store thread.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.queue(f, Flush::Full).await
    }

    /// [`Store::call`] for a stage that is done again, from what is already
    /// durable, when a crash loses it: its batch, when every call in it is
    /// one, commits without an fsync of its own. Its rows are visible at
    /// once and reach the disk with the next synced commit. Nothing outside
    /// the process may be told of them before that (a push, a Reply, a 200).
    ///
    /// # Errors
    /// As [`Store::call`].
    pub async fn call_redoable<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.queue(f, Flush::Deferred).await
    }

    async fn queue<R, F>(&self, f: F, flush: Flush) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<R, StoreError>>();
        let run: Run = Box::new(move |conn| match conn.map(f) {
            None => (
                Ran::Failed,
                Box::new(move |e: Result<(), String>| {
                    let _ = tx.send(Err(StoreError::Invalid(e.err().unwrap_or_default())));
                }),
            ),
            Some(Ok(v)) => (
                Ran::Done,
                Box::new(move |commit| {
                    let _ = tx.send(commit.map(|()| v).map_err(StoreError::Invalid));
                }),
            ),
            Some(Err(e)) => (
                if is_disk_failure(&e) {
                    Ran::DiskFailed(e.to_string())
                } else {
                    Ran::Failed
                },
                Box::new(move |_| {
                    let _ = tx.send(Err(e));
                }),
            ),
        });
        self.jobs
            .send(Job { run, flush })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// Takes whatever is queued ([`gather`]) as one transaction, commits it,
/// and only then answers every call in it.
fn run(conn: Connection, rx: mpsc::Receiver<Job>, health: &StoreHealth) {
    let mut flush = Flush::Full;
    while let Ok(first) = rx.recv() {
        let batch = gather(&rx, first, LINGER);
        let wanted = if batch.iter().all(|j| j.flush == Flush::Deferred) {
            Flush::Deferred
        } else {
            Flush::Full
        };
        match switch(&conn, flush, wanted) {
            Ok(now) => flush = now,
            Err(why) => {
                // Told to `/healthz` as a failed commit would be.
                health.set_failure(Some(why.clone()));
                for done in refuse(batch, &why) {
                    done(Err(why.clone()));
                }
                continue;
            }
        }
        let changes = conn.total_changes();
        let (completions, disk_failure) = run_batch(&conn, batch);
        let wrote = conn.total_changes() != changes;
        let outcome = commit(&conn, health, disk_failure, wrote);
        for done in completions {
            done(outcome.clone());
        }
    }
}

/// `first` and whatever is queued behind it, up to [`MAX_BATCH`]. When
/// something was, the calls that come within `linger` too: one sleep, not a
/// wake-up for each call.
fn gather<T>(rx: &mpsc::Receiver<T>, first: T, linger: Duration) -> Vec<T> {
    let mut batch = vec![first];
    drain(rx, &mut batch);
    if batch.len() > 1 && batch.len() < MAX_BATCH {
        std::thread::sleep(linger);
        drain(rx, &mut batch);
    }
    batch
}

/// Moves what is queued into `batch`, up to [`MAX_BATCH`].
fn drain<T>(rx: &mpsc::Receiver<T>, batch: &mut Vec<T>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => batch.push(j),
            Err(_) => break,
        }
    }
}

/// Sets `synchronous` for a batch that wants `wanted`, from `current`;
/// the level its commit will run at. A batch that waits for its fsync is
/// never run at a level that would not make one: if SQLite refuses to
/// switch back to FULL, the batch is refused. A refused switch to NORMAL
/// leaves FULL, more durable than asked.
fn switch(conn: &Connection, current: Flush, wanted: Flush) -> Result<Flush, String> {
    if wanted == current {
        return Ok(current);
    }
    match exec_cached(conn, wanted.pragma()) {
        Ok(_) => Ok(wanted),
        Err(e) if wanted == Flush::Full => Err(e.to_string()),
        Err(_) => Ok(current),
    }
}

/// Commits the batch (rolling it back if that fails) and records the
/// outcome, and any call's disk failure, for the watchdog and `/healthz`.
/// Only a batch that `wrote` rows clears a failure: an empty one (a probe,
/// reads) commits without asking the disk for anything.
fn commit(
    conn: &Connection,
    health: &StoreHealth,
    disk_failure: Option<String>,
    wrote: bool,
) -> Result<(), String> {
    let outcome = exec_cached(conn, "COMMIT")
        .map(|_| ())
        .map_err(|e| e.to_string());
    match &outcome {
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            health.set_failure(Some(e.clone()));
        }
        Ok(()) => {
            if disk_failure.is_some() || wrote {
                health.set_failure(disk_failure);
            }
            health.commits.fetch_add(1, Ordering::Relaxed);
        }
    }
    health.last_commit_ms.store(now_ms(), Ordering::Relaxed);
    outcome
}

/// Runs each job in its own savepoint of one transaction; also says why the
/// disk refused a job's write, if it did.
fn run_batch(conn: &Connection, batch: Vec<Job>) -> (Vec<Completion>, Option<String>) {
    if let Err(e) = exec_cached(conn, "BEGIN IMMEDIATE") {
        return (refuse(batch, &e.to_string()), None);
    }
    let mut disk_failure = None;
    let completions = batch
        .into_iter()
        .map(|job| {
            let _ = exec_cached(conn, "SAVEPOINT job");
            let (ran, done) = (job.run)(Some(conn));
            match ran {
                Ran::Done => {}
                Ran::Failed => {
                    let _ = exec_cached(conn, "ROLLBACK TO job");
                }
                Ran::DiskFailed(why) => {
                    let _ = exec_cached(conn, "ROLLBACK TO job");
                    disk_failure = Some(why);
                }
            }
            let _ = exec_cached(conn, "RELEASE job");
            done
        })
        .collect();
    (completions, disk_failure)
}

/// The batch's calls, none of them run: each answers that `why` kept the
/// batch from being run.
fn refuse(batch: Vec<Job>, why: &str) -> Vec<Completion> {
    batch
        .into_iter()
        .map(|job| {
            let (_, done) = (job.run)(None);
            let why = why.to_owned();
            Box::new(move |_| done(Err(why))) as Completion
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `PRAGMA synchronous` as the call's batch runs: 2 is FULL (an fsync
    /// at its commit), 1 NORMAL (none of its own).
    async fn synchronous_for(store: &Store, redoable: bool) -> i64 {
        let look = |c: &Connection| -> Result<i64, StoreError> {
            Ok(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?)
        };
        if redoable {
            store.call_redoable(look).await
        } else {
            store.call(look).await
        }
        .expect("call")
    }

    #[test]
    fn calls_queued_together_wait_for_the_ones_that_come_within_the_linger() {
        let linger = Duration::from_millis(300);
        let (tx, rx) = mpsc::channel();
        tx.send(2).expect("send");
        let later = tx.clone();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            later.send(3).expect("send");
        });
        assert_eq!(gather(&rx, 1, linger), vec![1, 2, 3]);
        sender.join().expect("sender");
    }

    #[test]
    fn a_call_that_came_alone_is_not_held_back() {
        let linger = Duration::from_secs(5);
        let (_tx, rx) = mpsc::channel::<u8>();
        let clock = crate::clock::Clock::system();
        let started = clock.steady_ms();
        assert_eq!(gather(&rx, 1, linger), vec![1]);
        let took = clock.steady_ms() - started;
        assert!(took < 5_000, "held back {took} ms");
    }

    #[test]
    fn a_full_batch_commits_without_waiting() {
        let linger = Duration::from_secs(5);
        let (tx, rx) = mpsc::channel();
        for i in 1..=MAX_BATCH {
            tx.send(i).expect("send");
        }
        let clock = crate::clock::Clock::system();
        let started = clock.steady_ms();
        let batch = gather(&rx, 0, linger);
        assert_eq!(batch.len(), MAX_BATCH);
        let took = clock.steady_ms() - started;
        assert!(took < 5_000, "held back {took} ms");
        assert_eq!(
            rx.try_recv(),
            Ok(MAX_BATCH),
            "the rest waits for the next batch"
        );
    }

    #[test]
    fn a_batch_that_waits_for_its_fsync_is_refused_when_full_cannot_be_set() {
        let conn = Connection::open_in_memory().expect("connection");
        // SQLite refuses to change the level inside a transaction.
        conn.execute_batch("BEGIN").expect("begin");
        let refused = switch(&conn, Flush::Deferred, Flush::Full);
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("transaction")),
            "{refused:?}"
        );
        assert_eq!(
            switch(&conn, Flush::Full, Flush::Deferred),
            Ok(Flush::Full),
            "a refused switch to NORMAL stays synced"
        );
        conn.execute_batch("COMMIT").expect("commit");
        assert_eq!(switch(&conn, Flush::Deferred, Flush::Full), Ok(Flush::Full));
        assert_eq!(switch(&conn, Flush::Full, Flush::Full), Ok(Flush::Full));
    }

    #[tokio::test]
    async fn only_a_batch_of_redoable_calls_commits_without_its_own_fsync() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        assert_eq!(synchronous_for(&store, false).await, 2);
        assert_eq!(synchronous_for(&store, true).await, 1);
        assert_eq!(synchronous_for(&store, false).await, 2, "back to FULL");
        let (a, b) = tokio::join!(synchronous_for(&store, true), synchronous_for(&store, true));
        assert_eq!((a, b), (1, 1));
    }
}

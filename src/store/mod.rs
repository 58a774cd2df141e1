//! The durable local store: SQLite in WAL mode with `synchronous=FULL`, owned by
//! one dedicated thread.
//!
//! Rule kept: nothing is acknowledged to a caller before it is on disk. Every
//! [`Store::call`] runs inside a savepoint of the current batch; the batch is
//! committed (one fsync for all of it — group commit) before any caller hears
//! back. A call that fails rolls back only its own savepoint. Async code never
//! blocks on SQLite: it awaits a oneshot answer from the store thread.
//!
//! Reads that change nothing ([`Store::read`]) go to a second thread with its
//! own read-only connection: WAL lets them see every committed batch without
//! waiting for the next group commit (or for a writer that is stuck).

mod schema;

pub mod audit;
pub mod changes;
pub mod deliveries;
pub mod field_state;
pub mod inbox;
pub mod intents;
pub mod kintone_seen;
pub mod notifications;
pub mod outbox;
pub mod poll_state;
pub mod push_history;
pub mod pushes;
pub mod recipients;
pub mod report;
pub mod staff;
pub mod verdicts;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use crate::clock::now_ms;
use rusqlite::Connection;
use tokio::sync::oneshot;

/// How many queued calls one transaction takes at most.
const MAX_BATCH: usize = 512;
/// Prepared statements kept per connection (the gateway has about 60).
const STATEMENT_CACHE: usize = 128;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("store: cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("store: cannot create state directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store thread has stopped")]
    Closed,
    #[error("store: {0}")]
    Invalid(String),
}

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A queued call: given the connection it runs and reports success; given
/// `None` (no transaction could be opened) it only prepares its failure answer.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Completion) + Send>;

/// Progress counters the watchdog and `/healthz` read.
#[derive(Debug, Default)]
pub struct StoreHealth {
    /// Batches committed since start.
    pub commits: AtomicU64,
    /// Wall-clock ms of the last commit attempt's end.
    pub last_commit_ms: AtomicI64,
    /// Non-zero while the last commit failed (disk full, read-only…).
    pub failing: AtomicU64,
}

/// A read on the reader thread.
type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// A cheap, cloneable handle to the store thread.
#[derive(Clone, Debug)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    reads: mpsc::Sender<ReadJob>,
    health: Arc<StoreHealth>,
    path: Arc<PathBuf>,
    /// Woken when a write-back resolves and the changes it held are due
    /// (the change worker waits on it too; see [`intents`]).
    changes_wake: Arc<tokio::sync::Notify>,
}

impl Store {
    /// Opens (creating if needed) `state_dir/gateway.db`, applies migrations
    /// and starts the store thread.
    ///
    /// # Errors
    /// The folder cannot be created, or the database cannot be opened or
    /// migrated.
    pub fn open(state_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(state_dir).map_err(|source| StoreError::Dir {
            path: state_dir.to_owned(),
            source,
        })?;
        let path = state_dir.join("gateway.db");
        let conn = Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        conn.execute_batch(
            // 1 MiB of page cache per connection (SQLite's default is 2):
            // the OS page cache holds the rest, and the board's RAM is small.
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
             PRAGMA cache_size=-1024;",
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&conn)?;
        let reader = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        reader.execute_batch("PRAGMA cache_size=-1024;")?;
        // Every statement is prepared once per connection (`prepare_cached`)
        // so no call pays for parsing SQL; room for all of them, so none is
        // evicted.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let (jobs, rx) = mpsc::channel::<Job>();
        let (reads, read_rx) = mpsc::channel::<ReadJob>();
        let health = Arc::new(StoreHealth::default());
        let h = health.clone();
        std::thread::Builder::new()
            .name("store".into())
            .spawn(move || run(conn, rx, &h))
            .map_err(|e| StoreError::Invalid(format!("cannot start store thread: {e}")))?;
        std::thread::Builder::new()
            .name("store-read".into())
            .spawn(move || {
                while let Ok(job) = read_rx.recv() {
                    job(&reader);
                }
            })
            .map_err(|e| StoreError::Invalid(format!("cannot start store reader: {e}")))?;
        Ok(Store {
            jobs,
            reads,
            health,
            path: Arc::new(path),
            changes_wake: Arc::default(),
        })
    }

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
        let (tx, rx) = oneshot::channel::<Result<R, StoreError>>();
        let job: Job = Box::new(move |conn| match conn.map(f) {
            None => (
                false,
                Box::new(move |e| {
                    let _ = tx.send(Err(StoreError::Invalid(e.err().unwrap_or_default())));
                }),
            ),
            Some(Ok(v)) => (
                true,
                Box::new(move |commit| {
                    let _ = tx.send(commit.map(|()| v).map_err(StoreError::Invalid));
                }),
            ),
            Some(Err(e)) => (
                false,
                Box::new(move |_| {
                    let _ = tx.send(Err(e));
                }),
            ),
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the reader thread, in one read transaction (a consistent
    /// snapshot of everything committed so far). `f` cannot write: the
    /// connection is read-only.
    ///
    /// # Errors
    /// `f`'s own error, or a stopped reader thread.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<R, StoreError>>();
        let job: ReadJob = Box::new(move |conn| {
            let result = exec_cached(conn, "BEGIN DEFERRED")
                .map_err(StoreError::from)
                .and_then(|_| f(conn));
            let _ = exec_cached(conn, "COMMIT");
            let _ = tx.send(result);
        });
        self.reads.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Health counters (commits, last commit time, failing flag).
    pub fn health(&self) -> &StoreHealth {
        &self.health
    }

    /// Notified when kintone changes became due outside the change worker
    /// (a write-back resolved and released the changes it held).
    pub fn changes_wake(&self) -> Arc<tokio::sync::Notify> {
        self.changes_wake.clone()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes and commits a probe row: proves the store is writable and the
    /// thread is alive.
    ///
    /// # Errors
    /// The write or commit failed.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let now = now_ms();
        self.call(move |c| {
            c.prepare_cached(
                "INSERT INTO meta(key, value) VALUES ('probe', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute([now.to_string()])?;
            Ok(())
        })
        .await
    }
}

fn run(conn: Connection, rx: mpsc::Receiver<Job>, health: &StoreHealth) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let completions = run_batch(&conn, batch);
        let outcome = exec_cached(&conn, "COMMIT")
            .map(|_| ())
            .map_err(|e| e.to_string());
        if outcome.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
            health.failing.store(1, Ordering::Relaxed);
        } else {
            health.failing.store(0, Ordering::Relaxed);
            health.commits.fetch_add(1, Ordering::Relaxed);
        }
        health.last_commit_ms.store(now_ms(), Ordering::Relaxed);
        for done in completions {
            done(outcome.clone());
        }
    }
}

fn run_batch(conn: &Connection, batch: Vec<Job>) -> Vec<Completion> {
    if let Err(e) = exec_cached(conn, "BEGIN IMMEDIATE") {
        let msg = e.to_string();
        return batch
            .into_iter()
            .map(|job| {
                let (_, done) = job(None);
                let msg = msg.clone();
                Box::new(move |_| done(Err(msg))) as Completion
            })
            .collect();
    }
    batch
        .into_iter()
        .map(|job| {
            let _ = exec_cached(conn, "SAVEPOINT job");
            let (ok, done) = job(Some(conn));
            if !ok {
                let _ = exec_cached(conn, "ROLLBACK TO job");
            }
            let _ = exec_cached(conn, "RELEASE job");
            done
        })
        .collect()
}

/// Runs a parameterless statement, prepared once per connection.
fn exec_cached(conn: &Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute([])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn failed_call_rolls_back_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = store.call(|c| {
            c.execute("INSERT INTO meta(key, value) VALUES ('a', '1')", [])?;
            Ok(())
        });
        let b = store.call(|c| {
            c.execute("INSERT INTO meta(key, value) VALUES ('b', '1')", [])?;
            Err::<(), _>(StoreError::Invalid("nope".into()))
        });
        let (ra, rb) = tokio::join!(a, b);
        ra.unwrap();
        assert!(rb.is_err());
        let keys: Vec<String> = store
            .call(|c| {
                let mut st = c.prepare("SELECT key FROM meta ORDER BY key")?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(keys, vec!["a".to_string()]);
        let read: Vec<String> = store
            .read(|c| {
                let mut st = c.prepare("SELECT key FROM meta ORDER BY key")?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(read, keys, "the reader sees every committed call");
        let write = store
            .read(|c| {
                c.execute("INSERT INTO meta(key, value) VALUES ('c', '1')", [])?;
                Ok(())
            })
            .await;
        assert!(write.is_err(), "the reader cannot write");
        store.probe().await.unwrap();
        assert!(store.health().commits.load(Ordering::Relaxed) >= 2);
    }

    #[tokio::test]
    async fn data_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .call(|c| {
                    c.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')", [])?;
                    Ok(())
                })
                .await
                .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let v: String = store
            .call(|c| Ok(c.query_row("SELECT value FROM meta WHERE key='k'", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(v, "v");
    }
}

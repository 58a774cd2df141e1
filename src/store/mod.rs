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
//!
//! By job: `open` opens and migrates, `writer` is the store
//! thread (group commit), `reader` the read-only thread; the other modules
//! are one table (or one query) each.

mod open;
mod reader;
mod readonly;
mod schema;
mod writer;

pub mod audit;
pub mod backup;
pub mod changes;
pub mod deliveries;
pub mod field_state;
pub mod inbox;
pub mod intents;
pub mod kintone_seen;
pub mod notifications;
pub mod operator_audit;
pub mod outbox;
pub mod poll_state;
pub mod push_history;
pub mod pushes;
pub mod recipients;
pub mod report;
pub mod staff;
pub mod verdicts;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{mpsc, Arc};

use crate::clock::now_ms;
use rusqlite::Connection;

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
    /// A read-only command found no database: nothing was created.
    #[error("no store yet at {}: the service has not run (or the config's state_dir names another directory)", .path.display())]
    Missing { path: PathBuf },
    /// A read-only command cannot read a store of another schema version.
    #[error("{}", version_text(.path, *.found))]
    Version { path: PathBuf, found: usize },
    #[error("store: {0}")]
    Invalid(String),
}

/// What to do about a store of schema `found` (this binary knows
/// [`schema::latest`]).
fn version_text(path: &Path, found: usize) -> String {
    let known = schema::latest();
    if found > known {
        format!(
            "the store at {} was written by a newer gateway (schema {found}; this one knows {known}): upgrade kintone-line-gateway",
            path.display()
        )
    } else {
        format!(
            "the store at {} is from an older gateway (schema {found}; this one needs {known}): start the service once, it upgrades the store, then run this again",
            path.display()
        )
    }
}

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

/// A cheap, cloneable handle to the store thread.
#[derive(Clone, Debug)]
pub struct Store {
    jobs: mpsc::Sender<writer::Job>,
    reads: mpsc::Sender<reader::ReadJob>,
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
        let opened = open::open(state_dir)?;
        let health = Arc::new(StoreHealth::default());
        let jobs = writer::spawn(opened.writer, health.clone())?;
        let reads = reader::spawn(opened.reader)?;
        Ok(Store {
            jobs,
            reads,
            health,
            path: Arc::new(opened.path),
            changes_wake: Arc::default(),
        })
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

/// Runs a parameterless statement, prepared once per connection.
fn exec_cached(conn: &Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute([])
}

/// How SQLite would run `sql` on a new store, one line per step: for tests
/// that a query uses the index it was written for.
#[cfg(test)]
pub(crate) fn query_plan(sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    let dir = tempfile::tempdir().expect("dir");
    drop(Store::open(dir.path()).expect("store"));
    let c = rusqlite::Connection::open(dir.path().join("gateway.db")).expect("db");
    let mut st = c
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("explain");
    st.query_map(params, |r| r.get(3))
        .expect("plan")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

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

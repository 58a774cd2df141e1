//! The durable local store: SQLite in WAL mode with `synchronous=FULL`, owned by
//! one dedicated thread.
//!
//! Rule kept: nothing is acknowledged to a caller before it is on disk. Every
//! [`Store::call`] runs inside a savepoint of the current batch; the batch is
//! committed (one fsync for all of it — group commit) before any caller hears
//! back. A call that fails rolls back only its own savepoint. Async code never
//! blocks on SQLite: it awaits a oneshot answer from the store thread. The
//! one exception is [`Store::call_redoable`], for a stage that a crash may
//! lose because it is done again from what was synced before it.
//!
//! Reads that change nothing ([`Store::read`]) go to a second thread with its
//! own read-only connection: WAL lets them see every committed batch without
//! waiting for the next group commit (or for a writer that is stuck).
//!
//! By job: `open` opens, checks and migrates, `file` keeps the files
//! owner-only and keeps the marker, `health` the counters `/healthz` and
//! the watchdog read, `watch` checks the database file's
//! identity while running, `rescue` copies
//! what a damaged store still holds into a new one, `backup` copies a
//! running one, `readonly` opens one for reports (never created or
//! migrated), `writer` is the store thread (group commit), `reader` the
//! read-only thread; the other modules are one table (or one query) each.

mod file;
mod health;
mod open;
mod reader;
mod readonly;
pub mod rescue;
pub mod said;
mod schema;
mod shm;
mod watch;
pub use watch::{FileLost, Lost};
mod writer;

pub mod audit;
pub mod audit_search;
pub mod backup;
pub mod board;
pub mod chains;
pub mod changes;
pub mod compact;
pub mod deliveries;
pub mod directory;
pub mod field_state;
pub mod inbox;
pub mod intents;
pub mod kintone_seen;
pub mod notifications;
pub mod operator_audit;
pub mod outbox;
pub mod poll_state;
pub mod pulled_seen;
pub mod push_history;
pub mod pushes;
pub mod recipients;
pub mod report;
pub mod retention;
pub mod staff;
pub mod undeliverable;
pub mod verdicts;

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use crate::clock::now_ms;
use crate::text::Language;
use rusqlite::Connection;

pub use file::MARKER;
use health::is_disk_failure;
pub use health::StoreHealth;
pub use open::{integrity, Creation, Integrity};

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
    #[error("store: {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The state directory had a store (its marker says so) and has none.
    #[error("{}", said::plain(self, Language::En))]
    Missing { dir: PathBuf, created: String },
    /// SQLite found damaged pages.
    #[error("{}", said::plain(self, Language::En))]
    Corrupt { path: PathBuf, detail: String },
    #[error("store thread has stopped")]
    Closed,
    /// A read-only command found no database: nothing was created.
    #[error("{}", said::plain(self, Language::En))]
    NoStore { path: PathBuf },
    /// A read-only command cannot read a store of another schema version.
    #[error("{}", said::plain(self, Language::En))]
    Version { path: PathBuf, found: usize },
    #[error("store: {0}")]
    Invalid(String),
}

/// The schema version this binary writes and reads.
pub fn known_schema() -> usize {
    schema::latest()
}

/// A cheap, cloneable handle to the store thread.
#[derive(Clone, Debug)]
pub struct Store {
    jobs: mpsc::Sender<writer::Job>,
    reads: mpsc::Sender<reader::ReadJob>,
    health: Arc<StoreHealth>,
    path: Arc<PathBuf>,
    file: Arc<watch::FileWatch>,
    /// Woken when a write-back resolves and the changes it held are due
    /// (the change worker waits on it too; see [`intents`]).
    changes_wake: Arc<tokio::sync::Notify>,
}

impl Store {
    /// Opens `state_dir/gateway.db` (creating it only in a directory that
    /// never had one), checks it, applies migrations and starts the store
    /// thread.
    ///
    /// # Errors
    /// The folder cannot be created; the store is missing where one was
    /// ([`StoreError::Missing`]) or damaged ([`StoreError::Corrupt`]); or
    /// it cannot be opened or migrated.
    pub fn open(state_dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(state_dir, Creation::FirstOnly)
    }

    /// [`Store::open`], saying whether a lost store may be replaced by a
    /// new one.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_with(state_dir: &Path, creation: Creation) -> Result<Store, StoreError> {
        let opened = open::open(state_dir, creation)?;
        let health = Arc::new(StoreHealth::default());
        let jobs = writer::spawn(opened.writer, health.clone())?;
        let reads = reader::spawn(opened.reader)?;
        Ok(Store {
            jobs,
            reads,
            health,
            path: Arc::new(opened.path),
            file: Arc::new(opened.watch),
            changes_wake: Arc::default(),
        })
    }

    /// `Err` saying which file went and how, once the database file was
    /// deleted or replaced under the running store (it would write into a
    /// file no one will open again). One `stat` at most once a second.
    pub fn file_check(&self) -> Result<(), FileLost> {
        self.file.check()
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

    /// Proves the store thread is alive and can take the write lock, without
    /// writing: a call in the next batch, whose transaction (`BEGIN
    /// IMMEDIATE`) waits for the lock like any write and, changing no page,
    /// commits without touching the disk. The watchdog and `/healthz` ask it
    /// every few seconds; a disk that refuses writes shows in
    /// [`StoreHealth::write_failure`] from the first real write it refused.
    ///
    /// # Errors
    /// The transaction could not be opened or committed (a lock held too
    /// long, a stopped thread).
    pub async fn probe(&self) -> Result<(), StoreError> {
        self.call(|_| Ok(())).await
    }

    /// Writes and commits a probe row: proves the store is writable (once,
    /// at start, before anything depends on it).
    ///
    /// # Errors
    /// The write or commit failed.
    pub async fn probe_write(&self) -> Result<(), StoreError> {
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

    /// Like [`Store::probe_write`], but the write needs new pages (and is taken
    /// back in the same call): asked while writes fail, it fails until
    /// there is room again, where a probe rewriting its one row may not.
    ///
    /// # Errors
    /// The write or commit failed.
    pub async fn probe_room(&self) -> Result<(), StoreError> {
        self.call(|c| {
            c.prepare_cached(
                "INSERT INTO meta(key, value) VALUES ('probe_room', zeroblob(65536))
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute([])?;
            c.prepare_cached("DELETE FROM meta WHERE key = 'probe_room'")?
                .execute([])?;
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
                let mut st =
                    c.prepare("SELECT key FROM meta WHERE key IN ('a', 'b') ORDER BY key")?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(keys, vec!["a".to_string()]);
        let read: Vec<String> = store
            .read(|c| {
                let mut st =
                    c.prepare("SELECT key FROM meta WHERE key IN ('a', 'b') ORDER BY key")?;
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
    async fn a_call_the_disk_refused_marks_the_store_failing_until_a_clean_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let full = || {
            StoreError::Sql(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                Some("database or disk is full".into()),
            ))
        };
        let refused = store.call(move |_| Err::<(), _>(full())).await;
        assert!(refused.is_err());
        let why = store.health().write_failure().expect("failing at once");
        assert!(why.contains("full"), "{why}");
        // The caller's own mistakes are not the disk's, and a commit that
        // wrote nothing (the watchdog's probe) proves nothing of the disk.
        let mine = store
            .call(|_| Err::<(), _>(StoreError::Invalid("bad".into())))
            .await;
        assert!(mine.is_err());
        store.probe().await.unwrap();
        assert!(
            store.health().write_failure().is_some(),
            "an empty commit leaves it"
        );
        store.probe_write().await.unwrap();
        assert_eq!(
            store.health().write_failure(),
            None,
            "a clean commit that wrote clears it"
        );
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

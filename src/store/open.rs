//! Opening the database: the state folder, the two connections (the
//! writer's and the reader's, read-only), their pragmas, the start-up
//! integrity check, and the migrations. Nothing here runs after
//! [`crate::store::Store::open`] returns.
//!
//! A state directory that has had a store (its marker says so, see
//! `file.rs`) and has no `gateway.db` any more is refused unless the
//! operator asks for a new store ([`Creation::Anew`]): a silent new store
//! would drop every queued event and take a new baseline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension as _};

use super::file::{self, Marker};
use super::watch::FileWatch;
use super::{schema, StoreError};

/// Prepared statements kept per connection (the gateway has about 60).
const STATEMENT_CACHE: usize = 128;
/// How long a connection waits for the other's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether opening may create a store where one was before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// Create one only in a directory that never had one.
    FirstOnly,
    /// The operator asked for a new store (`--new-store`): create one even
    /// where the marker says a store was lost.
    Anew,
}

/// The database file and its two connections, migrated and ready.
pub(super) struct Opened {
    pub path: PathBuf,
    pub writer: Connection,
    pub reader: Connection,
    pub watch: FileWatch,
}

/// Opens (creating if allowed) `state_dir/gateway.db`, checks and migrates it.
///
/// # Errors
/// The folder cannot be created; the store is missing where one was
/// ([`StoreError::Missing`]); it is damaged ([`StoreError::Corrupt`]); or it
/// cannot be opened or migrated.
pub(super) fn open(state_dir: &Path, creation: Creation) -> Result<Opened, StoreError> {
    let (path, writer) = open_writer(state_dir, creation)?;
    let watch = FileWatch::new(&path)?;
    let reader = open_reader(&path)?;
    // Every statement is prepared once per connection (`prepare_cached`)
    // so no call pays for parsing SQL; room for all of them, so none is
    // evicted.
    writer.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(Opened {
        path,
        writer,
        reader,
        watch,
    })
}

/// The writer's connection on the checked, migrated store, its files
/// owner-only and the marker naming it.
pub(super) fn open_writer(
    state_dir: &Path,
    creation: Creation,
) -> Result<(PathBuf, Connection), StoreError> {
    open_writer_at(state_dir, creation, schema::latest())
}

/// [`open_writer`] with the store migrated only up to schema `version`
/// (`store rescue`, which migrates the rest once it has copied the rows).
pub(super) fn open_writer_at(
    state_dir: &Path,
    creation: Creation,
    version: usize,
) -> Result<(PathBuf, Connection), StoreError> {
    file::prepare_dir(state_dir)?;
    let path = state_dir.join(file::DB);
    let marker = Marker::read(state_dir)?;
    let existed = path.exists();
    if !existed {
        if let (Some(m), Creation::FirstOnly) = (&marker, creation) {
            return Err(StoreError::Missing {
                dir: state_dir.to_owned(),
                created: m.created.clone(),
            });
        }
        file::create_db(&path)?;
    }
    super::shm::prepare(&path)?;
    let conn = connect(&path)?;
    if existed {
        quick_check(&conn, &path)?;
    }
    schema::migrate_until(&conn, version)?;
    // After the migrations: a new store's page size is set by them.
    checkpoint_every(&conn, WAL_BEFORE_CHECKPOINT)?;
    file::owner_only(&path)?;
    adopt(&conn, state_dir, marker, existed)?;
    Ok((path, conn))
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    conn.execute_batch(
        // 1 MiB of page cache per connection (SQLite's default is 2):
        // the OS page cache holds the rest, and the board's RAM is small.
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
         PRAGMA cache_size=-1024;",
    )
    .map_err(|e| corrupt_or(e, path))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// How much WAL a checkpoint waits for, whatever the page size: a
/// checkpoint copies each page the WAL holds into the database file once,
/// so the longer it waits, the more rewrites of the same pages (a queue's
/// index, a busy table's last leaf) it folds into one write. 4 MiB: SQLite's
/// default for 4 KiB pages, kept for a new store's 512-byte ones.
const WAL_BEFORE_CHECKPOINT: i64 = 4 << 20;

fn checkpoint_every(conn: &Connection, bytes: i64) -> Result<(), StoreError> {
    let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    conn.pragma_update(None, "wal_autocheckpoint", bytes / page.max(512))?;
    Ok(())
}

/// `PRAGMA quick_check`: every page and record readable, without the
/// index-to-table comparison `integrity_check` adds (that one is in
/// `doctor`). On 100,000 rows it takes well under a second (BENCHMARKS.md).
pub(super) fn quick_check(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = conn
        .prepare("PRAGMA quick_check(5)")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| corrupt_or(e, path))?;
    if found == ["ok"] {
        return Ok(());
    }
    Err(StoreError::Corrupt {
        path: path.to_owned(),
        detail: found.join("; "),
    })
}

/// A SQLite error that says the file is damaged becomes
/// [`StoreError::Corrupt`]; any other stays what it was.
fn corrupt_or(e: rusqlite::Error, path: &Path) -> StoreError {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match e.sqlite_error_code() {
        Some(DatabaseCorrupt | NotADatabase) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        _ => StoreError::Open {
            path: path.to_owned(),
            source: e,
        },
    }
}

/// Ties the store and the marker together: a new store gets a new id; a
/// store from before markers (or restored from elsewhere) is adopted.
fn adopt(
    conn: &Connection,
    dir: &Path,
    marker: Option<Marker>,
    existed: bool,
) -> Result<(), StoreError> {
    let stored: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'store_id'", [], |r| {
            r.get(0)
        })
        .optional()?;
    let stored = stored.filter(|_| existed);
    let mine = match (&stored, &marker) {
        (Some(id), Some(m)) if *id == m.id => return Ok(()),
        (Some(id), Some(m)) => {
            tracing::warn!(marker = %m.created, "this store is not the one this state directory was created with (restored from elsewhere?): keeping it and marking it as this directory's store");
            Marker {
                id: id.clone(),
                created: m.created.clone(),
            }
        }
        (Some(id), None) => Marker {
            id: id.clone(),
            ..Marker::new()
        },
        (None, _) => Marker::new(),
    };
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('store_id', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [&mine.id],
    )?;
    mine.write(dir)
}

/// Opened after the writer has migrated: it must see the final schema.
fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let reader = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    reader.busy_timeout(BUSY_TIMEOUT)?;
    reader.execute_batch("PRAGMA cache_size=-1024;")?;
    Ok(reader)
}

/// What `PRAGMA integrity_check` says of the store in a state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// No `gateway.db`; `had_one`: the marker says there was one.
    NoStore { had_one: bool },
    /// Every page, record and index entry is consistent.
    Sound,
    /// SQLite's first findings.
    Damaged(String),
}

/// Runs `PRAGMA integrity_check` on a read-only connection (the daemon may
/// be running; nothing is written).
///
/// # Errors
/// The file cannot be opened at all.
pub fn integrity(state_dir: &Path) -> Result<Integrity, StoreError> {
    let path = state_dir.join(file::DB);
    if !path.exists() {
        let had_one = Marker::read(state_dir)?.is_some();
        return Ok(Integrity::NoStore { had_one });
    }
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| corrupt_or(e, &path))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let found = conn
        .prepare("PRAGMA integrity_check(5)")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        });
    Ok(match found {
        Ok(lines) if lines == ["ok"] => Integrity::Sound,
        Ok(lines) => Integrity::Damaged(lines.join("; ")),
        Err(e) => Integrity::Damaged(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker_id(dir: &Path) -> String {
        Marker::read(dir).unwrap().expect("a marker").id
    }

    #[test]
    fn a_store_without_a_marker_is_adopted_and_a_lost_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path(), Creation::FirstOnly).unwrap());
        let first = marker_id(dir.path());
        // A store from before markers (an upgraded board) starts as before.
        std::fs::remove_file(dir.path().join(file::MARKER)).unwrap();
        drop(open(dir.path(), Creation::FirstOnly).unwrap());
        assert_eq!(marker_id(dir.path()), first, "the store keeps its id");
        for f in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(f));
        }
        let refused = open(dir.path(), Creation::FirstOnly).err();
        assert!(
            matches!(refused, Some(StoreError::Missing { .. })),
            "{refused:?}"
        );
        assert!(!dir.path().join("gateway.db").exists());
        drop(open(dir.path(), Creation::Anew).unwrap());
        assert_ne!(marker_id(dir.path()), first, "a new store, a new id");
    }
}

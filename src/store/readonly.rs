//! The operator's read-only view of the store (`status`, `acks`, `outbox`,
//! `doctor`): opened with `SQLITE_OPEN_READ_ONLY`, never created, never
//! migrated, so a report run as another user (or by `sudo`) cannot leave a
//! file behind that the service cannot write.
//!
//! Only the reader thread runs; a write through this handle fails with
//! [`StoreError::Closed`]. SQLite may still create the `-shm` index of a WAL
//! database that has none; run as root it gives it the database's owner.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use rusqlite::{Connection, OpenFlags};

use super::{reader, schema, Store, StoreError};

impl Store {
    /// Opens `state_dir/gateway.db` for reading only.
    ///
    /// # Errors
    /// [`StoreError::NoStore`] when there is no database (nothing is
    /// created), [`StoreError::Version`] when its schema is not this
    /// binary's, or the database cannot be opened.
    pub fn open_read_only(state_dir: &Path) -> Result<Store, StoreError> {
        let (path, conn) = connect_read_only(state_dir)?;
        let reads = reader::spawn(conn)?;
        // No writer thread: its queue's receiving end is gone at once.
        let (jobs, _) = mpsc::channel();
        Ok(Store {
            jobs,
            reads,
            health: Arc::default(),
            file: Arc::new(super::watch::FileWatch::new(&path)?),
            path: Arc::new(path),
            changes_wake: Arc::default(),
        })
    }
}

/// A read-only connection to the store in `state_dir`, of this binary's
/// schema; nothing is created or migrated.
///
/// # Errors
/// [`StoreError::NoStore`] when there is no database, [`StoreError::Version`]
/// when its schema is another, or it cannot be opened.
pub(super) fn connect_read_only(state_dir: &Path) -> Result<(PathBuf, Connection), StoreError> {
    let path = state_dir.join("gateway.db");
    if !path.is_file() {
        return Err(StoreError::NoStore { path });
    }
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.clone(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    if found != schema::latest() {
        return Err(StoreError::Version { path, found });
    }
    Ok((path, conn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_store_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open_read_only(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::NoStore { .. }), "{err}");
        assert!(err.to_string().contains("the service has not run"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "files were created: {left:?}");
    }

    #[tokio::test]
    async fn it_reads_what_the_daemon_wrote_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let rw = Store::open(dir.path()).unwrap();
        rw.probe_write().await.unwrap();
        let ro = Store::open_read_only(dir.path()).unwrap();
        let probe: i64 = ro
            .read(|c| {
                Ok(
                    c.query_row("SELECT COUNT(*) FROM meta WHERE key = 'probe'", [], |r| {
                        r.get(0)
                    })?,
                )
            })
            .await
            .unwrap();
        assert_eq!(probe, 1);
        assert!(matches!(ro.probe().await, Err(StoreError::Closed)));
    }

    #[tokio::test]
    async fn a_newer_or_older_schema_is_a_plain_message() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let db = dir.path().join("gateway.db");
        let c = Connection::open(&db).unwrap();
        let latest = i64::try_from(schema::latest()).unwrap();
        c.pragma_update(None, "user_version", latest + 1).unwrap();
        let err = Store::open_read_only(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("newer gateway") && err.contains("upgrade"),
            "{err}"
        );
        c.pragma_update(None, "user_version", latest - 1).unwrap();
        let err = Store::open_read_only(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("older gateway") && err.contains("start the service once"),
            "{err}"
        );
        let version: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, latest - 1, "the read-only open did not migrate");
    }
}

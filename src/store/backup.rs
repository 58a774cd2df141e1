//! `kintone-line-gateway backup FILE`: a consistent copy of the live store
//! through SQLite's online backup API, while the service runs.
//!
//! The source is opened read-only and copied in one step, inside one read
//! transaction: in WAL mode that snapshot never blocks the service's
//! writer, and no write of the service can restart the copy. The copy is
//! written to `FILE.partial` (mode 0600: it holds the staff directory and
//! the queues), checked with `integrity_check`, switched to a plain rollback
//! journal so it is one self-contained file, and only then renamed to FILE.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// What a backup copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupDone {
    pub path: PathBuf,
    pub pages: i64,
    pub bytes: u64,
}

/// Why a backup was not made (nothing is left behind but a removed partial).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{} exists already: give a new file name (a backup never overwrites)", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies `state_dir/gateway.db` to `dest`.
///
/// # Errors
/// No store, `dest` exists or cannot be written, or SQLite failed.
pub fn backup(state_dir: &Path, dest: &Path) -> Result<BackupDone, BackupError> {
    let source = state_dir.join("gateway.db");
    if !source.is_file() {
        return Err(StoreError::NoStore { path: source }.into());
    }
    if dest.exists() {
        return Err(BackupError::Exists(dest.to_owned()));
    }
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let result = copy(&source, &partial).and_then(|pages| {
        std::fs::rename(&partial, dest).map_err(|source| BackupError::Write {
            path: dest.to_owned(),
            source,
        })?;
        Ok(pages)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let pages = result?;
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(BackupDone {
        path: dest.to_owned(),
        pages,
        bytes,
    })
}

/// The copy into `partial`, checked; returns its page count.
fn copy(source: &Path, partial: &Path) -> Result<i64, BackupError> {
    // Made owner-only before SQLite writes a byte into it.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(partial)
        .map_err(|source| BackupError::Write {
            path: partial.to_owned(),
            source,
        })?;
    let open = |path: &Path, flags| {
        Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })
    };
    let src = open(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    src.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(StoreError::from)?;
    let mut dst = open(
        partial,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    copy_all(&src, &mut dst)?;
    let sql = |e: rusqlite::Error| BackupError::Store(e.into());
    let check: String = dst
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sql)?;
    if check != "ok" {
        return Err(BackupError::Corrupt(check));
    }
    let _: String = dst
        .query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0))
        .map_err(sql)?;
    let pages: i64 = dst
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(sql)?;
    dst.close().map_err(|(_, e)| sql(e))?;
    Ok(pages)
}

/// Every page in one step (-1), so in one snapshot; a busy source (the
/// service checkpointing) is waited for a little and tried again.
fn copy_all(src: &Connection, dst: &mut Connection) -> Result<(), StoreError> {
    use rusqlite::backup::StepResult;
    let b = rusqlite::backup::Backup::new(src, dst)?;
    for _ in 0..100 {
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            // Not done after an all-pages step: take it again.
            StepResult::More => {}
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    Err(StoreError::Invalid(
        "the store stayed busy for 5 s: try the backup again".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn the_copy_is_owner_only_checked_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(dir.path()).unwrap();
        store.probe_write().await.unwrap();
        let dest = dir.path().join("copy.db");
        let done = backup(dir.path(), &dest).unwrap();
        assert!(done.pages > 0 && done.bytes > 0, "{done:?}");
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let c = Connection::open(&dest).unwrap();
        let probe: i64 = c
            .query_row("SELECT COUNT(*) FROM meta WHERE key = 'probe'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(probe, 1);
        assert!(matches!(
            backup(dir.path(), &dest),
            Err(BackupError::Exists(_))
        ));
        let empty = tempfile::tempdir().unwrap();
        let missing = backup(empty.path(), &empty.path().join("x.db"));
        assert!(matches!(
            missing,
            Err(BackupError::Store(StoreError::NoStore { .. }))
        ));
        assert!(!empty.path().join("x.db.partial").exists());
    }
}

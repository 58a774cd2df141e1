//! The database file's identity while the store runs: device and inode of
//! `gateway.db` and its `-wal` as opened, looked at again (one `stat` each,
//! at most once a second) by `/healthz`, before a webhook is answered and by
//! the watchdog, so a deleted or replaced file is noticed instead of written
//! into unseen. SQLite keeps the old file open, so its inode is not reused.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::file::{companions, io};
use super::StoreError;

/// How long one look at the file's identity is reused.
const CHECK_REUSE: Duration = Duration::from_secs(1);

/// A file's device and inode.
type Inode = (u64, u64);

fn inode(path: &Path) -> std::io::Result<Inode> {
    std::fs::metadata(path).map(|m| (m.dev(), m.ino()))
}

/// Why the store's file is no longer the store: `Display` is the log's
/// English (`STATUS=` says it in the config's language: `service`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLost {
    pub path: PathBuf,
    pub how: Lost,
}

/// What happened to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    Deleted,
    Replaced,
}

impl std::fmt::Display for FileLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        match self.how {
            Lost::Deleted => write!(f, "{path} was deleted"),
            Lost::Replaced => write!(f, "{path} was replaced by another file"),
        }
    }
}

/// The database file as it was opened, watched for deletion or replacement.
#[derive(Debug)]
pub(super) struct FileWatch {
    db: PathBuf,
    wal: PathBuf,
    opened: (Inode, Option<Inode>),
    /// Set once, for good: why the file is no longer the store.
    lost: OnceLock<FileLost>,
    last_look: Mutex<Option<Instant>>,
}

impl FileWatch {
    /// Records the identity of `db` and its `-wal` as they are now.
    pub(super) fn new(db: &Path) -> Result<FileWatch, StoreError> {
        let [wal, _] = companions(db);
        let db_inode = inode(db).map_err(|e| io(db, e))?;
        Ok(FileWatch {
            opened: (db_inode, inode(&wal).ok()),
            db: db.to_owned(),
            wal,
            lost: OnceLock::new(),
            last_look: Mutex::new(None),
        })
    }

    /// `Err` with a plain reason once the file is gone or replaced. Looks
    /// (one `stat` each for the file and its `-wal`) at most once a
    /// second; once lost, lost for good (the process must restart).
    pub(super) fn check(&self) -> Result<(), FileLost> {
        if let Some(why) = self.lost.get() {
            return Err(why.clone());
        }
        {
            let mut last = self
                .last_look
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < CHECK_REUSE) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        match self.look() {
            Ok(()) => Ok(()),
            Err(why) => {
                if self.lost.set(why.clone()).is_ok() {
                    tracing::error!(
                        file = %self.db.display(),
                        reason = %why,
                        "the store's file is no longer there: refusing webhooks (503, LINE redelivers) until restarted; stop the service, restore gateway.db from a backup or start it with --new-store"
                    );
                }
                Err(self.lost.get().cloned().unwrap_or(why))
            }
        }
    }

    fn look(&self) -> Result<(), FileLost> {
        let lost = |path: &Path, how| FileLost {
            path: path.to_owned(),
            how,
        };
        let (db, wal) = self.opened;
        match inode(&self.db) {
            Ok(now) if now == db => {}
            Ok(_) => return Err(lost(&self.db, Lost::Replaced)),
            Err(_) => return Err(lost(&self.db, Lost::Deleted)),
        }
        match (wal, inode(&self.wal)) {
            (None, _) => Ok(()),
            (Some(w), Ok(now)) if now == w => Ok(()),
            (Some(_), Ok(_)) => Err(lost(&self.wal, Lost::Replaced)),
            (Some(_), Err(_)) => Err(lost(&self.wal, Lost::Deleted)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::file::DB;

    #[test]
    fn deletion_and_replacement_are_seen_and_stay_seen() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(DB);
        std::fs::write(&db, "x").unwrap();
        // Held open, as SQLite holds it: its inode is not reused.
        let _held = std::fs::File::open(&db).unwrap();
        let watch = FileWatch::new(&db).unwrap();
        assert_eq!(watch.check(), Ok(()));
        std::fs::remove_file(&db).unwrap();
        std::fs::write(&db, "y").unwrap();
        *watch.last_look.lock().unwrap() = None;
        let why = watch.check().unwrap_err();
        assert_eq!(why.how, Lost::Replaced, "{why}");
        std::fs::remove_file(&db).unwrap();
        assert_eq!(watch.check().unwrap_err(), why, "the first reason stays");
    }
}

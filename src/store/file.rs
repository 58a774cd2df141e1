//! The store's files on disk: owner-only modes whatever the umask, names
//! for files moved aside, and the marker that says this state directory has
//! had a store (the running file's identity is `watch.rs`).
//!
//! The marker (`store-created`) sits beside the database but outside the
//! `gateway.db*` glob, so `rm gateway.db*` leaves it and the next start
//! knows a store was lost. It names the store's id (also kept in the
//! store's `meta` table) and when it was created. Removing the whole state
//! directory removes the marker too: that start is a first start.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::Write as _;
use std::os::unix::fs::{
    DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _,
};
use std::path::{Path, PathBuf};

use super::StoreError;

/// The database file in the state directory.
pub(super) const DB: &str = "gateway.db";
/// The marker file in the state directory.
pub const MARKER: &str = "store-created";

/// The files SQLite keeps beside `db` in WAL mode.
pub(super) fn companions(db: &Path) -> [PathBuf; 2] {
    [beside(db, "-wal"), beside(db, "-shm")]
}

/// The rollback journal SQLite keeps beside `db` outside WAL mode (during
/// `store compact`'s VACUUM).
pub(super) fn rollback_journal(db: &Path) -> PathBuf {
    beside(db, "-journal")
}

fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Creates the state directory owner-only (0700); an existing one that
/// others can enter is tightened (they could read invite codes and texts).
pub(super) fn prepare_dir(dir: &Path) -> Result<(), StoreError> {
    let failed = |source| StoreError::Dir {
        path: dir.to_owned(),
        source,
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(failed)?;
    let mode = std::fs::metadata(dir).map_err(failed)?.mode() & 0o777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, Permissions::from_mode(0o700)).map_err(failed)?;
        tracing::warn!(dir = %dir.display(), mode = format!("{mode:o}"), "the state directory was open to others: made it owner-only (0700)");
    }
    Ok(())
}

/// Creates an empty database file 0600 before SQLite opens it: SQLite
/// gives its `-wal` and `-shm` the database file's mode, so they are
/// owner-only from their first byte too.
pub(super) fn create_db(db: &Path) -> Result<(), StoreError> {
    for stale in companions(db).iter().filter(|p| p.exists()) {
        // A journal without its database would be replayed into the new
        // one: keep it aside instead.
        let aside = aside_name(stale, "stale");
        std::fs::rename(stale, &aside).map_err(|e| io(stale, e))?;
        tracing::warn!(file = %stale.display(), kept = %aside.display(), "moved a journal without its database aside");
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(db)
        .map_err(|e| io(db, e))?;
    owner_only(db)
}

/// Makes the database and its companions 0600, whatever umask or older
/// version created them.
pub(super) fn owner_only(db: &Path) -> Result<(), StoreError> {
    let [wal, shm] = companions(db);
    for p in [db, wal.as_path(), shm.as_path()] {
        match std::fs::metadata(p) {
            Ok(m) if m.mode() & 0o777 != 0o600 => {
                std::fs::set_permissions(p, Permissions::from_mode(0o600)).map_err(|e| io(p, e))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(p, e)),
        }
    }
    Ok(())
}

/// `path` renamed with `what` and the local time, e.g.
/// `gateway.db.damaged-20261201T140500`; the same suffix for a companion
/// goes before its `-wal`/`-shm` so SQLite still pairs them.
pub(super) fn aside_name(path: &Path, what: &str) -> PathBuf {
    let stamp = jiff::Timestamp::from_millisecond(crate::clock::now_ms())
        .map(|t| t.strftime("%Y%m%dT%H%M%S").to_string())
        .unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let renamed = match name.rsplit_once('-') {
        Some((base, tail)) if tail == "wal" || tail == "shm" => {
            format!("{base}.{what}-{stamp}-{tail}")
        }
        _ => format!("{name}.{what}-{stamp}"),
    };
    path.with_file_name(renamed)
}

pub(super) fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.to_owned(),
        source,
    }
}

/// What the marker says: which store this directory has, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Marker {
    pub id: String,
    pub created: String,
}

impl Marker {
    /// A marker for a store created now.
    pub(super) fn new() -> Marker {
        Marker {
            id: uuid::Uuid::new_v4().to_string(),
            created: jiff::Timestamp::from_millisecond(crate::clock::now_ms())
                .map(|t| t.to_string())
                .unwrap_or_default(),
        }
    }

    /// The marker in `dir`, if there is one.
    pub(super) fn read(dir: &Path) -> Result<Option<Marker>, StoreError> {
        let path = dir.join(MARKER);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path, e)),
        };
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        Ok(Some(Marker {
            id: field("id="),
            created: field("created="),
        }))
    }

    /// Writes the marker (0600) durably: a temporary file, fsynced, renamed.
    pub(super) fn write(&self, dir: &Path) -> Result<(), StoreError> {
        let path = dir.join(MARKER);
        let tmp = dir.join(format!(".{MARKER}.tmp"));
        let text = format!(
            "# kintone-line-gateway: this directory has a store (gateway.db). If gateway.db\n\
             # is gone the gateway refuses to start; see `run --new-store`.\n\
             id={}\ncreated={}\n",
            self.id, self.created
        );
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| io(&tmp, e))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| io(&tmp, e))?;
        std::fs::set_permissions(&tmp, Permissions::from_mode(0o600)).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aside_names_keep_the_journal_suffix_last() {
        let n = aside_name(Path::new("/s/gateway.db-wal"), "damaged");
        let n = n.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            n.starts_with("gateway.db.damaged-") && n.ends_with("-wal"),
            "{n}"
        );
    }

    #[test]
    fn the_marker_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Marker::read(dir.path()).unwrap(), None);
        let m = Marker::new();
        m.write(dir.path()).unwrap();
        assert_eq!(Marker::read(dir.path()).unwrap(), Some(m));
        let mode = std::fs::metadata(dir.path().join(MARKER)).unwrap().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

//! Where the store's WAL index lives. SQLite keeps it in a file it maps
//! into memory, `gateway.db-shm` beside the database, and changes a few of
//! its pages at every commit. On an SD card the kernel writes those pages
//! back within 30 s, so an event on its own cost about 20 KiB more than its
//! commits (docs/BENCHMARKS.md). This build keeps the index in `/dev/shm`
//! instead, a file system in memory (`SQLITE_SHM_DIRECTORY` in
//! `LIBSQLITE3_FLAGS`, `.cargo/config.toml`); SQLite names the file there
//! after the database file's inode and device, and rebuilds it from the WAL
//! when it is gone (after a reboot, or systemd's `RemoveIPC=`).
//!
//! Every program that has the store open must use the same index, or their
//! writes corrupt it. The gateway's own commands are this build. Another
//! SQLite (the `sqlite3` shell, Python) would make an index of its own
//! beside the database, so `gateway.db-shm` is made a symbolic link to a
//! path that cannot exist: SQLite does not follow it and refuses to open the
//! store ("unable to open database file"), and `ls -l` says why. With the
//! service stopped, such a program opens it with `PRAGMA locking_mode =
//! EXCLUSIVE` first, which needs no index file (INSTALL.md).

use std::path::Path;

use super::file::{self, companions};
use super::StoreError;

/// The directory this build keeps WAL indexes in.
const MEMORY: &str = "/dev/shm";

/// What `gateway.db-shm` points at.
const GUARD: &str = "/proc/kintone-line-gateway: the WAL index is in /dev/shm; \
     stop the service, then open with PRAGMA locking_mode = EXCLUSIVE";

/// Whether this build's SQLite keeps WAL indexes in [`MEMORY`]: the flags
/// its build script was given are the ones this crate was compiled with.
pub(super) fn in_memory() -> bool {
    option_env!("LIBSQLITE3_FLAGS")
        .is_some_and(|f| f.contains(r#"-DSQLITE_SHM_DIRECTORY="/dev/shm""#))
}

/// Makes `gateway.db-shm` what this build needs before SQLite opens `db`:
/// the guard when the index is in memory, nothing otherwise. Nothing is
/// taken away while another program has the store open.
///
/// # Errors
/// `/dev/shm` is not a directory this process can write in, or another
/// program has the store open with an index elsewhere.
pub(super) fn prepare(db: &Path) -> Result<(), StoreError> {
    let [_, beside] = companions(db);
    let guarded = std::fs::read_link(&beside).is_ok_and(|t| t == Path::new(GUARD));
    if !in_memory() {
        // A build without the option (a developer's): it needs the file
        // beside the database, unless the guard's build is using the store.
        if guarded {
            refuse_if_open(db)?;
            std::fs::remove_file(&beside).map_err(|e| file::io(&beside, e))?;
        }
        return Ok(());
    }
    writable(Path::new(MEMORY))?;
    if guarded {
        return Ok(());
    }
    if std::fs::symlink_metadata(&beside).is_ok() {
        // An index an older gateway (or another program) left beside it.
        refuse_if_open(db)?;
        std::fs::remove_file(&beside).map_err(|e| file::io(&beside, e))?;
    }
    std::os::unix::fs::symlink(GUARD, &beside).map_err(|e| file::io(&beside, e))
}

fn writable(dir: &Path) -> Result<(), StoreError> {
    let problem = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {
            let probe = dir.join(format!(
                ".kintone-line-gateway-{}-{:x}",
                std::process::id(),
                fastrand::u64(..)
            ));
            match std::fs::File::create(&probe) {
                Ok(_) => return std::fs::remove_file(&probe).map_err(|e| file::io(&probe, e)),
                Err(e) => e,
            }
        }
        Ok(_) => std::io::Error::other("not a directory"),
        Err(e) => e,
    };
    Err(StoreError::File {
        path: dir.to_owned(),
        source: std::io::Error::new(
            problem.kind(),
            format!("the store keeps its WAL index here, in memory, and cannot: {problem}"),
        ),
    })
}

/// Fails when another program has `db` open. Opened with `locking_mode =
/// EXCLUSIVE`, a WAL store needs no index file, and SQLite takes the
/// database file's exclusive lock at the first read, which it cannot while
/// anyone else holds it open. Closing it checkpoints the WAL into the file.
fn refuse_if_open(db: &Path) -> Result<(), StoreError> {
    let look = || -> rusqlite::Result<()> {
        let c = rusqlite::Connection::open(db)?;
        c.execute_batch("PRAGMA locking_mode = EXCLUSIVE")?;
        c.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |_| Ok(()))
    };
    match look() {
        Ok(()) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
            Err(StoreError::File {
                path: db.to_owned(),
                source: std::io::Error::other(
                    "another program has the store open: stop it (or the other gateway) first",
                ),
            })
        }
        Err(source) => Err(StoreError::Open {
            path: db.to_owned(),
            source,
        }),
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;
    use crate::store::open::{open, Creation};
    use std::os::unix::fs::OpenOptionsExt as _;
    use std::path::PathBuf;

    /// The index file SQLite makes in [`MEMORY`] for `db` (`sqlite-shm-` and
    /// the low 32 bits of its inode and device, in hex).
    fn index_of(db: &Path) -> Result<PathBuf, StoreError> {
        use std::os::unix::fs::MetadataExt as _;
        let m = std::fs::metadata(db).map_err(|e| file::io(db, e))?;
        let low = |n: u64| n & 0xffff_ffff;
        Ok(Path::new(MEMORY).join(format!("sqlite-shm-{:x}-{:x}", low(m.ino()), low(m.dev()))))
    }

    #[test]
    fn this_build_keeps_the_index_in_memory_and_guards_the_file_beside_the_store() {
        assert!(
            in_memory(),
            "LIBSQLITE3_FLAGS (.cargo/config.toml) sets SQLITE_SHM_DIRECTORY"
        );
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join(file::DB);
        // An index an older gateway left beside the store gives way.
        file::prepare_dir(dir.path()).expect("dir");
        std::fs::write(dir.path().join("gateway.db-shm"), b"old index").expect("old index");
        let opened = open(dir.path(), Creation::FirstOnly).expect("open");
        opened
            .writer
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .expect("write");
        let index = index_of(&db).expect("index");
        assert!(
            index.is_file(),
            "{} while the store is open",
            index.display()
        );
        let beside = dir.path().join("gateway.db-shm");
        assert_eq!(std::fs::read_link(&beside).expect("link"), Path::new(GUARD));
        // What another SQLite does with it: open without following links.
        let other = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&beside);
        assert!(other.is_err(), "another SQLite cannot make an index there");
        drop(opened);
        // The next start keeps the guard and finds its rows.
        let again = open(dir.path(), Creation::FirstOnly).expect("reopen");
        let n: i64 = again
            .reader
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("read");
        assert_eq!(n, 1);
        assert_eq!(std::fs::read_link(&beside).expect("link"), Path::new(GUARD));
    }
}

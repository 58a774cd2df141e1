//! Opening the database: the state folder, the two connections (the
//! writer's and the reader's, read-only), their pragmas, and the migrations.
//! Nothing here runs after [`crate::store::Store::open`] returns.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{schema, StoreError};

/// Prepared statements kept per connection (the gateway has about 60).
const STATEMENT_CACHE: usize = 128;
/// How long a connection waits for the other's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The database file and its two connections, migrated and ready.
pub(super) struct Opened {
    pub path: PathBuf,
    pub writer: Connection,
    pub reader: Connection,
}

/// Opens (creating if needed) `state_dir/gateway.db` and migrates it.
///
/// # Errors
/// The folder cannot be created, or the database cannot be opened or
/// migrated.
pub(super) fn open(state_dir: &Path) -> Result<Opened, StoreError> {
    std::fs::create_dir_all(state_dir).map_err(|source| StoreError::Dir {
        path: state_dir.to_owned(),
        source,
    })?;
    let path = state_dir.join("gateway.db");
    let writer = open_writer(&path)?;
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
    })
}

fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    conn.execute_batch(
        // 1 MiB of page cache per connection (SQLite's default is 2):
        // the OS page cache holds the rest, and the board's RAM is small.
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
         PRAGMA cache_size=-1024;",
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    schema::migrate(&conn)?;
    Ok(conn)
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

//! `store compact`: the store rewritten in a new store's layout, with the
//! service stopped. A store made by an older gateway keeps its 1 or 4 KiB
//! pages, which write two to three times more to the SD card per event than
//! a new store's 512-byte ones, and may not give the pages of pruned rows
//! back to the file system (docs/BENCHMARKS.md, `-- wear`). One VACUUM
//! gives it both and drops every free page; on a new store it only drops
//! the free pages. It runs in a rollback journal, so a crash or a full disk
//! leaves the store as it was.

use std::path::Path;

use rusqlite::Connection;

use super::file;
use super::open::quick_check;
use super::schema::NEW_LAYOUT;
use super::{Store, StoreError};

/// A store file's size and layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub bytes: u64,
    pub page_size: i64,
    /// `auto_vacuum = INCREMENTAL`: pruned rows' pages go back to the file
    /// system.
    pub gives_back: bool,
}

/// A new store's page size (what [`NEW_LAYOUT`] sets).
const NEW_PAGE_SIZE: i64 = 512;

impl Layout {
    /// A new store's layout: `store compact` would change nothing but the
    /// free pages.
    pub fn is_current(&self) -> bool {
        self.page_size == NEW_PAGE_SIZE && self.gives_back
    }
}

impl Store {
    /// The store's page size and auto-vacuum mode (`bytes`: the database
    /// file's size, without its WAL).
    ///
    /// # Errors
    /// The read failed.
    pub async fn layout(&self) -> Result<Layout, StoreError> {
        let path = self.path().to_owned();
        self.read(move |c| Ok(layout(c, size(&path)?)?)).await
    }
}

/// The store before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    pub before: Layout,
    pub after: Layout,
}

/// Rewrites `state_dir/gateway.db` in a new store's layout. Refused with
/// [`StoreError::Open`] (busy) while another program, the service among
/// them, has it open.
///
/// # Errors
/// There is no store, another program has it open, or SQLite failed (the
/// store is then as it was).
pub fn compact(state_dir: &Path) -> Result<Compacted, StoreError> {
    let db = state_dir.join(file::DB);
    if !db.exists() {
        return Err(StoreError::NoStore { path: db });
    }
    let opened = |source| StoreError::Open {
        path: db.clone(),
        source,
    };
    let conn = Connection::open(&db).map_err(opened)?;
    // Needs no WAL index, and takes the file's exclusive lock at the first
    // read: that fails (busy) while anyone else holds the store open.
    conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE")
        .map_err(opened)?;
    // The WAL's frames not yet checkpointed are the store's too.
    let bytes = size(&db)? + size(&file::companions(&db)[0]).unwrap_or(0);
    let before = layout(&conn, bytes).map_err(opened)?;
    conn.execute_batch(NEW_LAYOUT)?;
    quick_check(&conn, &db)?;
    let after = layout(&conn, 0)?;
    // Closing it checkpoints the WAL into the file and removes it.
    conn.close().map_err(|(_, e)| e)?;
    let after = Layout {
        bytes: size(&db)?,
        ..after
    };
    Ok(Compacted { before, after })
}

/// The layout `conn`'s store has, for a file of `bytes`.
fn layout(conn: &Connection, bytes: u64) -> rusqlite::Result<Layout> {
    let page_size = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let vacuum: i64 = conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
    Ok(Layout {
        bytes,
        page_size,
        gives_back: vacuum == 2,
    })
}

fn size(path: &Path) -> Result<u64, StoreError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| file::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_store_has_the_layout_compact_makes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let layout = store.layout().await.unwrap();
        assert!(layout.is_current(), "{layout:?}");
        drop(store);
        let done = compact(dir.path()).unwrap();
        assert!(
            done.before.is_current() && done.after.is_current(),
            "{done:?}"
        );
    }
}

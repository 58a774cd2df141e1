//! `store rescue` on a store with one bad page.

use super::*;
use crate::store::Store;

/// A closed store whose `invite_failures` spans many pages, with the
/// first leaf page of that table overwritten with garbage.
fn damaged_store(dir: &Path, rows: i64) {
    let (path, conn) = open::open_writer(dir, Creation::FirstOnly).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    for i in 0..rows {
        conn.execute(
            "INSERT INTO invite_failures(line_user_id, at_ms) VALUES (?1, ?2)",
            rusqlite::params![format!("U{i:0>60}"), i],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    let page: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    let root: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = 'invite_failures'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let (page, root) = (page as usize, root as usize);
    let mut bytes = std::fs::read(&path).unwrap();
    // Down the left edge of the table's tree (two levels or more) to its
    // first leaf.
    let mut node = (root - 1) * page;
    assert_eq!(bytes[node], 0x05, "the table spans several pages");
    while bytes[node] == 0x05 {
        let cell = usize::from(u16::from_be_bytes([bytes[node + 12], bytes[node + 13]]));
        let at = node + cell;
        let child = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        node = (child - 1) * page;
    }
    let leaf = node;
    bytes[leaf..leaf + page].fill(0xa5);
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn one_bad_page_costs_only_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    damaged_store(dir.path(), 3000);
    let r = rescue(dir.path()).unwrap();
    assert!(r.damaged_file.exists());
    let t = r
        .tables
        .iter()
        .find(|t| t.table == "invite_failures")
        .unwrap();
    assert!(t.damaged, "{t:?}");
    assert_eq!(t.before, Some(3000), "{t:?}");
    // A leaf holds about 12 of these rows (1 KiB pages; 50 in 4 KiB).
    assert!(t.kept >= 2900 && t.kept < 3000, "{t:?}");
    let inbox = r.tables.iter().find(|t| t.table == "inbox").unwrap();
    assert!(!inbox.damaged, "{inbox:?}");
    // The new store opens cleanly.
    drop(Store::open(dir.path()).unwrap());
}

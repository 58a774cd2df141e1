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
    drop(conn);
    damage::damage_first_leaf(&path, "invite_failures").unwrap();
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

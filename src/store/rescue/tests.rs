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

/// A store from before cards had a table of their own (schema 14) keeps
/// each card in its delivery's row: rescued, the cards come along.
#[test]
fn an_older_stores_cards_are_rescued_from_its_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    file::prepare_dir(dir.path()).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(file::DB)).unwrap();
    super::super::schema::migrate_to(&conn, 14);
    conn.execute_batch(
        "INSERT INTO notifications(id, app, record, rule, to_value, revision, created_ms)
           VALUES ('n1', 1, 5, 'r', 'Urgent', 3, 1);
         INSERT INTO deliveries(seq, notification, recipient, bubble, alt_text, created_ms)
           VALUES (4, 'n1', 'U1', '{}', 'Urgent', 1);",
    )
    .unwrap();
    drop(conn);
    let r = rescue(dir.path()).unwrap();
    let cards = r.tables.iter().find(|t| t.table == "cards").unwrap();
    assert_eq!(
        (cards.kept, cards.before, cards.damaged),
        (1, Some(1), false)
    );
    let store = open::open_writer(dir.path(), Creation::FirstOnly)
        .unwrap()
        .1;
    let card: (i64, String) = store
        .query_row("SELECT delivery, alt_text FROM cards", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(card, (4, "Urgent".into()));
}

/// The same older store with a bad page among its deliveries: the cards on
/// the other pages still come along.
#[test]
fn an_older_stores_cards_are_rescued_past_a_bad_page() {
    let dir = tempfile::tempdir().unwrap();
    file::prepare_dir(dir.path()).unwrap();
    let db = dir.path().join(file::DB);
    let conn = rusqlite::Connection::open(&db).unwrap();
    super::super::schema::migrate_to(&conn, 14);
    conn.execute_batch(
        "BEGIN;
         INSERT INTO notifications(id, app, record, rule, to_value, revision, created_ms)
           VALUES ('n1', 1, 5, 'r', 'Urgent', 3, 1);",
    )
    .unwrap();
    for seq in 1..=3000 {
        conn.execute(
            "INSERT INTO deliveries(seq, notification, recipient, bubble, alt_text, created_ms)
               VALUES (?1, 'n1', 'U1', '{}', 'Urgent', 1)",
            [seq],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    damage::damage_first_leaf(&db, "deliveries").unwrap();
    let r = rescue(dir.path()).unwrap();
    let cards = r.tables.iter().find(|t| t.table == "cards").unwrap();
    assert!(cards.damaged, "{cards:?}");
    assert!(cards.kept >= 2800 && cards.kept < 3000, "{cards:?}");
    let store = open::open_writer(dir.path(), Creation::FirstOnly)
        .unwrap()
        .1;
    let last: i64 = store
        .query_row("SELECT max(delivery) FROM cards", [], |r| r.get(0))
        .unwrap();
    assert_eq!(last, 3000);
}

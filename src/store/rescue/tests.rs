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
    let t = table(&r, "invite_failures");
    assert!(t.damaged, "{t:?}");
    assert_eq!(t.before, Some(3000), "{t:?}");
    // A leaf holds about 12 of these rows (1 KiB pages; 50 in 4 KiB).
    assert!(t.kept >= 2900 && t.kept < 3000, "{t:?}");
    let inbox = table(&r, "inbox");
    assert!(!inbox.damaged, "{inbox:?}");
    // The new store opens cleanly.
    drop(Store::open(dir.path()).unwrap());
}

/// What the rescue kept of `name`.
fn table<'a>(r: &'a Rescued, name: &str) -> &'a TableRescue {
    r.tables.iter().find(|t| t.table == name).unwrap()
}

/// A closed store's file as a gateway of schema `version` left it.
fn older_store(dir: &Path, version: usize) -> rusqlite::Connection {
    file::prepare_dir(dir).unwrap();
    let conn = rusqlite::Connection::open(dir.join(file::DB)).unwrap();
    super::super::schema::migrate_to(&conn, version);
    conn
}

/// A store from before cards had a table of their own (schema 14) keeps
/// each card in its delivery's row: rescued, the cards come along.
#[test]
fn an_older_stores_cards_are_rescued_from_its_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let conn = older_store(dir.path(), 14);
    conn.execute_batch(
        "INSERT INTO notifications(id, app, record, rule, to_value, revision, created_ms)
           VALUES ('n1', 1, 5, 'r', 'Urgent', 3, 1);
         INSERT INTO deliveries(seq, notification, recipient, bubble, alt_text, created_ms)
           VALUES (4, 'n1', 'U1', '{}', 'Urgent', 1);",
    )
    .unwrap();
    drop(conn);
    let r = rescue(dir.path()).unwrap();
    // Copied at the old schema, then migrated.
    let deliveries = table(&r, "deliveries");
    assert_eq!(
        (deliveries.kept, deliveries.before, deliveries.damaged),
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
    let conn = older_store(dir.path(), 14);
    let db = dir.path().join(file::DB);
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
    let deliveries = table(&r, "deliveries");
    assert!(deliveries.damaged, "{deliveries:?}");
    assert!(
        deliveries.kept >= 2800 && deliveries.kept < 3000,
        "{deliveries:?}"
    );
    let store = open::open_writer(dir.path(), Creation::FirstOnly)
        .unwrap()
        .1;
    let (cards, last): (i64, i64) = store
        .query_row("SELECT count(*), max(delivery) FROM cards", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((cards.unsigned_abs(), last), (deliveries.kept, 3000));
}

/// A closed store with `n` postback events in the inbox, each still to
/// handle; the database file's path.
fn waiting_events(dir: &Path, n: i64) -> PathBuf {
    let (path, conn) = open::open_writer(dir, Creation::FirstOnly).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    for seq in 1..=n {
        conn.execute(
            "INSERT INTO inbox(seq, event_id, kind, json, event_ts_ms, received_ms)
               VALUES (?1, 'e' || ?1, 'postback', '{}', ?1, ?1)",
            [seq],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO inbox_queue(event_ts_ms, seq, next_attempt_ms) VALUES (?1, ?1, 7)",
            [seq],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    path
}

/// The events still to handle: the queue's entries, each with its event.
fn queue_of(dir: &Path) -> Vec<(i64, i64)> {
    let store = open::open_writer(dir, Creation::FirstOnly).unwrap().1;
    let mut st = store
        .prepare(
            "SELECT q.seq, q.next_attempt_ms FROM inbox_queue q
               JOIN inbox USING (event_ts_ms, seq) ORDER BY q.seq",
        )
        .unwrap();
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    rows
}

/// The queue has no rowid: it is copied in its key's order, and the events
/// waiting in it are still waiting in the new store, retry time and all.
#[test]
fn the_events_still_to_handle_stay_queued() {
    let dir = tempfile::tempdir().unwrap();
    waiting_events(dir.path(), 3);
    let r = rescue(dir.path()).unwrap();
    let queue = table(&r, "inbox_queue");
    assert_eq!(
        (queue.kept, queue.before, queue.damaged),
        (3, Some(3), false)
    );
    assert_eq!(queue_of(dir.path()), [(1, 7), (2, 7), (3, 7)]);
}

/// A bad page in the queue costs the entries on it: the walk from the last
/// entry down keeps the rest.
#[test]
fn a_bad_page_of_the_queue_costs_only_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let db = waiting_events(dir.path(), 3000);
    damage::damage_first_leaf(&db, "inbox_queue").unwrap();
    let r = rescue(dir.path()).unwrap();
    let queue = table(&r, "inbox_queue");
    assert!(queue.damaged, "{queue:?}");
    assert!(queue.kept >= 2900 && queue.kept < 3000, "{queue:?}");
    let kept = queue_of(dir.path());
    assert_eq!(kept.len() as u64, queue.kept);
    assert_eq!(kept.last(), Some(&(3000, 7)));
}

/// A store from before the queue (schema 16) marks a waiting event in its
/// row: rescued, the event is in the new store's queue.
#[test]
fn an_older_stores_waiting_events_are_queued() {
    let dir = tempfile::tempdir().unwrap();
    let conn = older_store(dir.path(), 16);
    conn.execute_batch(
        "INSERT INTO inbox(seq, event_id, kind, json, event_ts_ms, received_ms, state,
             next_attempt_ms)
           VALUES (1, 'done', 'postback', '{}', 1, 1, 'done', 0),
                  (2, 'waiting', 'postback', '{}', 2, 2, 'pending', 9);",
    )
    .unwrap();
    drop(conn);
    rescue(dir.path()).unwrap();
    assert_eq!(queue_of(dir.path()), [(2, 9)]);
}

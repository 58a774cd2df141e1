//! Schema migrations, applied in order and recorded in `PRAGMA user_version`.
//! A migration, once released, is never edited: add a new one.

use rusqlite::Connection;

use super::StoreError;
use crate::secret::Secret;

const MIGRATIONS: &[&str] = &[
    // 1: the acknowledgement loop and the notification loop.
    r"
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);

    -- LINE events, written (and fsynced) before the webhook is answered.
    CREATE TABLE inbox(
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        json TEXT NOT NULL,
        event_ts_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',      -- pending | done | failed
        stage TEXT NOT NULL DEFAULT 'new',          -- ack progress: new | writing | written
        writeback_ref TEXT,                         -- comment id / revision the write-back produced
        reply_attempted INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        finished_ms INTEGER
    );
    CREATE INDEX inbox_pending ON inbox(next_attempt_ms) WHERE state = 'pending';

    CREATE TABLE staff(
        line_user_id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        kintone_user TEXT,
        linked_ms INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX staff_kintone ON staff(kintone_user) WHERE kintone_user IS NOT NULL;
    CREATE TABLE invites(
        code TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        kintone_user TEXT,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        used_by TEXT,
        used_ms INTEGER
    );
    CREATE TABLE invite_failures(line_user_id TEXT NOT NULL, at_ms INTEGER NOT NULL);
    CREATE INDEX invite_failures_user ON invite_failures(line_user_id, at_ms);
    CREATE TABLE profiles(
        line_user_id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        fetched_ms INTEGER NOT NULL
    );
    CREATE TABLE groups(
        group_id TEXT PRIMARY KEY,
        name TEXT,
        joined_ms INTEGER NOT NULL,
        left_ms INTEGER
    );

    -- The audit trail of acknowledgements.
    CREATE TABLE acks(
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        line_user_id TEXT,
        actor TEXT NOT NULL,
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        notification TEXT NOT NULL,
        method TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reply TEXT NOT NULL
    );
    CREATE INDEX acks_at ON acks(at_ms);

    -- Notification loop: last seen value of each watched field.
    CREATE TABLE field_state(
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        revision INTEGER NOT NULL,
        PRIMARY KEY(app, record, field)
    );
    CREATE TABLE app_baseline(app INTEGER PRIMARY KEY, done_ms INTEGER NOT NULL,
        max_record INTEGER NOT NULL);
    CREATE TABLE watermarks(app INTEGER PRIMARY KEY, updated TEXT NOT NULL);
    -- Revisions the gateway itself wrote: their webhooks and polls are echoes.
    CREATE TABLE own_writes(
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY(app, record, revision)
    );
    -- kintone webhook ids already taken in.
    CREATE TABLE kintone_seen(id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
    -- Record revisions already examined (webhook and poll dedupe).
    CREATE TABLE revisions_seen(
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY(app, record, revision)
    );
    -- kintone changes waiting to be examined (webhook hints and polled records).
    CREATE TABLE changes(
        seq INTEGER PRIMARY KEY,
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        source TEXT NOT NULL,
        payload TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        received_ms INTEGER NOT NULL
    );
    CREATE INDEX changes_pending ON changes(next_attempt_ms) WHERE state = 'pending';

    -- One row per notification (a record transition for one rule).
    CREATE TABLE notifications(
        id TEXT PRIMARY KEY,
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        rule TEXT NOT NULL,
        from_value TEXT,
        to_value TEXT NOT NULL,
        revision INTEGER NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        buzz INTEGER NOT NULL DEFAULT 0,
        acked_ms INTEGER,
        acked_by TEXT
    );
    CREATE INDEX notifications_open ON notifications(created_ms) WHERE acked_ms IS NULL;
    -- What each recipient is owed, before it is batched into a push.
    CREATE TABLE deliveries(
        seq INTEGER PRIMARY KEY,
        notification TEXT NOT NULL REFERENCES notifications(id),
        recipient TEXT NOT NULL,
        bubble TEXT NOT NULL,
        alt_text TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        push_id INTEGER
    );
    CREATE INDEX deliveries_unbatched ON deliveries(recipient, created_ms) WHERE push_id IS NULL;
    -- Push requests: body and retry key fixed before the first attempt.
    CREATE TABLE outbox(
        id INTEGER PRIMARY KEY,
        retry_key TEXT NOT NULL UNIQUE,
        recipients TEXT NOT NULL,
        messages TEXT NOT NULL,
        message_count INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',      -- pending | sent | dead
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        sent_ms INTEGER,
        request_id TEXT,
        last_error TEXT
    );
    CREATE INDEX outbox_pending ON outbox(next_attempt_ms) WHERE state = 'pending';
    CREATE TABLE last_push(recipient TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);

    -- Counters that survive restarts (daily kintone requests, fallbacks …).
    CREATE TABLE counters(name TEXT NOT NULL, day TEXT NOT NULL, value INTEGER NOT NULL,
        PRIMARY KEY(name, day));
    ",
    // 2: the ack worker reads due events in timestamp order; an index in that
    // order lets it stop after LIMIT rows instead of sorting every pending
    // event on each read (quadratic under a backlog).
    // The change and outbox queues likewise, in their order.
    r"
    CREATE INDEX inbox_pending_order ON inbox(event_ts_ms, seq) WHERE state = 'pending';
    CREATE INDEX changes_pending_order ON changes(seq) WHERE state = 'pending';
    CREATE INDEX outbox_pending_order ON outbox(id) WHERE state = 'pending';
    DROP INDEX inbox_pending;
    DROP INDEX changes_pending;
    DROP INDEX outbox_pending;
    ",
    // 3 (self-contained): write-back intents. Before a status or field
    // write-back is sent, the revision it will produce is stored here, in
    // the transaction that enters the `writing` stage; kintone may send the
    // write's webhook before it answers, or the process may die before the
    // answer. Changes of a record that reach exactly that revision are held
    // (`changes.held`) until the write-back resolves (see `store::intents`).
    r"
    CREATE TABLE write_intents(
        owner TEXT PRIMARY KEY,                     -- the inbox event id (or panel key)
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        revision INTEGER NOT NULL,                  -- the revision the write will produce
        at_ms INTEGER NOT NULL
    );
    CREATE INDEX write_intents_record ON write_intents(app, record, revision);
    ALTER TABLE changes ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX changes_held ON changes(app, record) WHERE held = 1;
    ",
    // 4: an acknowledgement is accepted only from a notification's
    // recipients, so each tap looks up the deliveries of one notification;
    // without this index that is a scan of every delivery ever made. The
    // indicator's dead-letter count (read often during a burst of taps)
    // likewise scanned every delivery: it now starts from the few dead push
    // requests.
    r"
    CREATE INDEX deliveries_notification ON deliveries(notification, recipient);
    CREATE INDEX deliveries_push ON deliveries(push_id);
    CREATE INDEX outbox_dead ON outbox(id) WHERE state = 'dead';
    ",
    // 5: the outbox paces each recipient by their requests of the last
    // minute (notify::pacing), not by one last-push time.
    r"
    CREATE TABLE push_history(
        recipient TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        cards INTEGER NOT NULL
    );
    CREATE INDEX push_history_by_recipient ON push_history(recipient, at_ms);
    CREATE INDEX push_history_by_age ON push_history(at_ms);
    DROP TABLE last_push;
    ",
    // 6 (self-contained): the `counters` table of migration 1 was never
    // read or written; kintone's daily counts are in `meta` (kintone_usage).
    r"
    DROP TABLE IF EXISTS counters;
    ",
    // 7 (self-contained): retention. The pruner (`store::retention`) walks
    // each table's finished rows oldest first, a few hundred at a time; these
    // indexes let every step start at the oldest such row instead of
    // scanning the table.
    r"
    CREATE INDEX inbox_bodies ON inbox(received_ms) WHERE state != 'pending' AND json != '';
    CREATE INDEX inbox_finished ON inbox(received_ms) WHERE state != 'pending';
    CREATE INDEX changes_done ON changes(received_ms) WHERE state != 'pending';
    CREATE INDEX notifications_acked ON notifications(created_ms) WHERE acked_ms IS NOT NULL;
    CREATE INDEX outbox_sent ON outbox(created_ms) WHERE state = 'sent';
    CREATE INDEX kintone_seen_at ON kintone_seen(at_ms);
    CREATE INDEX own_writes_at ON own_writes(at_ms);
    CREATE INDEX invite_failures_at ON invite_failures(at_ms);
    ",
    // 8 (self-contained): reminders and escalations (issue #19). One row per
    // notification whose rule has follow-ups, made in the transaction that
    // stores the notification: the next step of its schedule and when it is
    // due (steady ms). Advancing it and storing that step's deliveries is one
    // transaction, so a step goes out once. A stopped chain keeps its row:
    // when and why it stopped.
    // Quiet hours for pushes: each delivery says what it does in them
    // (hold | silent | send; rows from before send as they did), and a push
    // request whether it goes with notificationDisabled.
    r"
    ALTER TABLE deliveries ADD COLUMN night TEXT NOT NULL DEFAULT 'send';
    ALTER TABLE outbox ADD COLUMN silent INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE chains(
        notification TEXT PRIMARY KEY REFERENCES notifications(id),
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        field TEXT NOT NULL,                        -- the rule's watched field
        to_value TEXT NOT NULL,                     -- the value it notified on
        base_ms INTEGER NOT NULL,                   -- the schedule counts from here
        next_step INTEGER NOT NULL DEFAULT 0,       -- index into the rule's schedule
        due_ms INTEGER NOT NULL,
        give_up_ms INTEGER NOT NULL,
        stage TEXT NOT NULL DEFAULT 'first',        -- the last step sent
        stopped_ms INTEGER,
        stop_reason TEXT                            -- acknowledged | moved_on | gave_up | done
    );
    CREATE INDEX chains_due ON chains(due_ms) WHERE stopped_ms IS NULL;
    CREATE INDEX chains_record ON chains(app, record) WHERE stopped_ms IS NULL;
    ",
    // 9 (self-contained): a notification whose recipients
    // resolved to nobody is kept with the reason (and the fallback it went
    // to, if any), for `outbox`, `status` and the logs.
    r"
    CREATE TABLE undeliverable(
        notification TEXT PRIMARY KEY REFERENCES notifications(id),
        reason TEXT NOT NULL,
        fallback TEXT,
        created_ms INTEGER NOT NULL
    );
    ",
    // 10 (self-contained): what an operator did to the queues from the
    // command line (`outbox retry`), kept next to the acknowledgement
    // audit: who, when, which request, the retry keys old and new.
    r"
    CREATE TABLE operator_audit(
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        push_id INTEGER,
        detail TEXT NOT NULL
    );
    CREATE INDEX operator_audit_push ON operator_audit(push_id);
    ",
    // 11 (self-contained): Pub/Sub message ids of LINE Notify calls the
    // relay published, taken in once (Pub/Sub may deliver one twice).
    r"
    CREATE TABLE pulled_seen(id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
    CREATE INDEX pulled_seen_at ON pulled_seen(at_ms);
    ",
    // 12 (self-contained): how long a reminder chain's clock stood still
    // (`[notify] reminders_at_night = "pause"`): its steps count from
    // base_ms + paused_ms; base_ms stays the notification's time.
    r"
    ALTER TABLE chains ADD COLUMN paused_ms INTEGER NOT NULL DEFAULT 0;
    ",
    // 13 (self-contained): indexes that only retention read, kept up to date
    // by every event's commits (a page written to the SD card each): the
    // pruning walks these tables by row number instead (rows are stored
    // in time order; see `store::retention`). A finished event's body is
    // blanked when it finishes (nothing reads it after), so the older ones
    // are blanked here once.
    r"
    DROP INDEX inbox_finished;
    DROP INDEX inbox_bodies;
    DROP INDEX changes_done;
    DROP INDEX notifications_acked;
    DROP INDEX outbox_sent;
    DROP INDEX kintone_seen_at;
    UPDATE inbox SET json = '' WHERE state != 'pending' AND json != '';
    ",
    // 14 (self-contained): three more indexes an event's commits kept up to
    // date for little: the audit's time index (the audit reads newest first
    // by row number, retention walks it in row order), the unbatched cards'
    // own index (`deliveries_push` holds them too, as the NULL push id, in
    // row order) and push history's age index (the table holds one minute).
    r"
    DROP INDEX acks_at;
    DROP INDEX deliveries_unbatched;
    DROP INDEX push_history_by_age;
    ",
    // A delivery's card, written once: in the delivery's row, more than a
    // page, it was written again whole when the row got its push id.
    r"
    CREATE TABLE cards(
        delivery INTEGER PRIMARY KEY,               -- deliveries.seq
        bubble TEXT NOT NULL,
        alt_text TEXT NOT NULL
    );
    INSERT INTO cards(delivery, bubble, alt_text) SELECT seq, bubble, alt_text FROM deliveries;
    ALTER TABLE deliveries DROP COLUMN bubble;
    ALTER TABLE deliveries DROP COLUMN alt_text;
    -- A push request of one part's cards stores no copy of them: its
    -- messages are the cards of the deliveries that carry its id.
    ALTER TABLE outbox ADD COLUMN cards INTEGER NOT NULL DEFAULT 0;
    ",
    // 16: the audit without its event-id key, a page in every tap's finish
    // commit: an event is finished once (its row leaves 'pending' in the
    // same commit), and the one lookup by event id, correcting a Reply that
    // did not go, reads the newest rows first. The table is rebuilt, as a
    // column's UNIQUE cannot be dropped otherwise.
    r"
    CREATE TABLE acks_new(
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        line_user_id TEXT,
        actor TEXT NOT NULL,
        app INTEGER NOT NULL,
        record INTEGER NOT NULL,
        notification TEXT NOT NULL,
        method TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reply TEXT NOT NULL
    );
    INSERT INTO acks_new SELECT id, at_ms, event_id, line_user_id, actor, app, record,
        notification, method, outcome, reply FROM acks;
    DROP TABLE acks;
    ALTER TABLE acks_new RENAME TO acks;
    ",
    // 17: the events still to handle in a queue of their own, narrow rows
    // many to a page, so finishing an event deletes its queue entry and
    // leaves the event's row (most of a page) as it was stored: the finish
    // wrote that page again for its state, a page in every tap's finish.
    // `failed` keeps the one state the queue does not say.
    r"
    CREATE TABLE inbox_queue(
        event_ts_ms INTEGER NOT NULL,
        seq INTEGER NOT NULL,                       -- inbox.seq
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY(event_ts_ms, seq)
    ) WITHOUT ROWID;
    INSERT INTO inbox_queue(event_ts_ms, seq, next_attempt_ms)
        SELECT event_ts_ms, seq, next_attempt_ms FROM inbox WHERE state = 'pending';
    ALTER TABLE inbox ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
    UPDATE inbox SET failed = 1 WHERE state = 'failed';
    DROP INDEX inbox_pending_order;
    ALTER TABLE inbox DROP COLUMN state;
    ALTER TABLE inbox DROP COLUMN next_attempt_ms;
    ALTER TABLE inbox DROP COLUMN finished_ms;
    ",
    // 18: an event's reply token kept with its queue entry, not in its row:
    // the finish deletes the entry and the token with it, and leaves the row
    // as it was. The rows' tokens move in [`convert_rows`].
    r"
    ALTER TABLE inbox_queue ADD COLUMN reply_token TEXT;
    ",
];

/// What a migration's SQL cannot say (this SQLite is built without JSON
/// functions), run in its transaction after it: schema `version`'s rows.
fn convert_rows(c: &Connection, version: usize) -> Result<(), StoreError> {
    if version == 18 {
        reply_tokens_out_of_rows(c)?;
    }
    Ok(())
}

/// A waiting event's reply token to its queue entry; a finished one's, spent,
/// out of its row.
fn reply_tokens_out_of_rows(c: &Connection) -> Result<(), StoreError> {
    let rows: Vec<(i64, i64, String)> = c
        .prepare(
            "SELECT seq, event_ts_ms, json FROM inbox WHERE instr(json, '\"replyToken\"') > 0",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (seq, event_ts_ms, json) in rows {
        let Ok(mut ev) = serde_json::from_str::<serde_json::Value>(&json) else {
            continue;
        };
        if ev.get("replyToken").is_none() {
            continue;
        }
        let token = super::inbox::take_reply_token(&mut ev);
        c.execute(
            "UPDATE inbox SET json = ?2 WHERE seq = ?1",
            rusqlite::params![seq, ev.to_string()],
        )?;
        c.execute(
            "UPDATE inbox_queue SET reply_token = ?3 WHERE event_ts_ms = ?1 AND seq = ?2",
            rusqlite::params![event_ts_ms, seq, token.as_ref().map(Secret::expose)],
        )?;
    }
    Ok(())
}

/// A store as a gateway of schema `version` left it (tests of upgrades).
#[cfg(test)]
pub(super) fn migrate_to(conn: &Connection, version: usize) {
    for (i, sql) in MIGRATIONS[..version].iter().enumerate() {
        conn.execute_batch(sql).expect("migration");
        convert_rows(conn, i + 1).expect("rows");
    }
    conn.pragma_update(
        None,
        "user_version",
        i64::try_from(version).expect("version"),
    )
    .expect("version");
}

/// The schema version this binary migrates to (`PRAGMA user_version`).
pub fn latest() -> usize {
    MIGRATIONS.len()
}

/// The schema version a database is at (`PRAGMA user_version`).
pub(super) fn version_of(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
}

/// A new store's layout: 512-byte pages and incremental auto-vacuum, set
/// outside WAL mode by a VACUUM (which rewrites the file). `store compact`
/// gives an older store the same.
pub(super) const NEW_LAYOUT: &str = "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512;
     PRAGMA auto_vacuum = INCREMENTAL; VACUUM; PRAGMA journal_mode = WAL;";

/// Applies the migrations this database has not seen yet.
///
/// # Errors
/// A migration failed (the database is left at the previous version), or the
/// database is newer than this binary.
pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    migrate_until(conn, MIGRATIONS.len())
}

/// Applies the migrations this database has not seen yet up to schema
/// `version` (at most this binary's): `store rescue` copies an older
/// store's rows into a new store of the same schema, then migrates it, so
/// an older store's rows are converted by the migrations that convert it
/// in place.
///
/// # Errors
/// As [`migrate`].
pub(super) fn migrate_until(conn: &Connection, version: usize) -> Result<(), StoreError> {
    let current = version_of(conn)?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Invalid(format!(
            "database schema version {current} is newer than this gateway ({}); upgrade the gateway",
            MIGRATIONS.len()
        )));
    }
    if current == 0 {
        // A new store frees the pages of pruned rows back to the file
        // system (`store::retention` runs `incremental_vacuum`). The mode
        // takes effect through a VACUUM, instant while the file is empty
        // (the WAL header is already written). An older store keeps its
        // mode (converting rewrites the whole file: see docs/INSTALL.md) and
        // reuses freed pages instead, so it stops growing all the same.
        //
        // Its pages are 512 bytes, not 4 KiB: every commit appends each
        // page it touched to the WAL whole, and an SD card is written in
        // 4 KiB blocks, so a commit of six small rows' pages fits in one
        // block instead of six (docs/BENCHMARKS.md, `-- wear`). The size is
        // set outside WAL mode, by the same VACUUM.
        conn.execute_batch(NEW_LAYOUT)?;
    }
    let until = version.min(MIGRATIONS.len());
    for (i, sql) in MIGRATIONS.iter().enumerate().take(until).skip(current) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        convert_rows(&tx, i + 1)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan SQLite picks for `sql`, as one line.
    fn plan(c: &Connection, sql: &str) -> String {
        let mut st = c
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let rows = st
            .query_map([], |r| r.get::<_, String>(3))
            .expect("plan rows");
        rows.map(|r| r.unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    #[test]
    fn queue_reads_walk_an_index_in_their_order_without_sorting() {
        let c = Connection::open_in_memory().expect("db");
        migrate(&c).expect("migrate");
        migrate(&c).expect("a second run is a no-op");
        for (sql, index) in [
            (
                "SELECT seq FROM inbox_queue
                 WHERE next_attempt_ms <= 1 OR next_attempt_ms > 2
                 ORDER BY event_ts_ms, seq",
                "inbox_queue",
            ),
            (
                "SELECT seq FROM changes WHERE state = 'pending'
                   AND (next_attempt_ms <= 1 OR next_attempt_ms > 2)
                 ORDER BY seq LIMIT 10",
                "changes_pending_order",
            ),
            (
                "SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_ms <= 1
                 ORDER BY id LIMIT 10",
                "outbox_pending_order",
            ),
            (
                "SELECT DISTINCT recipient FROM deliveries WHERE notification = 'n'",
                "deliveries_notification",
            ),
        ] {
            let p = plan(&c, sql);
            assert!(
                p.contains(index) && !p.contains("TEMP B-TREE"),
                "{sql}: {p}"
            );
        }
    }

    #[test]
    fn an_older_store_loses_its_finished_bodies_and_its_time_indexes() {
        let c = Connection::open_in_memory().expect("db");
        migrate_to(&c, 12);
        c.execute_batch(
            "INSERT INTO inbox(event_id, kind, json, event_ts_ms, received_ms, state)
             VALUES ('done', 'postback', '{\"a\":1}', 1, 1, 'done'),
                    ('waiting', 'postback', '{\"b\":2}', 1, 1, 'pending')",
        )
        .expect("rows");
        migrate(&c).expect("migrate");
        let bodies: Vec<String> = c
            .prepare("SELECT json FROM inbox ORDER BY seq")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .expect("bodies");
        assert_eq!(bodies, ["", "{\"b\":2}"], "a pending event keeps its body");
        let left: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('inbox_finished', 'inbox_bodies',
                   'changes_done', 'notifications_acked', 'outbox_sent', 'kintone_seen_at')",
                [],
                |r| r.get(0),
            )
            .expect("indexes");
        assert_eq!(left, 0);
    }

    #[test]
    fn an_older_stores_cards_move_to_their_own_table() {
        let c = Connection::open_in_memory().expect("db");
        migrate_to(&c, 14);
        c.execute_batch(
            "INSERT INTO notifications(id, app, record, rule, to_value, revision, created_ms)
               VALUES ('n1', 1, 5, 'r', 'Urgent', 3, 1);
             INSERT INTO deliveries(seq, notification, recipient, bubble, alt_text, created_ms)
               VALUES (7, 'n1', 'U1', '{\"type\":\"bubble\"}', 'Urgent', 1);",
        )
        .expect("rows");
        migrate(&c).expect("migrate");
        let card: (i64, String, String) = c
            .query_row("SELECT delivery, bubble, alt_text FROM cards", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("card");
        assert_eq!(card, (7, r#"{"type":"bubble"}"#.into(), "Urgent".into()));
        let left: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name IN ('bubble', 'alt_text')",
                [],
                |r| r.get(0),
            )
            .expect("columns");
        assert_eq!(left, 0);
    }

    #[test]
    fn an_older_stores_audit_keeps_its_rows_without_the_event_id_key() {
        let c = Connection::open_in_memory().expect("db");
        migrate_to(&c, 15);
        c.execute_batch(
            "INSERT INTO acks(id, at_ms, event_id, line_user_id, actor, app, record,
                 notification, method, outcome, reply)
               VALUES (9, 1, 'e1', 'U1', 'Taro', 1, 5, 'n1', 'comment', 'written', 'replied');",
        )
        .expect("row");
        migrate(&c).expect("migrate");
        let row: (i64, String, String) = c
            .query_row("SELECT id, event_id, reply FROM acks", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("row");
        assert_eq!(row, (9, "e1".into(), "replied".into()));
        let indexes: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'acks'",
                [],
                |r| r.get(0),
            )
            .expect("indexes");
        assert_eq!(indexes, 0, "no index for a tap's finish to write");
    }

    #[test]
    fn an_older_stores_waiting_events_move_to_the_queue_and_finished_ones_stay() {
        let c = Connection::open_in_memory().expect("db");
        migrate_to(&c, 16);
        c.execute_batch(
            "INSERT INTO inbox(seq, event_id, kind, json, event_ts_ms, received_ms, state,
                 next_attempt_ms)
               VALUES (1, 'done', 'postback', '', 5, 5, 'done', 0),
                      (2, 'failed', 'postback', '', 6, 6, 'failed', 0),
                      (3, 'waiting', 'postback', '{}', 7, 7, 'pending', 900);",
        )
        .expect("rows");
        migrate(&c).expect("migrate");
        let queue: Vec<(i64, i64, i64)> = c
            .prepare("SELECT event_ts_ms, seq, next_attempt_ms FROM inbox_queue")
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .expect("queue");
        assert_eq!(
            queue,
            [(7, 3, 900)],
            "the waiting event keeps its retry time"
        );
        let failed: Vec<(String, bool)> = c
            .prepare("SELECT event_id, failed FROM inbox ORDER BY seq")
            .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .expect("rows");
        assert_eq!(
            failed,
            [
                ("done".into(), false),
                ("failed".into(), true),
                ("waiting".into(), false)
            ]
        );
    }

    #[test]
    fn an_older_stores_reply_tokens_move_to_the_queue_and_spent_ones_go() {
        let c = Connection::open_in_memory().expect("db");
        migrate_to(&c, 17);
        c.execute_batch(
            r#"INSERT INTO inbox(seq, event_id, kind, json, event_ts_ms, received_ms)
               VALUES (1, 'done', 'postback', '{"replyToken":"spent","type":"postback"}', 5, 5),
                      (2, 'waiting', 'postback', '{"replyToken":"fresh","type":"postback"}', 6, 6),
                      (3, 'blanked', 'message', '', 7, 7);
               INSERT INTO inbox_queue(event_ts_ms, seq, next_attempt_ms)
               VALUES (6, 2, 900), (7, 3, 0);"#,
        )
        .expect("rows");
        migrate(&c).expect("migrate");
        let queue: Vec<(i64, Option<String>)> = c
            .prepare("SELECT seq, reply_token FROM inbox_queue ORDER BY seq")
            .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .expect("queue");
        assert_eq!(queue, [(2, Some("fresh".into())), (3, None)]);
        let bodies: Vec<String> = c
            .prepare("SELECT json FROM inbox ORDER BY seq")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .expect("rows");
        assert_eq!(
            bodies,
            [r#"{"type":"postback"}"#, r#"{"type":"postback"}"#, ""],
            "no row keeps a reply token"
        );
    }

    #[test]
    fn cards_waiting_and_the_newest_acknowledgements_are_read_without_a_sort() {
        let c = Connection::open_in_memory().expect("db");
        migrate(&c).expect("migrate");
        let waiting = plan(&c, &super::super::deliveries::WAITING.replace("?1", "1"));
        assert!(
            waiting.contains("deliveries_push") && !waiting.contains("TEMP B-TREE"),
            "{waiting}"
        );
        let newest = plan(&c, "SELECT id FROM acks ORDER BY id DESC LIMIT 5");
        assert!(!newest.contains("TEMP B-TREE"), "{newest}");
        let left: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('acks_at',
                   'deliveries_unbatched', 'push_history_by_age')",
                [],
                |r| r.get(0),
            )
            .expect("indexes");
        assert_eq!(left, 0);
    }

    #[test]
    fn the_dead_letter_count_starts_from_dead_requests_not_every_delivery() {
        let c = Connection::open_in_memory().expect("db");
        migrate(&c).expect("migrate");
        let p = plan(&c, super::super::notifications::DEAD_LETTERS);
        assert!(
            p.contains("outbox_dead") && p.contains("deliveries_push") && !p.contains("SCAN d"),
            "{p}"
        );
    }

    #[test]
    fn due_chains_are_read_from_the_open_chains_index_in_due_order() {
        let c = Connection::open_in_memory().expect("db");
        migrate(&c).expect("migrate");
        let sql = super::super::chains::DUE_CHAINS
            .replace("?1", "1")
            .replace("?2", "64");
        let p = plan(&c, &sql);
        assert!(
            p.contains("chains_due") && !p.contains("TEMP B-TREE"),
            "{p}"
        );
    }

    #[test]
    fn no_table_is_left_that_nothing_reads() {
        let c = Connection::open_in_memory().expect("db");
        migrate(&c).expect("migrate");
        let tables: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'counters'",
                [],
                |r| r.get(0),
            )
            .expect("schema query");
        assert_eq!(tables, 0, "the unused counters table is still there");
    }
}

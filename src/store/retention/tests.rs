use std::time::Duration;

use rusqlite::params;

use super::*;

const DAY: i64 = 86_400_000;
/// The pass runs "now"; rows are stamped relative to it, as if the store had
/// run for a year and a half.
const NOW: i64 = 1_800_000_000_000;

fn spans() -> Spans {
    Spans {
        line_events: Duration::from_secs(86_400),
        line_dedup: Duration::from_secs(7 * 86_400),
        audit: Duration::from_secs(365 * 86_400),
        history: Duration::from_secs(62 * 86_400),
    }
}

/// `n` inbox rows named `prefix-i`, received `age` ago, in `state`; a
/// pending one with a 2 KiB body (a finished one keeps none).
fn events(c: &Connection, prefix: &str, n: usize, age: i64, state: &str) {
    let body = if state == "pending" {
        format!("{{\"pad\":\"{}\"}}", "x".repeat(2048))
    } else {
        String::new()
    };
    let mut st = c
        .prepare(
            "INSERT INTO inbox(event_id, kind, json, event_ts_ms, received_ms, failed)
             VALUES (?1, 'postback', ?2, ?3, ?3, ?4)",
        )
        .expect("prepare");
    let mut queue = c
        .prepare("INSERT INTO inbox_queue(event_ts_ms, seq) VALUES (?1, last_insert_rowid())")
        .expect("prepare");
    for i in 0..n {
        st.execute(params![
            format!("{prefix}-{i}"),
            body,
            NOW - age,
            state == "failed"
        ])
        .expect("event");
        if state == "pending" {
            queue.execute([NOW - age]).expect("queued");
        }
    }
}

fn seed(c: &Connection) {
    events(c, "ancient", 2_000, 30 * DAY, "done");
    events(c, "failed", 100, 30 * DAY, "failed");
    events(c, "inside", 1_000, 3 * DAY, "done");
    events(c, "fresh", 200, DAY / 2, "done");
    events(c, "waiting", 50, 30 * DAY, "pending");
    // Received a month ago by a board whose clock was set back, but
    // stamped yesterday by LINE: still inside the window the intake judges.
    for i in 0..10 {
        c.execute(
            "INSERT INTO inbox(event_id, kind, json, event_ts_ms, received_ms)
             VALUES (?1, 'postback', '{}', ?2, ?3)",
            params![format!("late-{i}"), NOW - DAY, NOW - 30 * DAY],
        )
        .expect("late event");
    }
    for (i, age) in (0..1_000).map(|i| (i, if i < 600 { 400 * DAY } else { 200 * DAY })) {
        c.execute(
            "INSERT INTO acks(at_ms, event_id, actor, app, record, notification, method, outcome, reply)
             VALUES (?1, ?2, 'Taro', 1, 5, 'n', 'comment', 'written', 'replied')",
            params![NOW - age, format!("ack-{i}")],
        )
        .expect("ack");
    }
    for (state, n) in [("sent", 300), ("dead", 20), ("pending", 10)] {
        for i in 0..n {
            c.execute(
                "INSERT INTO outbox(retry_key, recipients, messages, message_count, state, created_ms)
                 VALUES (?1, '[]', '[]', 1, ?2, ?3)",
                params![format!("{state}-{i}"), state, NOW - 100 * DAY],
            )
            .expect("push");
        }
    }
    let notification = |id: &str, acked: bool, push: Option<i64>| {
        c.execute(
            "INSERT INTO notifications(id, app, record, rule, to_value, revision, created_ms, acked_ms)
             VALUES (?1, 1, 5, 'r', 'Urgent', 3, ?2, CASE WHEN ?3 THEN ?2 END)",
            params![id, NOW - 100 * DAY, acked],
        )
        .expect("notification");
        c.execute(
            "INSERT INTO deliveries(notification, recipient, created_ms, push_id)
             VALUES (?1, 'U1', ?2, ?3)",
            params![id, NOW - 100 * DAY, push],
        )
        .expect("delivery");
        c.execute(
            "INSERT INTO cards(delivery, bubble, alt_text) VALUES (last_insert_rowid(), '{}', '')",
            [],
        )
        .expect("card");
    };
    for i in 0..200 {
        notification(&format!("acked-{i}"), true, Some(1));
    }
    // An acknowledged notification's reminder chain (stopped) and its
    // undeliverable record (a fallback recipient acknowledged) go with it.
    for i in 0..5 {
        c.execute(
            "INSERT INTO undeliverable(notification, reason, fallback, created_ms)
             VALUES (?1, 'nobody linked', 'U9', ?2)",
            params![format!("acked-{i}"), NOW - 100 * DAY],
        )
        .expect("undeliverable");
    }
    for i in 0..20 {
        c.execute(
            "INSERT INTO chains(notification, app, record, field, to_value, base_ms, due_ms,
                                give_up_ms, stopped_ms, stop_reason)
             VALUES (?1, 1, 5, 'Status', 'Urgent', ?2, ?2, ?2, ?2, 'acknowledged')",
            params![format!("acked-{i}"), NOW - 100 * DAY],
        )
        .expect("chain");
    }
    notification("open", false, Some(1));
    notification("owed", true, None);
    // Acknowledged, but in a request not yet sent, which reads its card then.
    notification("in-flight", true, Some(321));
    for (sql, age) in [
        (
            "INSERT INTO changes(app, record, source, payload, state, received_ms)
             VALUES (1, 5, 'webhook', '{}', 'done', ?1)",
            2 * DAY,
        ),
        (
            "INSERT INTO changes(app, record, source, payload, state, received_ms)
             VALUES (1, 6, 'webhook', '{}', 'pending', ?1)",
            2 * DAY,
        ),
        (
            "INSERT INTO kintone_seen(id, at_ms) VALUES (?1 || random(), ?1)",
            30 * DAY,
        ),
        (
            "INSERT INTO pulled_seen(id, at_ms) VALUES (?1 || random(), ?1)",
            30 * DAY,
        ),
        (
            "INSERT INTO push_history(recipient, at_ms, cards) VALUES ('U1', ?1, 1)",
            2 * DAY,
        ),
        (
            "INSERT INTO own_writes(app, record, revision, at_ms) VALUES (1, 5, random(), ?1)",
            100 * DAY,
        ),
        (
            "INSERT INTO invite_failures(line_user_id, at_ms) VALUES ('U1', ?1)",
            2 * DAY,
        ),
    ] {
        for _ in 0..50 {
            c.execute(sql, [NOW - age]).expect(sql);
        }
    }
    c.execute(
        "INSERT INTO kintone_seen(id, at_ms) VALUES ('recent', ?1)",
        [NOW - DAY],
    )
    .expect("recent webhook id");
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[tokio::test]
async fn a_pass_removes_what_is_done_and_old_and_keeps_what_is_still_needed() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path()).expect("store");
    store
        .call(|c| {
            seed(c);
            Ok(())
        })
        .await
        .expect("seed");
    let mut steps = Vec::new();
    let counts = store
        .prune_pass(Horizons::at(NOW, NOW, NOW, spans()), |kind, n| {
            steps.push((kind, n));
        })
        .await
        .expect("pass");

    assert_eq!(counts.of(Pruned::InboxEvents), 2_100, "old finished events");
    assert_eq!(counts.of(Pruned::Audit), 600);
    assert_eq!(counts.of(Pruned::Outbox), 300, "sent requests only");
    assert_eq!(counts.of(Pruned::Notifications), 200);
    for kind in [
        Pruned::Changes,
        Pruned::KintoneSeen,
        Pruned::PulledSeen,
        Pruned::PushHistory,
        Pruned::OwnWrites,
        Pruned::InviteFailures,
    ] {
        assert_eq!(counts.of(kind), 50, "{kind:?}");
    }
    assert!(
        steps.iter().all(|(_, n)| *n <= STEP_ROWS),
        "small transactions: {steps:?}"
    );
    assert!(steps.len() > 10, "{} steps", steps.len());

    let read = |sql: &'static str| store.read(move |c| Ok(count(c, sql)));
    // Kept: pending events with their bodies, keys inside the window, dead
    // letters and queued pushes, open notifications and owed cards, recent
    // audit.
    assert_eq!(
        read(
            "SELECT COUNT(*) FROM inbox JOIN inbox_queue USING (event_ts_ms, seq) WHERE json != ''"
        )
        .await
        .expect("read"),
        50
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM inbox WHERE event_id LIKE 'inside-%'")
            .await
            .expect("read"),
        1_000,
        "keys inside the dedup window stay"
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM inbox WHERE event_id LIKE 'fresh-%'")
            .await
            .expect("read"),
        200
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM inbox WHERE event_id LIKE 'late-%'")
            .await
            .expect("read"),
        10,
        "a key goes only when LINE's timestamp is past the window too"
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM inbox").await.expect("read"),
        1_260
    );
    assert_eq!(read("SELECT COUNT(*) FROM acks").await.expect("read"), 400);
    assert_eq!(
        read("SELECT COUNT(*) FROM outbox WHERE state = 'dead'")
            .await
            .expect("read"),
        20
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            .await
            .expect("read"),
        10
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM notifications WHERE id IN ('open', 'owed', 'in-flight')")
            .await
            .expect("read"),
        3
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM deliveries").await.expect("read"),
        3
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM cards").await.expect("read"),
        3,
        "a pruned delivery's card goes with it"
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM changes WHERE state = 'pending'")
            .await
            .expect("read"),
        50
    );
    assert_eq!(
        read("SELECT COUNT(*) FROM kintone_seen")
            .await
            .expect("read"),
        1
    );
    // A new store hands the pages back to the file system.
    let (mode, free) = store
        .call(|c| {
            Ok((
                count(c, "PRAGMA auto_vacuum"),
                count(c, "PRAGMA freelist_count"),
            ))
        })
        .await
        .expect("pragmas");
    assert_eq!(
        (mode, free),
        (2, 0),
        "incremental auto-vacuum, nothing left"
    );

    let again = store
        .prune_pass(Horizons::at(NOW, NOW, NOW, spans()), |_, _| {})
        .await
        .expect("second pass");
    assert_eq!(again.total(), 0, "a second pass finds nothing");
}

#[test]
fn the_pruning_steps_walk_rows_in_order_up_to_the_first_young_one() {
    for (sql, table, params) in [
        (crate::store::inbox::OLDEST, "inbox", 1),
        (crate::store::changes::OLDEST, "changes", 0),
        (crate::store::outbox::OLDEST, "outbox", 0),
        (crate::store::kintone_seen::OLDEST, "kintone_seen", 0),
        (crate::store::deliveries::OLDEST, "n", 0),
        (crate::store::audit::OLDEST, "acks", 0),
        (crate::store::push_history::OLDEST, "push_history", 0),
    ] {
        let values = rusqlite::params_from_iter(std::iter::repeat_n(1, params));
        let plan = crate::store::query_plan(sql, values).join(" / ");
        // The table in row order: no index on the time, no sort.
        assert!(
            plan.starts_with(&format!("SCAN {table}")) && !plan.contains("TEMP B-TREE"),
            "{table}: {plan}"
        );
    }
}

#[tokio::test]
async fn a_step_stops_at_the_first_young_row_and_skips_the_kept_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let kept = store
        .call(|c| {
            events(c, "old", 3, 30 * DAY, "done");
            events(c, "waiting", 1, 30 * DAY, "pending");
            events(c, "old-too", 2, 30 * DAY, "done");
            events(c, "young", 1, DAY, "done");
            // Stored after the young one, with an old time (a clock set
            // back): it waits until the young one goes.
            events(c, "after", 1, 30 * DAY, "done");
            let seqs: Vec<i64> =
                super::oldest(c, crate::store::inbox::OLDEST, [NOW], NOW - 7 * DAY, 10)?;
            Ok(seqs)
        })
        .await
        .unwrap();
    assert_eq!(
        kept,
        [1, 2, 3, 5, 6],
        "the old finished rows before the young one"
    );
}

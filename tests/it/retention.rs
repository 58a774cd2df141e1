//! Retention end to end: LINE events older than the deduplication window
//! are answered and dropped, and a replayed signed body whose key the
//! pruner removed is still refused; the pruner runs on its own after start.

use std::sync::atomic::Ordering;

use kintone_line_gateway::clock::{now_ms, Clock};
use serde_json::Value;

use crate::world::{acks_eventually as acks, inbox_drained, rows, until, World, COMMENT_ACK, USER};

const DAY: i64 = 86_400_000;

/// A pass every second, so the test sees one soon after start.
const EVERY_SECOND: &str = "[retention]\ninterval = \"1s\"\n";

/// Records 5 and 6 in kintone, an open notification sent to Taro for each.
async fn world(tail: &str) -> World {
    let w = World::start_with(COMMENT_ACK, tail, |k| {
        k.set_record(5, 3, "Needs approval");
        k.set_record(6, 3, "Needs approval");
    })
    .await;
    for id in [5, 6] {
        w.store()
            .seed_notification_to(&format!("n{id}"), id, "Invoice", now_ms(), &[USER])
            .await
            .expect("notification");
    }
    w
}

/// Taro's tap on record `id`'s card, stamped `at_ms` by LINE.
fn tap(w: &World, id: i64, at_ms: i64, redelivery: bool) -> Value {
    let mut e = w
        .line
        .postback_event(USER, &format!("ack:v1::1:{id}:n{id}"));
    e["timestamp"] = at_ms.into();
    e["deliveryContext"]["isRedelivery"] = redelivery.into();
    e
}

fn stale(w: &World) -> u64 {
    w.gateway()
        .metrics
        .line_stale_events
        .load(Ordering::Relaxed)
}

fn answer(body: &str) -> Value {
    serde_json::from_str(body).expect("JSON answer")
}

#[tokio::test]
async fn events_older_than_the_dedup_window_are_answered_200_and_not_stored() {
    let w = world("").await;
    let fresh = tap(&w, 5, now_ms(), false);
    let old = tap(&w, 6, now_ms() - 8 * DAY, false);
    let (status, body) = w.deliver(&[fresh, old]).await;
    assert_eq!(status, 200, "LINE must not send it again");
    assert_eq!(answer(&body)["stale"], 1, "{body}");
    // A redelivery after a long outage is as old as its event.
    let redelivered = tap(&w, 6, now_ms() - 8 * DAY, true);
    let (status, body) = w.deliver(&[redelivered]).await;
    assert_eq!((status, answer(&body)["new"].clone()), (200, 0.into()));

    let done = acks(&w, 1).await;
    inbox_drained(&w).await;
    assert_eq!(done[0].record, 5, "the fresh tap was written back");
    assert_eq!(
        rows(&w, "SELECT COUNT(*) FROM inbox").await,
        1,
        "only it was stored"
    );
    assert_eq!(stale(&w), 2);
    assert_eq!(w.store().acks_since(0).await.expect("audit").len(), 1);
    assert_eq!(
        w.line.replies().len(),
        1,
        "nobody answered for the old taps"
    );
    assert_eq!(
        w.kintone.comment_texts().len(),
        1,
        "one comment, record 5's"
    );
}

#[tokio::test]
async fn a_replayed_body_whose_key_was_pruned_is_still_refused() {
    let mut w = world(EVERY_SECOND).await;
    // An audit row from more than a year ago (stored first: the audit is
    // pruned in row order up to its first young row).
    w.store()
        .call(|c| {
            c.execute(
                "INSERT INTO acks(at_ms, event_id, actor, app, record, notification, method,
                    outcome, reply)
                 VALUES (?1, 'ancient', 'Taro', 1, 5, 'n5', 'comment', 'written', 'replied')",
                [now_ms() - 400 * DAY],
            )?;
            Ok(())
        })
        .await
        .expect("old audit row");
    // A tap LINE redelivers six and a half days late (after an outage): inside
    // the window, taken in and written back.
    let late = tap(&w, 5, now_ms() - 13 * DAY / 2, true);
    let id = late["webhookEventId"].as_str().expect("id").to_owned();
    let (body, signature) = w.line.webhook(&[late]);
    let (status, first) = w.send(&body, Some(&signature)).await;
    assert_eq!(
        (status, answer(&first)["new"].clone()),
        (200, 1.into()),
        "{first}"
    );
    acks(&w, 1).await;
    inbox_drained(&w).await;

    // Nine days pass.
    w.stop().await;
    w.clock = Clock::offset_by(9 * DAY);
    w.boot().await;
    until(
        10,
        "the pruner removed the old key and audit row",
        || async {
            // The rows are gone at the pass's commit; its counts are added
            // just after.
            let counted = w.gateway().metrics.pruned.by_table();
            rows(&w, "SELECT COUNT(*) FROM inbox").await == 0
                && rows(&w, "SELECT COUNT(*) FROM acks WHERE event_id = 'ancient'").await == 0
                && counted.contains_key("inbox")
                && counted.contains_key("acks")
        },
    )
    .await;
    let pruned = w.gateway().metrics.pruned.by_table();
    assert_eq!(pruned.get("inbox"), Some(&1), "{pruned:?}");
    assert_eq!(pruned.get("acks"), Some(&1), "{pruned:?}");
    assert_eq!(
        rows(&w, "SELECT COUNT(*) FROM acks").await,
        1,
        "the recent one stays"
    );
    let metrics = w.gateway().metrics.render();
    assert!(
        metrics.contains("klg_pruned_rows_total{table=\"inbox\"} 1\n"),
        "{metrics}"
    );

    // LINE's clock is nine days on too: a tap now teaches the board so.
    let now = w.clock.now_ms();
    assert_eq!(w.deliver(&[tap(&w, 6, now, false)]).await.0, 200);
    acks(&w, 2).await;
    // The old body, replayed with its valid signature: its key is gone, but
    // it is too old to take in.
    let (status, replay) = w.send(&body, Some(&signature)).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            answer(&replay)["new"].clone(),
            answer(&replay)["stale"].clone()
        ),
        (0.into(), 1.into()),
        "{replay}"
    );
    assert!(w.store().inbox_get(&id).await.expect("read").is_none());
    assert_eq!(stale(&w), 1);
    inbox_drained(&w).await;
    assert_eq!(w.store().acks_since(0).await.expect("audit").len(), 2);
}

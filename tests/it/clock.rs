//! A board without a real-time clock: the gateway on a clock an hour fast or
//! slow, or one that NTP sets back while it runs or between runs. No real
//! clock changes: the gateway's [`Clock`] is injected.

use std::sync::atomic::Ordering;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::clock::Clock;
use kintone_line_gateway::sim::fakes::PushFault;
use kintone_line_gateway::store::Store;
use serde_json::{json, Value};

use crate::world::{
    acks_eventually as acks, eventually, rows, stored_event, until, World, COMMENT_ACK, USER,
};

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

/// Replies wait 6 s at most, so a failing write-back is scheduled for a
/// retry (after a "kintone is busy" reply) instead of retried within the tap.
const SHORT_DEADLINE: &str = "reply_deadline = \"6s\"";

/// Records 5–8 in kintone, one open notification sent to Taro for each,
/// and a gateway with these `[line]` settings.
async fn world(line: &str) -> World {
    let line = line.to_owned();
    let w = World::start_tuned(
        |s| s.line_settings = line,
        COMMENT_ACK,
        "",
        |k| {
            for id in 5..=8 {
                k.set_record(id, 3, "Needs approval");
            }
        },
    )
    .await;
    for id in 5..=8 {
        w.store()
            .seed_notification_to(&format!("n{id}"), id, "Invoice", now_ms(), &[USER])
            .await
            .expect("notification");
    }
    w
}

/// Taro taps the Acknowledge button of record `id`'s notification.
fn tap(w: &World, id: i64) -> Value {
    w.line
        .postback_event(USER, &format!("ack:v1::1:{id}:n{id}"))
}

/// Restarts the gateway on `clock`, on the same store.
async fn reboot(w: &mut World, clock: Clock) {
    w.stop().await;
    w.clock = clock;
    w.boot().await;
}

#[tokio::test]
async fn a_board_clock_an_hour_ahead_or_behind_still_replies() {
    for offset in [HOUR, -HOUR] {
        let mut w = world("").await;
        reboot(&mut w, Clock::offset_by(offset)).await;
        assert_eq!(w.deliver(&[tap(&w, 5)]).await.0, 200);
        let acks = acks(&w, 1).await;
        assert_eq!(
            (acks[0].outcome.as_str(), acks[0].reply.as_str()),
            ("written", "replied"),
            "clock {offset} ms off"
        );
        // The Reply follows the stored finish (and its audit row).
        eventually(5, || !w.line.replies().is_empty()).await;
        assert_eq!(w.line.replies().len(), 1);
        assert_eq!(
            w.line.replies()[0]["messages"][0]["text"],
            "✓ Recorded — #5"
        );
    }
}

#[tokio::test]
async fn a_redelivery_gets_its_reply_within_a_minute_of_arriving() {
    let w = world("").await;
    // Taro tapped five minutes ago, while the board was unplugged; LINE
    // redelivers now. The token is good for a minute from this arrival.
    let mut late = tap(&w, 5);
    late["timestamp"] = json!(now_ms() - 5 * MINUTE);
    late["deliveryContext"]["isRedelivery"] = json!(true);
    assert_eq!(w.deliver(&[late]).await.0, 200);
    assert_eq!(acks(&w, 1).await[0].reply, "replied");

    // A first delivery shows the board's clock agrees with LINE's; then a
    // redelivery of a tap 25 minutes old: LINE no longer takes its token.
    assert_eq!(w.deliver(&[tap(&w, 6)]).await.0, 200);
    assert_eq!(acks(&w, 2).await[1].reply, "replied");
    let mut stale = tap(&w, 7);
    stale["timestamp"] = json!(now_ms() - 25 * MINUTE);
    stale["deliveryContext"]["isRedelivery"] = json!(true);
    assert_eq!(w.deliver(&[stale]).await.0, 200);
    let acks = acks(&w, 3).await;
    assert_eq!(
        (acks[2].outcome.as_str(), acks[2].reply.as_str()),
        ("written", "fallback-none")
    );
    assert_eq!(
        w.line.reply_calls(),
        2,
        "a token LINE no longer takes is not sent"
    );
    assert_eq!(w.kintone.comment_texts().len(), 3);
}

/// Taro's tap meets a kintone outage: the write-back is scheduled for a
/// retry, and Taro told his tap was received.
async fn tap_into_an_outage(w: &World) {
    for _ in 0..200 {
        w.kintone.fault_at(
            "POST",
            "/k/v1/record/comment.json",
            503,
            "GAIA_TM12",
            "Service temporarily unavailable",
        );
    }
    assert_eq!(w.deliver(&[tap(w, 5)]).await.0, 200);
    until(60, "the write-back's retry scheduled", || async {
        rows(w, "SELECT COUNT(*) FROM inbox WHERE attempts > 0").await == 1
    })
    .await;
    // The Reply says kintone is busy; or, when the first attempt ran past
    // the early-reply point (a slow machine: under qemu, more than a
    // second), that the tap is being recorded.
    eventually(30, || !w.line.replies().is_empty()).await;
    let texts = w.texts();
    let said = w.line.replies()[0]["messages"][0]["text"].clone();
    assert!(said == texts.busy || said == texts.recording, "{said}");
}

/// A tap a previous run stored, at its steady time `received_ms`, but did
/// not get to handle before it stopped.
async fn stored_unhandled(w: &World, received_ms: i64) {
    let ev = tap(w, 5);
    let envelope = stored_event(&ev);
    let store = Store::open(&w.dir.path().join("state")).expect("store");
    let stored = store.inbox_insert(vec![envelope], received_ms).await;
    assert_eq!(stored.expect("inbox").new, 1);
}

#[tokio::test]
async fn a_tap_received_before_the_clock_was_set_back_keeps_its_reply_deadline() {
    // The previous run's steady timeline was an hour ahead of this one's:
    // its receipt time is in this run's future. The reply window must not
    // count from there (an hour of a token LINE no longer takes), but from
    // now at the latest — so with kintone slow, the early Reply goes out
    // as the 6 s deadline nears.
    let mut w = world(SHORT_DEADLINE).await;
    w.site.kintone_timeout = Some(60);
    w.stop().await;
    stored_unhandled(&w, w.clock.steady_ms()).await;
    w.kintone.hold_writes();
    reboot(&mut w, Clock::offset_by(-HOUR)).await;
    eventually(15, || w.kintone.held_writes() == 1).await;
    eventually(15, || w.line.replies().len() == 1).await;
    assert_eq!(
        w.line.replies()[0]["messages"][0]["text"],
        w.texts().recording
    );
    w.kintone.release_writes();
    assert_eq!(acks(&w, 1).await[0].outcome, "written");
}

#[tokio::test]
async fn a_clock_set_back_an_hour_while_running_does_not_hold_up_retries() {
    let w = world(SHORT_DEADLINE).await;
    tap_into_an_outage(&w).await;
    // NTP sets the clock back an hour; then kintone is back.
    w.clock.step_to(-HOUR);
    w.kintone.clear_faults();
    eventually(20, || w.kintone.comment_texts().len() == 1).await;
    assert_eq!(acks(&w, 1).await[0].outcome, "written");
}

#[tokio::test]
async fn a_clock_set_back_an_hour_across_a_restart_does_not_hold_up_retries() {
    let mut w = world(SHORT_DEADLINE).await;
    tap_into_an_outage(&w).await;
    w.stop().await;
    // The board comes back with its clock an hour behind, and kintone is back.
    // Patient with kintone: a write timed out on a loaded machine would wait
    // out a backoff grown through the outage (half a minute by now).
    w.kintone.clear_faults();
    w.site.kintone_timeout = Some(60);
    reboot(&mut w, Clock::offset_by(-HOUR)).await;
    eventually(30, || w.kintone.comment_texts().len() == 1).await;
    assert_eq!(acks(&w, 1).await[0].outcome, "written");
}

#[tokio::test]
async fn a_kintone_change_retried_after_the_clock_is_set_back_is_not_held_up() {
    let app = "webhook_token = { file = \"hook-token\" }\npoll = false";
    let rule =
        format!("[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n");
    let w = World::start_with(app, &rule, |k| k.set_record(5, 1, "Draft")).await;
    let reads = || w.kintone.calls("GET", "/k/v1/record.json");
    w.kintone.user_sets_status(5, "Open");
    eventually(10, || reads() >= 1).await;
    // The next change arrives, but re-reading the record fails: a retry is
    // scheduled a second or more ahead.
    for _ in 0..200 {
        w.kintone
            .fault_at("GET", "/k/v1/record.json", 503, "GAIA_TM12", "unavailable");
    }
    let metrics = w.gateway().metrics.clone();
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(10, || metrics.retries.load(Ordering::Relaxed) >= 1).await;
    // NTP sets the clock back an hour; then kintone is back.
    w.clock.step_to(-HOUR);
    w.kintone.clear_faults();
    eventually(20, || w.line.pushes().len() == 1).await;
}

/// A kintone app whose status changes reach the gateway by webhook only,
/// and a rule that tells Taro when a record needs approval; `notify` lines.
async fn notify_world(notify: &str) -> World {
    let app = "webhook_token = { file = \"hook-token\" }\npoll = false";
    let rule = format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n\n[notify]\n{notify}\n"
    );
    let w = World::start_with(app, &rule, |k| k.set_record(5, 1, "Draft")).await;
    // The gateway's first sight of the record.
    w.kintone.user_sets_status(5, "Open");
    eventually(10, || w.kintone.calls("GET", "/k/v1/record.json") >= 1).await;
    w
}

#[tokio::test]
async fn a_push_retried_after_the_clock_is_set_back_is_not_held_up() {
    let w = notify_world("").await;
    w.line.fail_pushes([PushFault::ServerError; 50]);
    let metrics = w.gateway().metrics.clone();
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(10, || metrics.retries.load(Ordering::Relaxed) >= 1).await;
    // NTP sets the clock back an hour; then LINE is back.
    w.clock.step_to(-HOUR);
    w.line.clear_push_faults();
    eventually(20, || w.line.pushes().len() == 1).await;
}

#[tokio::test]
async fn a_card_queued_before_the_clock_was_set_back_is_not_held_up() {
    // A long debounce keeps the card queued while the gateway stops.
    let mut w = notify_world("debounce = \"30s\"\nmax_wait = \"60s\"").await;
    let metrics = w.gateway().metrics.clone();
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(10, || metrics.notifications.load(Ordering::Relaxed) == 1).await;
    w.stop().await;
    assert!(w.line.pushes().is_empty(), "the card was still queued");
    // Back with the clock an hour behind, and the default one-second debounce.
    w.site.tail = w
        .site
        .tail
        .replace("debounce = \"30s\"\nmax_wait = \"60s\"", "");
    reboot(&mut w, Clock::offset_by(-HOUR)).await;
    eventually(20, || w.line.pushes().len() == 1).await;
}

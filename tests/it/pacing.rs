//! When each person's pushes go, end to end: a change goes after a short
//! debounce however soon after the last push, a burst goes in full requests
//! at once, and past the per-minute ceiling changes wait for the max wait and
//! go together. Each test counts requests and cards; none times anything.

use serde_json::Value;

use crate::notify_loop::{acknowledge_buttons, rule};
use crate::world::{baseline, eventually, World};

const WEBHOOK: &str = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";
const NEEDS_APPROVAL: &str = "[\"Needs approval\"]";

/// Record ids on one push's Acknowledge buttons.
fn cards(push: &Value) -> Vec<u64> {
    push.to_string()
        .split("ack:v1::1:")
        .skip(1)
        .filter_map(|p| p.split(':').next().and_then(|n| n.parse().ok()))
        .collect()
}

/// Cards per accepted push, in order.
fn cards_per_push(w: &World) -> Vec<Vec<u64>> {
    w.line.accepted().iter().map(|p| cards(&p.body)).collect()
}

#[tokio::test]
async fn a_change_soon_after_a_push_goes_alone_without_waiting_for_a_window() {
    // A max wait of ten minutes: only the debounce can send these pushes
    // within the test's patience (a window since the last push could not).
    let pacing = "debounce = \"500ms\"\nmax_wait = \"10m\"\nprompt_per_minute = 2";
    let w = World::start_with(WEBHOOK, &rule(NEEDS_APPROVAL, pacing), |k| {
        k.set_record(5, 1, "Open");
        k.set_record(6, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(10, || w.line.accepted().len() == 1).await;
    w.kintone.user_sets_status(6, "Needs approval");
    eventually(10, || w.line.accepted().len() == 2).await;
    assert_eq!(cards_per_push(&w), [vec![5], vec![6]]);
    assert_eq!(w.line.usage(), 2);
}

#[tokio::test]
async fn past_the_ceiling_changes_wait_for_the_max_wait_and_go_together() {
    // One prompt push a minute: the first change uses it; the next two wait
    // (for the 5 s max wait) and share a request.
    let pacing = "debounce = \"200ms\"\nmax_wait = \"5s\"\nprompt_per_minute = 1";
    let w = World::start_with(WEBHOOK, &rule(NEEDS_APPROVAL, pacing), |k| {
        for id in 5..=7 {
            k.set_record(id, 1, "Open");
        }
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(10, || w.line.accepted().len() == 1).await;
    w.kintone.user_sets_status(6, "Needs approval");
    // Record 6's card is queued (its notification stored) before 7 changes.
    let store = w.store();
    let mut queued = false;
    for _ in 0..200 {
        if store.pending_acks().await.is_ok_and(|n| n >= 2) {
            queued = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(queued, "record 6's notification was stored");
    w.kintone.user_sets_status(7, "Needs approval");
    eventually(15, || acknowledge_buttons(&w).len() == 3).await;
    assert_eq!(cards_per_push(&w), [vec![5], vec![6, 7]]);
}

#[tokio::test]
async fn a_burst_goes_in_full_requests_at_once_and_the_rest_after_the_debounce() {
    // kintone sends at most 60 webhooks a minute: the 61st change is dropped
    // there and found by the poller. A max wait of ten minutes: only a full
    // request (at once) or the debounce can send anything here.
    let app = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"5s\"\nallow_over_budget = true";
    let pacing = "debounce = \"2s\"\nmax_wait = \"10m\"";
    let w = World::start_with(app, &rule(NEEDS_APPROVAL, pacing), |k| {
        k.add_records(1, 61, "Open");
    })
    .await;
    baseline(&w).await;
    for id in 1..=61 {
        w.kintone.user_sets_status(id, "Needs approval");
    }
    assert_eq!(w.kintone.state.lock().unwrap().webhooks_dropped, 1);
    eventually(30, || acknowledge_buttons(&w).len() == 61).await;
    let sizes: Vec<usize> = cards_per_push(&w).iter().map(Vec::len).collect();
    assert_eq!(sizes, [60, 1], "a full request first, then the one left");
    assert_eq!(w.line.usage(), 2, "messages counted against the quota");
    let accepted = w.line.accepted();
    let messages = accepted[0].body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 5, "60 cards in 5 carousels of 12");
    let spec = crate::openapi::line_messaging_api();
    for a in &accepted {
        if let Err(e) = spec.validate("PushMessageRequest", &a.body) {
            panic!("push does not match the LINE spec: {e:#?}");
        }
    }
}

//! The person always learns the outcome: when kintone is slow the Reply goes
//! out early ("Received — recording…"), and a later refusal reaches them by
//! push, in plain words; a later success stays silent unless configured.

use std::time::Duration;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::site::Site;
use kintone_line_gateway::store::audit::AckRecord;

use crate::world::{acks_eventually, eventually, World, COMMENT_ACK, USER};

const DATA: &str = "ack:v1::1:5:abc123";
/// kintone answers after this; the gateway's kintone timeout is 2 s.
const SLOW: Duration = Duration::from_millis(1500);
const EARLY: &str = "Received — recording…";

/// A reply deadline of 6 s: the early Reply goes out 5 s before it, about
/// a second after the tap — before the slow kintone answers.
async fn world(line_settings: &str) -> World {
    let settings = format!("reply_deadline = \"6s\"\n{line_settings}");
    let w = World::start_tuned(
        |s: &mut Site| s.line_settings = settings,
        COMMENT_ACK,
        "",
        |k| k.set_record(5, 3, "Needs approval"),
    )
    .await;
    w.store()
        .seed_notification_to("abc123", 5, "", now_ms(), &[USER])
        .await
        .expect("seeding the notification");
    w
}

async fn audit_row(w: &World) -> AckRecord {
    let mut acks = acks_eventually(w, 1).await;
    acks.pop().expect("an audit row")
}

fn texts(messages: &[serde_json::Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["messages"][0]["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn refuse_slowly(w: &World) {
    w.kintone.delay_faults(SLOW);
    w.kintone.fault_at(
        "POST",
        "/k/v1/record/comment.json",
        520,
        "CB_VA01",
        "Missing or invalid input.",
    );
}

#[tokio::test]
async fn a_refusal_after_the_early_reply_is_pushed_in_plain_words() {
    let w = world("").await;
    refuse_slowly(&w);
    assert_eq!(w.deliver(&[w.line.postback_event(USER, DATA)]).await.0, 200);
    eventually(15, || w.line.pushes().len() == 1).await;
    assert_eq!(texts(&w.line.replies()), [EARLY]);
    let push = &w.line.pushes()[0];
    assert_eq!(push["to"], USER);
    let told = &texts(std::slice::from_ref(push))[0];
    assert!(
        told.contains("#5") && told.contains("could not be recorded"),
        "{told}"
    );
    for upstream in ["Missing or invalid input", "CB_VA01", "520"] {
        assert!(!told.contains(upstream), "kintone's own words: {told}");
    }
    assert_eq!(w.line.usage(), 1, "counted against the quota");
    let a = audit_row(&w).await;
    assert!(a.outcome.starts_with("failed"), "{}", a.outcome);
    assert_eq!(a.reply, "replied-early; outcome pushed");
    assert!(w.kintone.comment_texts().is_empty());
}

#[tokio::test]
async fn a_refusal_on_a_later_attempt_is_pushed_too() {
    // kintone is slow and busy: the early Reply goes out, the attempt ends
    // retryable with no time left, and a scheduled attempt (the token spent
    // by the first) meets the refusal.
    let w = world("").await;
    w.kintone.delay_faults(SLOW);
    w.kintone.fault_at(
        "POST",
        "/k/v1/record/comment.json",
        503,
        "GAIA_TM12",
        "Service temporarily unavailable",
    );
    w.kintone.fault_at(
        "POST",
        "/k/v1/record/comment.json",
        520,
        "CB_VA01",
        "Missing or invalid input.",
    );
    assert_eq!(w.deliver(&[w.line.postback_event(USER, DATA)]).await.0, 200);
    eventually(30, || w.line.pushes().len() == 1).await;
    assert_eq!(
        texts(&w.line.replies()),
        [EARLY],
        "one Reply, the early one"
    );
    assert!(texts(&w.line.pushes())[0].contains("could not be recorded"));
    assert_eq!(w.kintone.calls("POST", "/k/v1/record/comment.json"), 2);
    assert_eq!(audit_row(&w).await.reply, "replied-early; outcome pushed");
}

#[tokio::test]
async fn a_success_after_the_early_reply_stays_silent_by_default() {
    let w = world("").await;
    w.kintone.delay_comments(SLOW);
    assert_eq!(w.deliver(&[w.line.postback_event(USER, DATA)]).await.0, 200);
    // The audit row is written with the event's end: nothing is queued
    // after it.
    let a = audit_row(&w).await;
    assert_eq!(a.outcome, "written");
    assert!(
        a.reply.starts_with("replied-early; outcome not pushed"),
        "{}",
        a.reply
    );
    assert_eq!(texts(&w.line.replies()), [EARLY]);
    assert_eq!(w.kintone.comment_texts().len(), 1);
    let url = format!("http://{}/metrics", w.gateway().addr());
    let metrics = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("klg_ack_late_pushes_total 0\n"),
        "{metrics}"
    );
    assert!(w.line.pushes().is_empty());
}

#[tokio::test]
async fn a_success_after_the_early_reply_is_confirmed_when_asked() {
    let w = world("confirm_late_success = true").await;
    w.kintone.delay_comments(SLOW);
    assert_eq!(w.deliver(&[w.line.postback_event(USER, DATA)]).await.0, 200);
    eventually(15, || w.line.pushes().len() == 1).await;
    assert_eq!(texts(&w.line.pushes()), ["✓ Recorded — #5"]);
    assert_eq!(texts(&w.line.replies()), [EARLY]);
    assert_eq!(audit_row(&w).await.reply, "replied-early; outcome pushed");
}

//! The person always learns the outcome: when kintone is slow the Reply goes
//! out early ("Received — recording…"), and a later refusal reaches them by
//! push, in plain words; a later success stays silent unless configured.
//!
//! kintone's slowness is staged, not timed: the fake holds the write until
//! the person has the early Reply, then the fault (if any) is queued and the
//! write let go. The gateway's kintone timeout outlasts any hold.

use std::sync::atomic::Ordering;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::site::Site;
use kintone_line_gateway::store::audit::AckRecord;
use kintone_line_gateway::text::fill;

use crate::world::{acks_eventually, eventually, World, COMMENT_ACK, USER};

const DATA: &str = "ack:v1::1:5:abc123";
const COMMENT: &str = "/k/v1/record/comment.json";

/// The gateway's kintone timeout here, in seconds: longer than any hold.
const PATIENT: Option<u64> = Some(60);

/// A reply deadline of 6 s: the early Reply goes out 5 s before it, about
/// a second after the tap, while kintone holds the write.
async fn world(line_settings: &str) -> World {
    world_with(line_settings, "").await
}

/// Like [`world`], with a config `tail` (rules).
async fn world_with(line_settings: &str, tail: &str) -> World {
    let settings = format!("reply_deadline = \"6s\"\n{line_settings}");
    let w = World::start_tuned(
        |s: &mut Site| {
            s.line_settings = settings;
            s.kintone_timeout = PATIENT;
        },
        COMMENT_ACK,
        tail,
        |k| k.set_record(5, 3, "Needs approval"),
    )
    .await;
    w.store()
        .seed_notification_to("abc123", 5, "", now_ms(), &[USER])
        .await
        .expect("seeding the notification");
    w
}

/// Taro taps; kintone holds the write until he has the early Reply. The
/// write is still held when this returns.
async fn tap_slowly(w: &World) {
    tap_slowly_as(w, USER).await;
}

/// Like [`tap_slowly`], for a tap by `user`.
async fn tap_slowly_as(w: &World, user: &str) {
    w.kintone.hold_writes();
    assert_eq!(w.deliver(&[w.line.postback_event(user, DATA)]).await.0, 200);
    eventually(15, || {
        w.kintone.held_writes() == 1 && w.line.replies().len() == 1
    })
    .await;
    assert_eq!(texts(&w.line.replies()), [w.texts().recording]);
}

/// What Taro is told when kintone refuses the comment ([`refuse_next`]).
fn refused(w: &World) -> String {
    let texts = w.texts();
    let args = [("record", "5"), ("reason", texts.reason_rejected)];
    fill(texts.write_refused, &args)
}

fn refuse_next(w: &World) {
    w.kintone
        .fault_at("POST", COMMENT, 520, "CB_VA01", "Missing or invalid input.");
}

fn busy_next(w: &World) {
    w.kintone.fault_at(
        "POST",
        COMMENT,
        503,
        "GAIA_TM12",
        "Service temporarily unavailable",
    );
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

#[tokio::test]
async fn a_refusal_after_the_early_reply_is_pushed_in_plain_words() {
    let w = world("").await;
    tap_slowly(&w).await;
    refuse_next(&w);
    w.kintone.release_writes();
    eventually(15, || w.line.pushes().len() == 1).await;
    assert_eq!(texts(&w.line.replies()), [w.texts().recording]);
    let push = &w.line.pushes()[0];
    assert_eq!(push["to"], USER);
    let told = &texts(std::slice::from_ref(push))[0];
    assert_eq!(told, &refused(&w));
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
    tap_slowly(&w).await;
    busy_next(&w);
    refuse_next(&w);
    w.kintone.release_writes();
    eventually(30, || w.line.pushes().len() == 1).await;
    assert_eq!(
        texts(&w.line.replies()),
        [w.texts().recording],
        "one Reply, the early one"
    );
    assert_eq!(texts(&w.line.pushes()), [refused(&w)]);
    assert_eq!(w.kintone.calls("POST", COMMENT), 2);
    assert_eq!(audit_row(&w).await.reply, "replied-early; outcome pushed");
}

#[tokio::test]
async fn a_success_after_the_early_reply_stays_silent_by_default() {
    let w = world("").await;
    tap_slowly(&w).await;
    w.kintone.release_writes();
    // The audit row is written with the event's end: nothing is queued
    // after it.
    let a = audit_row(&w).await;
    assert_eq!(a.outcome, "written");
    assert!(
        a.reply.starts_with("replied-early; outcome not pushed"),
        "{}",
        a.reply
    );
    assert_eq!(texts(&w.line.replies()), [w.texts().recording]);
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
    tap_slowly(&w).await;
    w.kintone.release_writes();
    eventually(15, || w.line.pushes().len() == 1).await;
    assert_eq!(texts(&w.line.pushes()), ["✓ Recorded — #5"]);
    assert_eq!(texts(&w.line.replies()), [w.texts().recording]);
    assert_eq!(audit_row(&w).await.reply, "replied-early; outcome pushed");
}

/// The office acknowledges notification `abc123` at the panel.
async fn office_acknowledges(w: &World) {
    let at = now_ms();
    w.store()
        .panel_ack(AckRecord {
            at_ms: at,
            event_id: format!("panel-{at}"),
            line_user_id: None,
            actor: "Hanako Sato".into(),
            app: 1,
            record: 5,
            notification: "abc123".into(),
            method: "comment".into(),
            outcome: "written".into(),
            reply: "none".into(),
        })
        .await
        .expect("panel acknowledgement");
}

#[tokio::test]
async fn already_acknowledged_on_a_later_attempt_is_pushed() {
    // The early Reply goes out, kintone is busy, and before the scheduled
    // attempt the office acknowledges: that attempt has no Reply left.
    let w = world("").await;
    tap_slowly(&w).await;
    office_acknowledges(&w).await;
    busy_next(&w);
    w.kintone.release_writes();
    eventually(30, || w.line.pushes().len() == 1).await;
    assert_eq!(
        texts(&w.line.pushes()),
        [fill(
            w.texts().already_acknowledged,
            &[("record", "5"), ("by", "Hanako Sato")]
        )]
    );
    assert_eq!(w.line.pushes()[0]["to"], USER);
    assert_eq!(texts(&w.line.replies()), [w.texts().recording]);
    let taro = acks_eventually(&w, 2).await.pop().expect("Taro's row");
    assert_eq!(
        (taro.outcome.as_str(), taro.reply.as_str()),
        ("already-acknowledged", "replied-early; outcome pushed")
    );
    assert_eq!(w.kintone.calls("POST", COMMENT), 1, "not written again");
}

/// Someone the card was not sent to.
const OTHER: &str = "U2222222222222222222222222222bbbb";

/// The rule behind notification `abc123`, letting `ack_by` acknowledge.
fn rule(ack_by: &str) -> String {
    format!("[[rules]]\nname = \"r\"\napp = 1\nrecipients = [\"{USER}\"]\nack_by = \"{ack_by}\"\n")
}

#[tokio::test]
async fn a_refusal_after_a_config_change_is_pushed() {
    // Anyone may acknowledge: a colleague's tap gets the early Reply, and
    // kintone stays busy. The gateway restarts with the rule narrowed to
    // the recipients: the scheduled attempt refuses, with no Reply left.
    let mut w = world_with("", &rule("anyone")).await;
    tap_slowly_as(&w, OTHER).await;
    for _ in 0..200 {
        busy_next(&w);
    }
    w.kintone.release_writes();
    // The attempt ends busy (a retry scheduled) before the restart.
    let metrics = w.gateway().metrics.clone();
    eventually(15, || metrics.retries.load(Ordering::Relaxed) >= 1).await;
    w.stop().await;
    w.kintone.clear_faults();
    w.site.tail = rule("recipients");
    w.boot().await;
    eventually(30, || w.line.pushes().len() == 1).await;
    let push = &w.line.pushes()[0];
    assert_eq!(push["to"], OTHER);
    let told = &texts(std::slice::from_ref(push))[0];
    assert_eq!(told, w.texts().refused_not_recipient);
    assert_eq!(texts(&w.line.replies()), [w.texts().recording]);
    let a = audit_row(&w).await;
    assert_eq!(
        (a.outcome.as_str(), a.reply.as_str()),
        ("refused: not a recipient", "replied-early; outcome pushed")
    );
    assert!(w.kintone.comment_texts().is_empty());
}

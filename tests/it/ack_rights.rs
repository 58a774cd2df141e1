//! Who may acknowledge: only the people a notification went to (or, per
//! rule, any linked staff or anyone), and only a notification that exists.
//! Everyone else gets a polite Reply and nothing is written.

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::store::audit::AckRecord;
use kintone_line_gateway::store::staff::normalise_code;
use kintone_line_gateway::text::fill;
use serde_json::{json, Value};

use crate::world::{eventually, until, World, COMMENT_ACK, USER};

const DATA: &str = "ack:v1::1:5:abc123";
/// Someone the card was not sent to.
const OTHER: &str = "U2222222222222222222222222222bbbb";
const GROUP: &str = "C3333333333333333333333333333cccc";
const ANOTHER_GROUP: &str = "C4444444444444444444444444444dddd";

/// A world where notification `abc123` (record 5) was pushed to `to`.
async fn world(tail: &str, to: &[&str]) -> World {
    let w = World::start_with(COMMENT_ACK, tail, |k| k.set_record(5, 3, "Needs approval")).await;
    w.store()
        .seed_notification_to("abc123", 5, "Invoice", now_ms(), to)
        .await
        .expect("seeding the notification");
    w
}

fn in_group(w: &World, group: &str, user: &str, data: &str) -> Value {
    let mut ev = w.line.postback_event(user, data);
    ev["source"] = json!({"type": "group", "groupId": group, "userId": user});
    ev
}

/// Delivers `event` and waits for the Reply number `n` (1-based); its text.
async fn reply_to(w: &World, event: Value, n: usize) -> String {
    assert_eq!(w.deliver(&[event]).await.0, 200);
    eventually(10, || w.line.replies().len() >= n).await;
    w.line.replies()[n - 1]["messages"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The audit rows, once every delivered event has finished (a Reply goes
/// out before its event's end is stored).
async fn audit(w: &World) -> Vec<AckRecord> {
    let store = w.store();
    let inbox = &store;
    until(5, "events finished", move || async move {
        inbox.inbox_pending_count().await.expect("inbox") == 0
    })
    .await;
    assert_eq!(
        store.inbox_pending_count().await.unwrap(),
        0,
        "events finished"
    );
    store.acks_since(0).await.expect("audit")
}

async fn metric(w: &World, name: &str) -> u64 {
    let url = format!("http://{}/metrics", w.gateway().addr());
    let text = reqwest::get(&url).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("klg_{name}_total ")))
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_tap_from_someone_the_card_was_not_sent_to_writes_nothing() {
    let w = world("", &[USER]).await;
    // A forwarded card: well-formed data for a real, open notification.
    let text = reply_to(&w, w.line.postback_event(OTHER, DATA), 1).await;
    assert_eq!(text, w.texts().refused_not_recipient);
    assert!(w.kintone.comment_texts().is_empty(), "nothing written");
    let acks = audit(&w).await;
    assert_eq!(acks.len(), 1, "a tap on a real card is audited: {acks:?}");
    assert_eq!(
        (acks[0].outcome.as_str(), acks[0].line_user_id.as_deref()),
        ("refused: not a recipient", Some(OTHER))
    );
    assert_eq!(metric(&w, "ack_refused").await, 1);
    assert_eq!(metric(&w, "acks").await, 0);

    // It is still open for the person it was sent to.
    let text = reply_to(&w, w.line.postback_event(USER, DATA), 2).await;
    assert_eq!(text, "✓ Recorded — #5");
    assert_eq!(w.kintone.comment_texts().len(), 1);
}

#[tokio::test]
async fn an_invented_or_mismatched_notification_writes_nothing() {
    let w = world("", &[USER]).await;
    let invented = w.line.postback_event(USER, "ack:v1::1:5:invented");
    let text = reply_to(&w, invented, 1).await;
    assert_eq!(text, w.texts().refused_unknown);
    // A real id on another record's button (data typed by hand).
    let moved = w.line.postback_event(USER, "ack:v1::1:6:abc123");
    let text = reply_to(&w, moved, 2).await;
    assert_eq!(text, w.texts().refused_unknown);
    assert!(w.kintone.comment_texts().is_empty(), "nothing written");
    assert_eq!(metric(&w, "ack_refused").await, 2);
    let acks = audit(&w).await;
    assert_eq!(
        acks.iter().map(|a| a.outcome.as_str()).collect::<Vec<_>>(),
        ["refused: data does not match the notification"],
        "invented ids leave no audit row, only a log line and the metric"
    );
    let open = w.store().pending_notifications().await.unwrap();
    assert!(open.iter().any(|n| n.id == "abc123"), "still open");
}

#[tokio::test]
async fn anyone_in_the_group_it_was_sent_to_may_acknowledge() {
    let w = world("", &[GROUP]).await;
    let elsewhere = in_group(&w, ANOTHER_GROUP, OTHER, DATA);
    let text = reply_to(&w, elsewhere, 1).await;
    assert_eq!(text, w.texts().refused_not_recipient);
    assert!(w.kintone.comment_texts().is_empty());

    let member = in_group(&w, GROUP, OTHER, DATA);
    let text = reply_to(&w, member, 2).await;
    assert_eq!(text, "✓ Recorded — #5");
    assert_eq!(w.kintone.comment_texts().len(), 1);
    let acks = audit(&w).await;
    let outcomes: Vec<&str> = acks.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["refused: not a recipient", "written"]);
}

#[tokio::test]
async fn ack_by_staff_lets_any_linked_staff_member_acknowledge() {
    let tail = format!(
        "[[rules]]\nname = \"r\"\napp = 1\nrecipients = [\"{USER}\"]\nack_by = \"staff\"\n"
    );
    let w = world(&tail, &[USER]).await;
    let outsider = "U5555555555555555555555555555eeee";
    let text = reply_to(&w, w.line.postback_event(outsider, DATA), 1).await;
    assert_eq!(text, w.texts().refused_not_staff);
    assert!(w.kintone.comment_texts().is_empty());

    let store = w.store();
    let invite = store
        .invite_create("Hanako Sato".into(), None, now_ms(), now_ms() + 60_000)
        .await
        .unwrap();
    let code = normalise_code(&invite.code).unwrap();
    store
        .invite_redeem(OTHER.into(), code, now_ms())
        .await
        .unwrap();
    let text = reply_to(&w, w.line.postback_event(OTHER, DATA), 2).await;
    assert_eq!(text, "✓ Recorded — #5", "staff, though not a recipient");
    let comments = w.kintone.comment_texts();
    assert_eq!(comments.len(), 1);
    assert!(comments[0].starts_with("Acknowledged by Hanako Sato"));

    // The person it was sent to hears who was first, as before.
    let text = reply_to(&w, w.line.postback_event(USER, DATA), 3).await;
    let already = [("record", "5"), ("by", "Hanako Sato")];
    assert_eq!(text, fill(w.texts().already_acknowledged, &already));
}

//! The acknowledgement loop end to end: the real gateway on port 0, signed
//! postbacks in from the fake LINE, kintone write-backs and LINE replies out.

use std::time::Duration;

use kintone_line_gateway::acknowledge::writeback::comment_marker;
use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::config::template::Template;
use kintone_line_gateway::config::ACK_PLACEHOLDERS;
use kintone_line_gateway::inbound::signature::ChannelSecret;
use kintone_line_gateway::secret::Secret;
use kintone_line_gateway::sim::fakes::{Comment, DEFAULT_SECRET};
use kintone_line_gateway::store::inbox::{EventEnvelope, Stage};
use kintone_line_gateway::store::Store;
use kintone_line_gateway::text::{fill, Language};
use serde_json::{json, Value};

use crate::world::{
    acks_eventually, eventually, inbox_drained, kintone_writes_match_the_spec, World, COMMENT_ACK,
    USER,
};

const DATA: &str = "ack:v1::1:5:abc123";

async fn world() -> World {
    let w = World::start_with(COMMENT_ACK, "", |k| k.set_record(5, 3, "Needs approval")).await;
    sent_to_user(&w).await;
    w
}

/// The comment method with the language's default comment.
const DEFAULT_COMMENT: &str = "poll = false\n[kintone.apps.ack]\nmethod = \"comment\"";

async fn world_in(language: Language) -> World {
    let w = World::start_in(language, DEFAULT_COMMENT, "", |k| {
        k.set_record(5, 3, "Needs approval")
    })
    .await;
    sent_to_user(&w).await;
    w
}

/// The default comment as far as `{{time}}` (whose format is the clock's
/// business), for Taro's tap from LINE.
fn comment_start(language: Language) -> String {
    let texts = language.catalogue();
    let (start, _) = texts
        .default_comment
        .split_once("{{time}}")
        .expect("the default comment names the time");
    let start = Template::parse(start, ACK_PLACEHOLDERS).expect("template");
    start.render(|k| match k {
        "name" => Some("Taro Yamada".into()),
        "via" => Some(texts.via_line.into()),
        _ => None,
    })
}

/// The notification `DATA` answers, as if pushed to `USER`: only the people
/// a card went to may acknowledge it.
async fn sent_to_user(w: &World) {
    w.store()
        .seed_notification_to("abc123", 5, "Invoice", now_ms(), &[USER])
        .await
        .expect("seeding the notification");
}

fn tap(w: &World) -> Value {
    w.line.postback_event(USER, DATA)
}

#[tokio::test]
async fn postback_is_written_back_once_and_replied() {
    for language in Language::ALL {
        written_back_once_and_replied(language).await;
    }
}

/// The comment (the default, with its marker as the last line) and the
/// Reply in `language`; a redelivery changes nothing.
async fn written_back_once_and_replied(language: Language) {
    let w = world_in(language).await;
    let event = tap(&w);
    let (status, text) = w.deliver(std::slice::from_ref(&event)).await;
    assert_eq!(status, 200, "{text}");
    eventually(5, || w.line.replies().len() == 1).await;
    let comments = w.kintone.comment_texts();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].starts_with(&comment_start(language)),
        "{language:?}: {comments:?}"
    );
    let id = event["webhookEventId"].as_str().unwrap();
    let marker = comment_marker(id, language);
    assert_eq!(comments[0].lines().last(), Some(marker.as_str()));
    let reply = &w.line.replies()[0];
    assert_eq!(reply["replyToken"], event["replyToken"]);
    assert_eq!(
        reply["messages"][0]["text"],
        w.recorded(5, "Invoice").as_str()
    );

    // LINE redelivers the same event: stored once, nothing done twice.
    let mut again = event.clone();
    again["deliveryContext"]["isRedelivery"] = json!(true);
    let (status, text) = w.deliver(&[again]).await;
    assert_eq!(status, 200);
    assert!(text.contains("\"duplicates\":1"), "{text}");
    // Every stored event handled: a redelivery stored twice would be too.
    inbox_drained(&w).await;
    assert_eq!(w.kintone.comment_texts().len(), 1);
    assert_eq!(w.line.reply_calls(), 1);

    let acks = acks_eventually(&w, 1).await;
    assert_eq!(acks.len(), 1);
    assert_eq!(
        (acks[0].outcome.as_str(), acks[0].reply.as_str()),
        ("written", "replied")
    );
    kintone_writes_match_the_spec(&w.kintone);
}

#[tokio::test]
async fn a_tap_on_an_acknowledged_notification_is_answered_not_written_again() {
    for language in Language::ALL {
        answered_not_written_again(language).await;
    }
}

async fn answered_not_written_again(language: Language) {
    let w = world_in(language).await;
    let (status, _) = w.deliver(&[tap(&w)]).await;
    assert_eq!(status, 200);
    eventually(5, || w.line.replies().len() == 1).await;
    let acks = acks_eventually(&w, 1).await;
    assert_eq!(acks[0].outcome, "written");

    // The same button again, from the same notification, a moment later.
    let (status, _) = w.deliver(&[tap(&w)]).await;
    assert_eq!(status, 200);
    eventually(5, || w.line.replies().len() == 2).await;
    let already = fill(
        w.texts().already_acknowledged,
        &[("record", "5"), ("by", "Taro Yamada")],
    );
    assert_eq!(w.line.replies()[1]["messages"][0]["text"], already.as_str());
    assert_eq!(w.kintone.comment_texts().len(), 1, "no second comment");
    let acks = acks_eventually(&w, 2).await;
    assert_eq!(
        (acks[1].outcome.as_str(), acks[1].reply.as_str()),
        ("already-acknowledged", "replied")
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_stored() {
    let w = world().await;
    let event = tap(&w);
    let (body, signature) = w.line.webhook(std::slice::from_ref(&event));
    assert_eq!(w.send(&body, None).await.0, 401);
    let forged = ChannelSecret::new(Secret::new("another-secret")).sign(body.as_bytes());
    assert_eq!(w.send(&body, Some(&forged)).await.0, 401);
    // Re-serialised (pretty-printed) body with the original signature.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&body).unwrap()).unwrap();
    assert_eq!(w.send(&pretty, Some(&signature)).await.0, 401);
    // One byte changed.
    let tampered = body.replacen("abc123", "abc124", 1);
    assert_eq!(w.send(&tampered, Some(&signature)).await.0, 401);
    let sign = |b: &str| ChannelSecret::new(Secret::new(DEFAULT_SECRET)).sign(b.as_bytes());
    assert_eq!(w.send("{not json", Some(&sign("{not json"))).await.0, 400);
    let huge = "x".repeat(1024 * 1024 + 1);
    assert_eq!(w.send(&huge, Some(&sign(&huge))).await.0, 413);
    // The console's Verify button.
    assert_eq!(w.deliver(&[]).await.0, 200);
    let store = w.store();
    let id = event["webhookEventId"].as_str().unwrap().to_owned();
    assert!(store.inbox_get(&id).await.unwrap().is_none());
    assert_eq!(store.inbox_pending_count().await.unwrap(), 0);
    assert!(w.kintone.requests().is_empty());
}

#[tokio::test]
async fn standby_and_unknown_events_are_never_acted_on() {
    // A standby tap on a real, open notification: another channel answers
    // this chat, so the gateway keeps the event and does nothing with it.
    let w = world().await;
    let mut standby = tap(&w);
    standby["mode"] = json!("standby");
    standby.as_object_mut().unwrap().remove("replyToken");
    let unknown = json!({"type": "somethingNew", "timestamp": now_ms(),
        "webhookEventId": "01UNK", "mode": "active",
        "source": {"type": "user", "userId": USER}});
    assert_eq!(w.deliver(&[standby.clone(), unknown]).await.0, 200);
    let store = w.store();
    inbox_drained(&w).await;
    let id = standby["webhookEventId"].as_str().unwrap().to_owned();
    assert!(store.inbox_get(&id).await.unwrap().is_some(), "kept");
    assert!(w.kintone.comment_texts().is_empty(), "no write-back");
    assert!(
        !w.kintone
            .requests()
            .iter()
            .any(|r| r.path == "/k/v1/record/comment.json"),
        "kintone not even asked"
    );
    assert!(
        store.acks_since(0).await.unwrap().is_empty(),
        "no audit row"
    );
    assert_eq!(w.line.reply_calls(), 0, "no Reply");
    assert!(w.line.pushes().is_empty(), "no push");
    let open = store.pending_notifications().await.unwrap();
    assert!(
        open.iter().any(|n| n.id == "abc123"),
        "still open: {open:?}"
    );

    // The second channel's copy of the same event is stored once.
    let (status, text) = w.deliver(&[standby]).await;
    assert_eq!(status, 200);
    assert!(text.contains("\"duplicates\":1"), "{text}");
}

#[tokio::test]
async fn expired_token_is_not_used_and_fallback_is_recorded() {
    let w = world().await;
    let mut old = tap(&w);
    old["timestamp"] = json!(now_ms() - 60_000);
    // A fresh event in the same request shows the board's clock agrees with
    // LINE's, so the tap's own timestamp counts: it is a minute old.
    let mut fresh = tap(&w);
    fresh["type"] = json!("unfollow");
    assert_eq!(w.deliver(&[fresh, old]).await.0, 200);
    eventually(5, || w.kintone.comment_texts().len() == 1).await;
    let acks = acks_eventually(&w, 1).await;
    assert_eq!(acks[0].reply, "fallback-none");
    assert_eq!(
        w.line.reply_calls(),
        0,
        "an expired token must never reach the Reply API"
    );
}

#[tokio::test]
async fn kintone_5xx_and_429_are_retried_without_a_double_comment() {
    let w = world().await;
    w.kintone.fail_next(1);
    w.kintone.fault(429, "GAIA_TM12", "Too many requests");
    assert_eq!(w.deliver(&[tap(&w)]).await.0, 200);
    eventually(10, || w.line.replies().len() == 1).await;
    assert_eq!(w.kintone.comment_texts().len(), 1);
    assert_eq!(
        w.line.replies()[0]["messages"][0]["text"],
        "✓ Recorded — #5"
    );
}

#[tokio::test]
async fn a_comment_whose_answer_was_lost_is_not_posted_again() {
    // kintone stores the comment but its answer never arrives in time (the
    // gateway's kintone timeout is 2 s): the retry inside the same tap must
    // find the marker instead of posting a second comment.
    let w = world().await;
    w.kintone.delay_comments(Duration::from_millis(2500));
    assert_eq!(w.deliver(&[tap(&w)]).await.0, 200);
    eventually(15, || w.line.replies().len() == 1).await;
    assert_eq!(
        w.line.replies()[0]["messages"][0]["text"],
        "✓ Recorded — #5"
    );
    assert_eq!(w.kintone.calls("POST", "/k/v1/record/comment.json"), 1);
    assert_eq!(w.kintone.comment_texts().len(), 1);
    let acks = acks_eventually(&w, 1).await;
    assert_eq!(acks[0].outcome, "already-written");
}

#[tokio::test]
async fn validation_error_is_not_retried_and_the_reply_says_so() {
    let w = world().await;
    w.kintone.fault_at(
        "POST",
        "/k/v1/record/comment.json",
        520,
        "CB_VA01",
        "Missing or invalid input.",
    );
    assert_eq!(w.deliver(&[tap(&w)]).await.0, 200);
    eventually(5, || w.line.replies().len() == 1).await;
    let text = w.line.replies()[0]["messages"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        !text.starts_with('✓') && text.contains("#5"),
        "the reply must say plainly that it was not recorded: {text}"
    );
    assert!(
        !text.contains("Missing or invalid input") && !text.contains("CB_VA01"),
        "in plain words, not kintone's: {text}"
    );
    // The event is finished: a retry would have come before that.
    inbox_drained(&w).await;
    assert_eq!(
        w.kintone.calls("POST", "/k/v1/record/comment.json"),
        1,
        "a 520 is never retried"
    );
    assert!(w.kintone.comment_texts().is_empty());
    let acks = acks_eventually(&w, 1).await;
    assert_ne!(acks[0].outcome, "written");
}

#[tokio::test]
async fn field_write_back_survives_a_revision_conflict() {
    let app = r#"poll = false
[kintone.apps.ack]
method = "fields"
fields = { Acknowledged_by = "{{name}}", Acknowledged_at = "{{datetime}}" }
reply = "✓ Recorded — #{{record}}"
"#;
    let w = World::start_with(app, "", |k| k.set_record(5, 3, "Needs approval")).await;
    sent_to_user(&w).await;
    // Someone edits the record between the gateway's read and its write: the
    // first PUT carries a stale revision and gets 409 GAIA_CO02.
    w.kintone.fault_at(
        "PUT",
        "/k/v1/record.json",
        409,
        "GAIA_CO02",
        "The revision is not the latest. Someone may update a record.",
    );
    w.kintone
        .user_sets_field(5, "Title", json!("Fix the roof (urgent)"));
    assert_eq!(w.deliver(&[tap(&w)]).await.0, 200);
    eventually(10, || w.line.replies().len() == 1).await;
    let record = w.kintone.record(5).unwrap();
    assert_eq!(record["Acknowledged_by"]["value"], "Taro Yamada");
    assert!(
        record["Acknowledged_at"]["value"]
            .as_str()
            .is_some_and(|v| v.ends_with('Z') && v.len() == 20),
        "kintone DATETIME value: {}",
        record["Acknowledged_at"]["value"]
    );
    assert_eq!(
        record["Title"]["value"], "Fix the roof (urgent)",
        "the other edit is kept"
    );
    assert!(w.kintone.calls("PUT", "/k/v1/record.json") >= 2);
    assert!(w.kintone.comment_texts().is_empty());
    kintone_writes_match_the_spec(&w.kintone);
}

#[tokio::test]
async fn status_write_back_runs_the_process_action() {
    let app = r#"poll = false
[kintone.apps.ack]
method = "status"
action = "Acknowledge"
reply = "✓ Recorded — #{{record}}"
"#;
    let w = World::start_with(app, "", |k| k.set_record(5, 3, "Needs approval")).await;
    sent_to_user(&w).await;
    assert_eq!(w.deliver(&[tap(&w)]).await.0, 200);
    eventually(10, || w.line.replies().len() == 1).await;
    let record = w.kintone.record(5).unwrap();
    assert_eq!(record["STATUS"]["value"], "Acknowledged");
    assert_eq!(record["$revision"]["value"], "5", "a status action adds 2");
    kintone_writes_match_the_spec(&w.kintone);

    // A second tap on the same card: the record has moved on, nothing breaks.
    assert_eq!(w.deliver(&[tap(&w)]).await.0, 200);
    eventually(10, || w.line.replies().len() == 2).await;
    assert_eq!(
        w.kintone.record(5).unwrap()["STATUS"]["value"],
        "Acknowledged"
    );
}

#[tokio::test]
async fn foreign_or_damaged_buttons_get_a_friendly_reply() {
    for language in Language::ALL {
        friendly_replies(language).await;
    }
}

async fn friendly_replies(language: Language) {
    let w = world_in(language).await;
    let foreign = w.line.postback_event(USER, "ack:v2:???");
    let damaged = w.line.postback_event(USER, "ack:v1:???");
    let other_app = w.line.postback_event(USER, "ack:v1::99:5:abc");
    let events = [foreign, damaged, other_app];
    assert_eq!(w.deliver(&events).await.0, 200);
    eventually(5, || w.line.replies().len() == 3).await;
    assert!(w.kintone.comment_texts().is_empty());
    // Each tap gets its own answer, in the catalogue's words.
    let said = |event: &Value| {
        let replies = w.line.replies();
        let reply = replies
            .iter()
            .find(|r| r["replyToken"] == event["replyToken"])
            .unwrap_or_else(|| panic!("no reply to {event}"));
        reply["messages"][0]["text"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let texts = w.texts();
    assert_eq!(said(&events[0]), texts.button_foreign);
    assert_eq!(said(&events[1]), texts.button_damaged);
    let not_connected = fill(texts.app_not_connected, &[("app", "99")]);
    assert_eq!(said(&events[2]), not_connected);
}

#[tokio::test]
async fn staff_onboarding_links_a_line_user_by_invite_code() {
    for language in Language::ALL {
        onboarding(language).await;
    }
}

/// Follow, a wrong code, the right one, a used one: each answered in
/// `language`; the linked name then signs the comment.
async fn onboarding(language: Language) {
    let w = world_in(language).await;
    let texts = w.texts();
    let store = w.store();
    let invite = store
        .invite_create(
            "Hanako Sato".into(),
            Some("hanako".into()),
            now_ms(),
            now_ms() + 3_600_000,
        )
        .await
        .unwrap();
    let newcomer = "U2222222222222222222222222222bbbb";

    // Adding the bot as a friend: the reply explains how to link.
    assert_eq!(w.deliver(&[w.line.follow_event(newcomer)]).await.0, 200);
    eventually(5, || w.line.replies().len() == 1).await;

    // A wrong code gets a plain answer; the right one links.
    assert_eq!(
        w.deliver(&[w.line.text_event(newcomer, "ZZZZ-ZZZZ")])
            .await
            .0,
        200
    );
    eventually(5, || w.line.replies().len() == 2).await;
    assert_eq!(
        w.deliver(&[w.line.text_event(newcomer, &invite.code)])
            .await
            .0,
        200
    );
    eventually(5, || w.line.replies().len() == 3).await;
    let replies = w.line.replies();
    let said: Vec<&str> = replies
        .iter()
        .map(|r| r["messages"][0]["text"].as_str().unwrap_or(""))
        .collect();
    let linked = fill(texts.linked, &[("name", "Hanako Sato")]);
    assert_eq!(said, [texts.welcome, texts.code_unknown, linked.as_str()]);
    let staff = store.staff_list().await.unwrap();
    assert!(
        staff
            .iter()
            .any(|s| s.line_user_id == newcomer && s.kintone_user.as_deref() == Some("hanako")),
        "{staff:?}"
    );

    // The code is single-use.
    let intruder = "U3333333333333333333333333333cccc";
    assert_eq!(
        w.deliver(&[w.line.text_event(intruder, &invite.code)])
            .await
            .0,
        200
    );
    eventually(5, || w.line.replies().len() == 4).await;
    assert_eq!(w.line.replies()[3]["messages"][0]["text"], texts.code_used);
    assert!(!store
        .staff_list()
        .await
        .unwrap()
        .iter()
        .any(|s| s.line_user_id == intruder));

    // Their acknowledgement now carries their staff name, not the LINE profile's.
    store
        .seed_notification_to("nhanako", 5, "", now_ms(), &[newcomer])
        .await
        .unwrap();
    let tap = w.line.postback_event(newcomer, "ack:v1::1:5:nhanako");
    assert_eq!(w.deliver(&[tap]).await.0, 200);
    eventually(5, || w.kintone.comment_texts().len() == 1).await;
    let comment = &w.kintone.comment_texts()[0];
    let start = comment_start(language).replace("Taro Yamada", "Hanako Sato");
    assert!(comment.starts_with(&start), "{comment}");
}

#[tokio::test]
async fn a_group_and_a_stranger_chatting_are_answered_in_the_language() {
    for language in Language::ALL {
        let w = world_in(language).await;
        let group = "C5555555555555555555555555555eeee";
        let stranger = "U6666666666666666666666666666ffff";
        let join = w.line.join_event(group);
        let chat = w.line.text_event(stranger, "hello?");
        assert_eq!(w.deliver(&[join.clone(), chat.clone()]).await.0, 200);
        eventually(5, || w.line.replies().len() == 2).await;
        let said = |event: &Value| {
            let replies = w.line.replies();
            let reply = replies
                .iter()
                .find(|r| r["replyToken"] == event["replyToken"]);
            reply.map(|r| r["messages"][0]["text"].clone())
        };
        assert_eq!(said(&join), Some(json!(w.texts().group_hello)));
        assert_eq!(said(&chat), Some(json!(w.texts().link_hint)));
    }
}

#[tokio::test]
async fn stop_after_write_back_resumes_without_a_double_comment() {
    let mut w = world().await;
    // Stop the gateway the moment the comment lands, then restart on the
    // same store: the interrupted event is resumed and finds its marker.
    assert_eq!(w.deliver(&[tap(&w)]).await.0, 200);
    eventually(5, || w.kintone.comment_texts().len() == 1).await;
    w.stop().await;
    w.boot().await;
    // The resumed event is finished (or was, before the stop).
    inbox_drained(&w).await;
    assert_eq!(
        w.kintone.comment_texts().len(),
        1,
        "no double comment after restart"
    );
    assert!(
        w.line.reply_calls() <= 1,
        "the single-use token is never spent twice"
    );
}

/// A tap the release before this one stored and began writing back — its
/// comment posted with the old `[ref:<event id>]` marker, the power gone
/// before kintone answered: the upgraded gateway resumes it, finds the old
/// marker, and posts no second comment.
#[tokio::test]
async fn a_write_back_interrupted_before_the_upgrade_is_found_by_its_old_marker() {
    let mut w = world().await;
    w.stop().await;
    let event = tap(&w);
    let id = event["webhookEventId"].as_str().unwrap().to_owned();
    let envelope = EventEnvelope {
        id: id.clone(),
        timestamp_ms: event["timestamp"].as_i64().unwrap_or(0),
        redelivery: false,
        kind: "postback".into(),
        // As that release stored it: the reply token in the event's JSON.
        json: event.to_string(),
        reply_token: None,
    };
    let store = Store::open(&w.dir.path().join("state")).expect("store");
    let stored = store
        .inbox_insert(vec![envelope], w.clock.steady_ms())
        .await;
    assert_eq!(stored.expect("inbox").new, 1);
    let row = store.inbox_get(&id).await.unwrap().expect("the stored tap");
    store
        .inbox_set_stage(row.seq, Stage::Writing, None)
        .await
        .unwrap();
    let before_upgrade = format!("Acknowledged by Taro Yamada\n[ref:{id}]");
    w.kintone.state.lock().unwrap().comments.push(Comment {
        record: 5,
        id: 1,
        text: before_upgrade.clone(),
    });
    w.boot().await;
    let acks = acks_eventually(&w, 1).await;
    assert_eq!(acks[0].outcome, "already-written");
    assert_eq!(w.kintone.calls("POST", "/k/v1/record/comment.json"), 0);
    assert_eq!(w.kintone.comment_texts(), [before_upgrade]);
}

/// One tap on each record in `ids` (app 1), each answering its own
/// notification (`{tag}{id}`, sent to `USER`), delivered 50 events per
/// webhook request.
async fn tap_records(w: &World, ids: std::ops::Range<u64>, tag: &str) {
    let store = w.store();
    for id in ids.clone() {
        let record = i64::try_from(id).unwrap();
        store
            .seed_notification_to(&format!("{tag}{id}"), record, "", now_ms(), &[USER])
            .await
            .unwrap();
    }
    let events: Vec<Value> = ids
        .map(|id| {
            w.line
                .postback_event(USER, &format!("ack:v1::1:{id}:{tag}{id}"))
        })
        .collect();
    for chunk in events.chunks(50) {
        assert_eq!(w.deliver(chunk).await.0, 200);
    }
}

#[tokio::test]
async fn a_flood_of_taps_stays_under_kintones_concurrent_request_limit() {
    // 200 taps at once while kintone is slow (each comment takes 300 ms):
    // kintone refuses a 101st concurrent request with 429, so the gateway
    // must never have more than its own limit in flight — and lose nothing.
    // (How many run at once is a figure of the bench's `flood` scenario.)
    let w = World::start_with(COMMENT_ACK, "", |k| {
        k.add_records(1000, 200, "Needs approval");
        k.delay_comments(Duration::from_millis(300));
    })
    .await;
    tap_records(&w, 1000..1200, "n").await;
    eventually(60, || w.line.replies().len() == 200).await;
    let st = w.kintone.state.lock().unwrap();
    assert_eq!(st.comments.len(), 200, "every tap written back once");
    assert_eq!(st.too_many, 0, "no request over kintone's 100");
    assert!(
        st.max_in_flight <= kintone_line_gateway::kintone::client::MAX_IN_FLIGHT,
        "{} in flight",
        st.max_in_flight
    );
}

#[tokio::test]
async fn a_flood_of_replies_uses_a_bounded_number_of_line_connections() {
    // 100 taps while LINE answers slowly (every request takes 200 ms): the
    // replies wait for the client's own limit instead of opening a
    // connection each — and every tap is still answered. (How many go at
    // once is a figure of the bench's `flood` scenario.)
    let w = World::start_with(COMMENT_ACK, "", |k| {
        k.add_records(1000, 100, "Needs approval");
    })
    .await;
    w.line.delay_requests(Duration::from_millis(200));
    tap_records(&w, 1000..1100, "r").await;
    eventually(60, || w.line.replies().len() == 100).await;
    let most = w.line.max_in_flight();
    assert!(
        most <= kintone_line_gateway::line::client::MAX_IN_FLIGHT,
        "{most} LINE requests in flight"
    );
    assert_eq!(
        w.kintone.comment_texts().len(),
        100,
        "every tap written back once"
    );
}

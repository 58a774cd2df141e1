//! Webhooks pulled from the real Pub/Sub emulator: published as the relay
//! publishes them, handled by the gateway exactly as if they had been posted,
//! and acknowledged only once committed (or refused for good).

mod auth;
mod crash;
mod doctor;
pub mod emulator;
mod handlers;
mod only;
mod trouble;

use std::sync::atomic::Ordering;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::secret::sha256_hex;
use kintone_line_gateway::sim::site::HOOK_TOKEN;
use serde_json::{json, Value};

use crate::world::{
    acks_eventually, baseline, eventually, inbox_drained, rows, until, World, COMMENT_ACK, USER,
};
use emulator::{Message, Topic};

/// A Pub/Sub message as the relay publishes a LINE webhook: the raw body,
/// its signature, the source and the site.
fn line_message(body: &str, signature: &str, site: &str) -> Message {
    (
        body.as_bytes().to_vec(),
        vec![
            ("source", "line".to_owned()),
            ("signature", signature.to_owned()),
            ("content_type", "application/json; charset=utf-8".to_owned()),
            ("site", site.to_owned()),
        ],
    )
}

/// A gateway pulling a fresh subscription, with a comment write-back and
/// the notification `ack:v1::1:5:abc123` sent to [`USER`].
async fn world(name: &str) -> (World, Topic) {
    let topic = Topic::create(name, 10).await;
    let tail = topic.ingress(&topic.api_base(), "10s");
    let w = World::start_with(COMMENT_ACK, &tail, |k| k.set_record(5, 3, "Needs approval")).await;
    w.store()
        .seed_notification_to("abc123", 5, "Invoice", now_ms(), &[USER])
        .await
        .expect("seeding the notification");
    (w, topic)
}

fn acked(w: &World) -> u64 {
    w.gateway().metrics.pubsub.acked.load(Ordering::Relaxed)
}

#[tokio::test]
async fn a_signed_postback_pulled_from_pubsub_is_written_back_replied_and_acked() {
    let (w, topic) = world("postback").await;
    let event = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (body, sig) = w.line.webhook(std::slice::from_ref(&event));
    topic.publish(&[line_message(&body, &sig, "")]).await;

    eventually(20, || w.line.replies().len() == 1).await;
    let comments = w.kintone.comment_texts();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].starts_with("Acknowledged by Taro Yamada"));
    assert_eq!(w.line.replies()[0]["replyToken"], event["replyToken"]);
    assert_eq!(acks_eventually(&w, 1).await.len(), 1);
    eventually(10, || acked(&w) == 1).await;
    let m = &w.gateway().metrics.pubsub;
    assert_eq!(
        m.pulled.load(Ordering::Relaxed),
        1,
        "acked before the deadline: pulled once"
    );
    assert_eq!(m.nacked.load(Ordering::Relaxed), 0);
    let text = w.gateway().metrics.render();
    assert!(text.contains("klg_pubsub_acked_total 1\n"), "{text}");
}

/// A tap that waited an hour in Pub/Sub (the board was off) is written back,
/// but its age is not taken for the board's clock being an hour off LINE's.
#[tokio::test]
async fn a_postback_that_waited_in_pubsub_does_not_move_the_clock_estimate() {
    let (w, topic) = world("waited").await;
    let mut event = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let hour_ago = kintone_line_gateway::clock::now_ms() - 3_600_000;
    event["timestamp"] = serde_json::json!(hour_ago);
    let (body, sig) = w.line.webhook(std::slice::from_ref(&event));
    topic.publish(&[line_message(&body, &sig, "")]).await;

    assert_eq!(acks_eventually(&w, 1).await.len(), 1);
    assert_eq!(w.kintone.comment_texts().len(), 1);
    assert_eq!(w.clock.line_offset_ms(), None);
}

#[tokio::test]
async fn a_tampered_byte_is_refused_never_written_and_acked() {
    let (w, topic) = world("tampered").await;
    let event = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (body, sig) = w.line.webhook(&[event]);
    // One byte of the body changed after LINE signed it.
    let tampered = body.replacen("abc123", "abc124", 1);
    assert_ne!(tampered, body);
    topic.publish(&[line_message(&tampered, &sig, "")]).await;

    // Refused and acknowledged: Pub/Sub will not bring it back.
    eventually(20, || acked(&w) == 1).await;
    let m = &w.gateway().metrics.pubsub;
    assert_eq!(m.refused.load(Ordering::Relaxed), 1);
    assert_eq!(m.nacked.load(Ordering::Relaxed), 0);
    assert_eq!(
        rows(&w, "SELECT COUNT(*) FROM inbox").await,
        0,
        "never stored"
    );
    assert!(w.kintone.comment_texts().is_empty());
    assert_eq!(w.line.reply_calls(), 0);
}

/// Messages larger than the relay ever publishes (1 MiB), from some other
/// publisher, signed and all: two of 2 MiB wait with a tap before the board
/// starts. Each large one is refused (acknowledged, never stored: as over
/// HTTP, the body is not even checked), and the tap is taken in.
#[tokio::test]
async fn messages_larger_than_the_relay_sends_are_refused_and_never_block_the_rest() {
    let topic = Topic::create("large", 10).await;
    let line = kintone_line_gateway::sim::line::FakeLine::start()
        .await
        .expect("a LINE to sign with");
    let big = || {
        let mut event = line.postback_event(USER, "ack:v1::1:5:abc123");
        event["padding"] = json!("x".repeat(2 << 20));
        let (body, sig) = line.webhook(&[event]);
        line_message(&body, &sig, "")
    };
    topic.publish(&[big()]).await;
    topic.publish(&[big()]).await;
    let tail = topic.ingress(&topic.api_base(), "10s");
    let w = World::start_with(COMMENT_ACK, &tail, |k| k.set_record(5, 3, "Needs approval")).await;
    let event = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (body, sig) = w.line.webhook(std::slice::from_ref(&event));
    topic.publish(&[line_message(&body, &sig, "")]).await;

    eventually(90, || acked(&w) == 3).await;
    let m = &w.gateway().metrics.pubsub;
    assert_eq!(m.refused.load(Ordering::Relaxed), 2);
    assert_eq!(m.nacked.load(Ordering::Relaxed), 0);
    assert_eq!(
        rows(&w, "SELECT COUNT(*) FROM inbox").await,
        1,
        "only the tap"
    );
}

#[tokio::test]
async fn another_sites_message_is_acknowledged_untouched() {
    let (w, topic) = world("foreign").await;
    let theirs = w.line.postback_event(USER, "ack:v1:osaka:1:5:abc123");
    let (body, sig) = w.line.webhook(&[theirs]);
    let ours = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (our_body, our_sig) = w.line.webhook(&[ours]);
    topic
        .publish(&[
            line_message(&body, &sig, "osaka"),
            line_message(&our_body, &our_sig, ""),
        ])
        .await;

    // Ours is handled (the sign both were pulled), theirs only acknowledged.
    eventually(20, || acked(&w) == 2).await;
    inbox_drained(&w).await;
    assert_eq!(
        rows(&w, "SELECT COUNT(*) FROM inbox").await,
        1,
        "only ours stored"
    );
    let m = &w.gateway().metrics.pubsub;
    assert_eq!(m.foreign_site.load(Ordering::Relaxed), 1);
    assert_eq!(w.kintone.comment_texts().len(), 1);
    // The Reply follows the stored finish.
    eventually(5, || w.line.reply_calls() >= 1).await;
    assert_eq!(w.line.reply_calls(), 1);
}

#[tokio::test]
async fn a_kintone_webhook_message_becomes_a_push() {
    let topic = Topic::create("kintone", 10).await;
    let app = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";
    let tail = format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n\n[notify]\ndebounce = \"0s\"\n{}",
        topic.ingress(&topic.api_base(), "10s")
    );
    let w = World::start_with(app, &tail, |k| k.set_record(5, 1, "Open")).await;
    baseline(&w).await;
    // The status changes; kintone's webhook reaches the relay, not the board.
    w.kintone.set_record(5, 3, "Needs approval");
    let hint = json!({"id": "hint-1", "type": "UPDATE_STATUS", "app": {"id": "1", "name": "Repairs"},
        "record": w.kintone.record(5).unwrap(), "recordTitle": "Fix the roof", "url": ""});
    // The relay publishes the path token's SHA-256, never the token. One
    // with another token's digest comes first: refused, and acknowledged.
    let with = |key: &'static str, value: String| -> Message {
        (
            hint.to_string().into_bytes(),
            vec![
                ("source", "kintone".to_owned()),
                (key, value),
                ("site", String::new()),
            ],
        )
    };
    let forged = with("kintone_token_sha256", sha256_hex("another-token"));
    topic.publish(&[forged]).await;
    eventually(10, || acked(&w) == 1).await;
    assert_eq!(
        w.gateway().metrics.pubsub.refused.load(Ordering::Relaxed),
        1
    );
    topic
        .publish(&[with("kintone_token_sha256", sha256_hex(HOOK_TOKEN))])
        .await;

    eventually(20, || w.line.pushes().len() == 1).await;
    let push: &Value = &w.line.pushes()[0];
    assert_eq!(push["to"], USER);
    assert!(push.to_string().contains("ack:v1::1:5:"));
    eventually(10, || acked(&w) == 2).await;
    assert_eq!(
        w.gateway().metrics.kintone_webhooks.load(Ordering::Relaxed),
        1
    );
    // An older relay's message, the token itself in the clear: still taken
    // (a duplicate of the same hint here), so that the relay can be updated
    // after the board.
    topic
        .publish(&[with("kintone_token", HOOK_TOKEN.to_owned())])
        .await;
    eventually(10, || acked(&w) == 3).await;
    assert_eq!(
        w.gateway().metrics.kintone_webhooks.load(Ordering::Relaxed),
        2
    );
    assert_eq!(
        w.gateway().metrics.pubsub.refused.load(Ordering::Relaxed),
        1
    );
}

/// A kintone webhook message as the relay publishes it.
fn kintone_message(w: &World, record: u64) -> Message {
    let hint = json!({"id": format!("hint-{record}"), "type": "UPDATE_STATUS",
        "app": {"id": "1", "name": "Repairs"}, "record": w.kintone.record(record).unwrap(),
        "recordTitle": "Fix the roof", "url": ""});
    (
        hint.to_string().into_bytes(),
        vec![
            ("source", "kintone".to_owned()),
            ("kintone_token_sha256", sha256_hex(HOOK_TOKEN)),
            ("site", String::new()),
        ],
    )
}

/// The board off while staff tap and kintone changes: 200 postbacks (150
/// fresh, 50 whose reply window ran out while they waited) and 50 status
/// changes wait in the subscription; started, it handles each exactly once.
#[tokio::test]
async fn postbacks_published_while_the_gateway_is_off_are_each_written_once() {
    const FRESH: u64 = 150;
    const OLD: u64 = 50;
    const TAPS: u64 = FRESH + OLD;
    const CHANGES: u64 = 50;
    let topic = Topic::create("offline", 10).await;
    let app = COMMENT_ACK.replace(
        "poll = false",
        "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"",
    );
    let tail = format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n\n[notify]\ndebounce = \"0s\"\n{}",
        topic.ingress(&topic.api_base(), "10s")
    );
    let mut w = World::start_tuned(
        |s| s.line_settings = "deadline_fallback = \"push\"".into(),
        &app,
        &tail,
        |k| {
            for id in 1..=TAPS {
                k.set_record(100 + id, 3, "Needs approval");
            }
            for id in 1..=CHANGES {
                k.set_record(400 + id, 1, "Open");
            }
        },
    )
    .await;
    baseline(&w).await;
    let store = w.store();
    for id in 1..=TAPS {
        let record = i64::try_from(100 + id).unwrap();
        store
            .seed_notification_to(&format!("off{id}"), record, "", now_ms(), &[USER])
            .await
            .unwrap();
    }
    w.stop().await;
    w.kintone.set_webhook(None); // kintone's webhooks go to the relay
    let mut messages = Vec::new();
    for id in 1..=TAPS {
        let mut tap = w
            .line
            .postback_event(USER, &format!("ack:v1::1:{}:off{id}", 100 + id));
        if id > FRESH {
            // Tapped ten minutes ago: LINE no longer takes its token.
            tap["timestamp"] = json!(now_ms() - 600_000);
            w.line
                .expire_reply_token(tap["replyToken"].as_str().unwrap_or_default());
        }
        let (body, sig) = w.line.webhook(&[tap]);
        messages.push(line_message(&body, &sig, ""));
    }
    for id in 1..=CHANGES {
        w.kintone.set_record(400 + id, 3, "Needs approval");
        messages.push(kintone_message(&w, 400 + id));
    }
    topic.publish(&messages).await;

    w.boot().await;
    until(60, "every message acknowledged", || async {
        acked(&w) >= TAPS + CHANGES
    })
    .await;
    inbox_drained(&w).await;
    // An audit row is written before its Reply and corrected if the Reply
    // fails: every old tap's row ends as a fallback push.
    until(10, "every old tap's answer audited", || async {
        let acks = acks_eventually(&w, TAPS as usize).await;
        acks.iter().filter(|a| a.reply == "fallback-push").count() >= OLD as usize
    })
    .await;
    let acks = acks_eventually(&w, TAPS as usize).await;
    assert_eq!(acks.len(), TAPS as usize, "one audit row each");
    for a in &acks {
        let n: u64 = a.notification.trim_start_matches("off").parse().unwrap();
        let want = if n > FRESH {
            "fallback-push"
        } else {
            "replied"
        };
        assert_eq!(
            (a.outcome.as_str(), a.reply.as_str()),
            ("written", want),
            "{a:?}"
        );
    }
    let mut comments = w.kintone.comment_texts();
    assert_eq!(comments.len(), TAPS as usize, "each written once");
    comments.sort();
    comments.dedup();
    assert_eq!(comments.len(), TAPS as usize, "no comment twice");
    // A late tap may still be tried (LINE answers a spent token with a free
    // 400) before its answer is pushed; only the fresh ones are taken. Each
    // Reply follows its event's stored finish.
    eventually(10, || w.line.replies().len() >= FRESH as usize).await;
    assert_eq!(
        w.line.replies().len(),
        FRESH as usize,
        "a Reply for each fresh tap"
    );
    assert!(
        w.line.reply_calls() <= TAPS as usize,
        "no token tried twice"
    );
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM inbox").await, TAPS as i64);

    // Every change's card pushed once; the late taps' answers pushed once each.
    until(30, "every card and late answer pushed", || async {
        rows(&w, "SELECT COUNT(*) FROM deliveries WHERE push_id IS NULL").await == 0
            && rows(&w, "SELECT COUNT(*) FROM notifications").await == (TAPS + CHANGES) as i64
    })
    .await;
    eventually(30, || {
        let all = w
            .line
            .pushes()
            .iter()
            .map(Value::to_string)
            .collect::<String>();
        (1..=CHANGES).all(|id| all.contains(&format!("ack:v1::1:{}:", 400 + id)))
    })
    .await;
    let pushes: Vec<String> = w.line.pushes().iter().map(Value::to_string).collect();
    for id in 1..=CHANGES {
        let card = format!("ack:v1::1:{}:", 400 + id);
        let times: usize = pushes.iter().map(|p| p.matches(&card).count()).sum();
        assert_eq!(times, 1, "record {} carded {times} times", 400 + id);
    }
    let late = pushes.iter().filter(|p| !p.contains("ack:v1:")).count();
    assert_eq!(late, OLD as usize, "one paid answer per late tap");
}

/// The store's file deleted under the running gateway: a pulled webhook is
/// handed back to Pub/Sub (it comes again), never acknowledged into the
/// deleted file.
#[tokio::test]
async fn while_the_stores_file_is_gone_nothing_pulled_is_acknowledged() {
    let (w, topic) = world("store-gone").await;
    for f in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
        std::fs::remove_file(w.dir.path().join("state").join(f)).unwrap();
    }
    let health = format!("http://{}/healthz", w.gateway().addr());
    until(10, "the gateway has seen the store gone", || async {
        reqwest::get(&health).await.is_ok_and(|r| r.status() == 503)
    })
    .await;
    let event = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (body, sig) = w.line.webhook(std::slice::from_ref(&event));
    topic.publish(&[line_message(&body, &sig, "")]).await;
    let m = &w.gateway().metrics.pubsub;
    eventually(20, || m.nacked.load(Ordering::Relaxed) >= 1).await;
    assert_eq!(acked(&w), 0, "nothing acknowledged into a deleted file");
    assert!(w.kintone.comment_texts().is_empty());
}

/// LINE Notify calls as the relay publishes them, the bearer token's digest
/// only, and as an older relay did, the `Authorization` header itself: both
/// pushed; a digest of another token refused and acknowledged.
#[tokio::test]
async fn line_notify_calls_are_taken_by_their_tokens_digest_or_an_older_relays_header() {
    use kintone_line_gateway::sim::site::NOTIFY_TOKEN;
    let topic = Topic::create("notify", 10).await;
    let tail = format!(
        "[[notify_api.tokens]]\nname = \"ci\"\ntoken = {{ file = \"notify-token\" }}\nto = [\"{USER}\"]\n{}",
        topic.ingress(&topic.api_base(), "10s")
    );
    let w = World::start_with(COMMENT_ACK, &tail, |_| {}).await;
    let call = |text: &str, key: &'static str, value: String| -> Message {
        (
            format!("message={text}").into_bytes(),
            vec![
                ("source", "notify_api".to_owned()),
                (
                    "content_type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("site", String::new()),
                (key, value),
            ],
        )
    };
    topic
        .publish(&[call(
            "digest",
            "authorization_sha256",
            sha256_hex(NOTIFY_TOKEN),
        )])
        .await;
    eventually(20, || w.line.pushes().len() == 1).await;
    topic
        .publish(&[call(
            "forged",
            "authorization_sha256",
            sha256_hex("not-a-token-of-this-gateway-0123456"),
        )])
        .await;
    eventually(20, || acked(&w) == 2).await;
    topic
        .publish(&[call(
            "plain",
            "authorization",
            format!("Bearer {NOTIFY_TOKEN}"),
        )])
        .await;
    eventually(20, || w.line.pushes().len() == 2).await;
    eventually(20, || acked(&w) == 3).await;
    let texts: Vec<Value> = w
        .line
        .pushes()
        .iter()
        .map(|p| p["messages"][0]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("digest"), json!("plain")]);
    assert_eq!(
        w.gateway().metrics.pubsub.refused.load(Ordering::Relaxed),
        1
    );
}

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
    let message = (
        hint.to_string().into_bytes(),
        vec![
            ("source", "kintone".to_owned()),
            ("kintone_token", HOOK_TOKEN.to_owned()),
            ("site", String::new()),
        ],
    );
    topic.publish(&[message]).await;

    eventually(20, || w.line.pushes().len() == 1).await;
    let push: &Value = &w.line.pushes()[0];
    assert_eq!(push["to"], USER);
    assert!(push.to_string().contains("ack:v1::1:5:"));
    eventually(10, || acked(&w) == 1).await;
    assert_eq!(
        w.gateway().metrics.kintone_webhooks.load(Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn postbacks_published_while_the_gateway_is_off_are_each_written_once() {
    const N: u64 = 50;
    let (mut w, topic) = world("offline").await;
    let store = w.store();
    for id in 1..=N {
        w.kintone.set_record(100 + id, 3, "Needs approval");
        let record = i64::try_from(100 + id).unwrap();
        store
            .seed_notification_to(&format!("off{id}"), record, "", now_ms(), &[USER])
            .await
            .unwrap();
    }
    w.stop().await;
    let mut messages = Vec::new();
    for id in 1..=N {
        let tap = w
            .line
            .postback_event(USER, &format!("ack:v1::1:{}:off{id}", 100 + id));
        let (body, sig) = w.line.webhook(&[tap]);
        messages.push(line_message(&body, &sig, ""));
    }
    topic.publish(&messages).await;

    w.boot().await;
    until(60, "every message acknowledged", || async {
        acked(&w) >= N
    })
    .await;
    inbox_drained(&w).await;
    eventually(30, || w.line.reply_calls() == N as usize).await;
    let comments = w.kintone.comment_texts();
    assert_eq!(comments.len(), N as usize, "each written once");
    let mut refs: Vec<&String> = comments.iter().collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), N as usize, "no comment twice");
    assert_eq!(acks_eventually(&w, N as usize).await.len(), N as usize);
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM inbox").await, N as i64);
}

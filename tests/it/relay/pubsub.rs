//! The relay in pubsub mode under the functions framework, publishing to the
//! real emulator; gateways pull their subscriptions. LINE and kintone talk
//! only to the relay: nothing reaches a board but through Pub/Sub.

use std::sync::atomic::Ordering;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::site::HOOK_TOKEN;
use serde_json::json;

use super::{spawn_relay, Relay};
use crate::pubsub::emulator::{Topic, PROJECT};
use crate::world::{acks_eventually, baseline, eventually, rows, until, World, COMMENT_ACK, USER};

/// The relay publishing to `topic`; `known` is `RELAY_SITES_KNOWN` (empty:
/// unset, every event for the default, empty site).
async fn relay_to(topic: &Topic, known: &str) -> Relay {
    let mut env = vec![
        ("RELAY_MODE", "pubsub".to_owned()),
        (
            "RELAY_PUBSUB_TOPIC",
            format!("projects/{PROJECT}/topics/{}", topic.topic),
        ),
        ("PUBSUB_EMULATOR_HOST", topic.host.clone()),
    ];
    if !known.is_empty() {
        env.push(("RELAY_SITES_KNOWN", known.to_owned()));
        env.push(("RELAY_DEFAULT_SITE", "main".to_owned()));
    }
    spawn_relay(&env).await
}

/// A gateway with site key `key` pulling `topic`'s subscription, with the
/// notification `abc123` on record 5 sent to [`USER`].
async fn board(key: &str, topic: &Topic) -> World {
    let tail = topic.ingress(&topic.api_base(), "10s");
    let key = key.to_owned();
    let w = World::start_tuned(
        |s| s.key = key,
        COMMENT_ACK,
        &tail,
        |k| {
            k.set_record(5, 3, "Needs approval");
        },
    )
    .await;
    w.store()
        .seed_notification_to("abc123", 5, "", now_ms(), &[USER])
        .await
        .expect("seeding the notification");
    w
}

fn pubsub(w: &World) -> &kintone_line_gateway::metrics::PubsubMetrics {
    &w.gateway().metrics.pubsub
}

#[tokio::test]
#[ignore = "needs relay/node_modules: .ci/run runs it after npm ci"]
async fn a_postback_through_the_relay_and_pubsub_is_written_back_and_a_tampered_one_refused() {
    let topic = Topic::create("relay-line", 10).await;
    let w = board("", &topic).await;
    let relay = relay_to(&topic, "").await;
    let line_url = format!("{}/line", relay.url);

    // Emoji and escapes: any re-serialisation on the way breaks the signature.
    let mut tap = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    tap["postback"]["params"] = json!({"note": "屋根 😀 \u{2028} \"quoted\""});
    let (status, body) = w
        .line
        .deliver(&line_url, std::slice::from_ref(&tap))
        .await
        .expect("relay reachable");
    assert_eq!(status, 200, "published: {body}");
    eventually(20, || w.line.replies().len() == 1).await;
    assert_eq!(w.line.replies()[0]["replyToken"], tap["replyToken"]);
    assert_eq!(
        w.line.replies()[0]["messages"][0]["text"],
        "✓ Recorded — #5"
    );
    assert_eq!(w.kintone.comment_texts().len(), 1);
    assert_eq!(acks_eventually(&w, 1).await.len(), 1);

    // One byte changed after LINE signed: the relay cannot tell (it holds
    // no secret) and publishes; the board refuses it and acknowledges it.
    let other = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (body, signature) = w.line.webhook(std::slice::from_ref(&other));
    let tampered = body.replacen("\"active\"", "\"activf\"", 1);
    assert_ne!(tampered, body);
    let resp = reqwest::Client::new()
        .post(&line_url)
        .header("content-type", "application/json")
        .header("x-line-signature", &signature)
        .body(tampered)
        .send()
        .await
        .expect("relay reachable");
    assert_eq!(resp.status().as_u16(), 200);
    until(
        20,
        "the tampered message refused and acknowledged",
        || async {
            pubsub(&w).refused.load(Ordering::Relaxed) == 1
                && pubsub(&w).acked.load(Ordering::Relaxed) == 2
        },
    )
    .await;
    let id = other["webhookEventId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        w.store().inbox_get(&id).await.expect("read").is_none(),
        "never stored"
    );
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM inbox").await, 1);
    assert_eq!(w.kintone.comment_texts().len(), 1, "nothing more written");
    eventually(5, || w.line.reply_calls() >= 1).await;
    assert_eq!(w.line.reply_calls(), 1);
    assert_eq!(pubsub(&w).nacked.load(Ordering::Relaxed), 0);
}

#[tokio::test]
#[ignore = "needs relay/node_modules: .ci/run runs it after npm ci"]
async fn a_kintone_webhook_through_the_relay_and_pubsub_becomes_a_push() {
    let topic = Topic::create("relay-kintone", 10).await;
    let app = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";
    let tail = format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n\n[notify]\ndebounce = \"0s\"\n{}",
        topic.ingress(&topic.api_base(), "10s")
    );
    let w = World::start_with(app, &tail, |k| k.set_record(5, 1, "Open")).await;
    // kintone's webhooks go to the relay, never to the board.
    let relay = relay_to(&topic, "").await;
    w.kintone
        .set_webhook(Some(format!("{}/kintone/{HOOK_TOKEN}", relay.url)));
    baseline(&w).await;
    w.kintone.set_record(5, 3, "Needs approval");
    let hint = json!({"id": "hint-1", "type": "UPDATE_STATUS", "app": {"id": "1", "name": "Repairs"},
        "record": w.kintone.record(5).unwrap(), "recordTitle": "Fix the roof", "url": ""});
    let resp = reqwest::Client::new()
        .post(format!("{}/kintone/{HOOK_TOKEN}", relay.url))
        .json(&hint)
        .send()
        .await
        .expect("relay reachable");
    assert_eq!(resp.status().as_u16(), 200);

    eventually(20, || w.line.pushes().len() == 1).await;
    assert_eq!(w.line.pushes()[0]["to"], USER);
    assert!(w.line.pushes()[0].to_string().contains("ack:v1::1:5:"));
    until(10, "the message acknowledged", || async {
        pubsub(&w).acked.load(Ordering::Relaxed) >= 1
    })
    .await;
    let webhooks = w.gateway().metrics.kintone_webhooks.load(Ordering::Relaxed);
    assert!(
        webhooks >= 1,
        "taken in as a webhook, not found by the poll"
    );
    assert_eq!(w.line.pushes().len(), 1, "pushed once");
}

#[tokio::test]
#[ignore = "needs relay/node_modules: .ci/run runs it after npm ci"]
async fn two_sites_on_one_topic_each_act_only_on_their_own_postback() {
    let topic = Topic::create("relay-sites", 10).await;
    let osaka_sub = topic.subscribe_another("osaka").await;
    let main = board("main", &topic).await;
    let osaka = board("osaka", &osaka_sub).await;
    let relay = relay_to(&topic, "main,osaka").await;
    let line_url = format!("{}/line", relay.url);

    // Each office's staff taps its own card; both stores hold `abc123` on
    // record 5, so acting on the other's tap would write a second comment.
    let main_tap = main.line.postback_event(USER, "ack:v1:main:1:5:abc123");
    let osaka_tap = osaka.line.postback_event(USER, "ack:v1:osaka:1:5:abc123");
    for (w, tap) in [(&main, &main_tap), (&osaka, &osaka_tap)] {
        let (status, body) = w
            .line
            .deliver(&line_url, std::slice::from_ref(tap))
            .await
            .expect("relay reachable");
        assert_eq!(status, 200, "{body}");
    }
    for (w, tap) in [(&main, &main_tap), (&osaka, &osaka_tap)] {
        // Both messages reach both subscriptions: one handled, one skipped.
        until(20, "both messages acknowledged", || async {
            pubsub(w).acked.load(Ordering::Relaxed) == 2
        })
        .await;
        eventually(10, || w.line.replies().len() == 1).await;
        assert_eq!(pubsub(w).foreign_site.load(Ordering::Relaxed), 1);
        assert_eq!(w.line.replies()[0]["replyToken"], tap["replyToken"]);
        assert_eq!(
            rows(w, "SELECT COUNT(*) FROM inbox").await,
            1,
            "only its own stored"
        );
        assert_eq!(w.kintone.comment_texts().len(), 1);
        assert_eq!(acks_eventually(w, 1).await.len(), 1);
    }
}

/// A LINE Notify call to the relay in pubsub mode: published with its
/// bearer token, pulled by the board, which checks the token and pushes; a
/// wrong token is refused on the board (the relay can only say "queued").
#[tokio::test]
#[ignore = "needs relay/node_modules: .ci/run runs it after npm ci"]
async fn a_line_notify_call_through_the_relay_and_pubsub_is_pushed_and_a_wrong_token_refused() {
    use kintone_line_gateway::sim::site::NOTIFY_TOKEN;
    let topic = Topic::create("relay-notify", 10).await;
    let tail = format!(
        "[[notify_api.tokens]]\nname = \"ci\"\ntoken = {{ file = \"notify-token\" }}\nto = [\"{USER}\"]\n{}",
        topic.ingress(&topic.api_base(), "10s")
    );
    let w = World::start_with(COMMENT_ACK, &tail, |_| {}).await;
    let relay = relay_to(&topic, "").await;
    let post = |token: &'static str| {
        let url = format!("{}/api/notify", relay.url);
        async move {
            let resp = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("message=%E3%83%93%E3%83%AB%E3%83%89%E5%A4%B1%E6%95%97")
                .send()
                .await
                .expect("relay reachable");
            (
                resp.status().as_u16(),
                resp.text().await.unwrap_or_default(),
            )
        }
    };
    let (status, body) = post(NOTIFY_TOKEN).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with(r#"{"status":200,"message":"queued"#),
        "{body}"
    );
    eventually(20, || w.line.pushes().len() == 1).await;
    assert_eq!(
        w.line.pushes()[0]["messages"],
        json!([{"type": "text", "text": "ビルド失敗"}])
    );

    assert_eq!(post("not-a-token-of-this-gateway-0123456").await.0, 200);
    until(20, "the wrong token refused and acknowledged", || async {
        pubsub(&w).refused.load(Ordering::Relaxed) == 1
            && pubsub(&w).acked.load(Ordering::Relaxed) == 2
    })
    .await;
    assert_eq!(w.line.pushes().len(), 1, "nothing sent for the wrong token");
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM pulled_seen").await, 1);
}

//! `[ingress] mode = "pubsub"` alone: webhooks come only from the
//! subscription. The HTTP server still answers `/healthz` and `/metrics`
//! but has no webhook routes, so nothing posted to the board is taken in.

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::site::HOOK_TOKEN;

use super::emulator::Topic;
use super::line_message;
use crate::world::{eventually, inbox_drained, rows, World, COMMENT_ACK, USER};

#[tokio::test]
async fn pubsub_alone_keeps_health_and_metrics_but_refuses_posted_webhooks() {
    let topic = Topic::create("only", 10).await;
    let tail = topic
        .ingress(&topic.api_base(), "10s")
        .replace("mode = [\"http\", \"pubsub\"]", "mode = \"pubsub\"");
    assert!(tail.contains("mode = \"pubsub\"\n"), "{tail}");
    let app = format!("webhook_token = {{ file = \"hook-token\" }}\n{COMMENT_ACK}");
    let w = World::start_with(&app, &tail, |k| k.set_record(5, 3, "Needs approval")).await;
    w.store()
        .seed_notification_to("abc123", 5, "Invoice", now_ms(), &[USER])
        .await
        .expect("seeding the notification");

    // Posted to the board, correctly signed: there is no such route.
    let posted = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (status, body) = w.deliver(std::slice::from_ref(&posted)).await;
    assert_eq!(status, 404, "{body}");
    let http = reqwest::Client::new();
    let kintone = http
        .post(format!(
            "http://{}/kintone/webhook/{HOOK_TOKEN}",
            w.gateway().addr()
        ))
        .body("{}")
        .send()
        .await
        .expect("gateway reachable");
    assert_eq!(kintone.status().as_u16(), 404);
    let get = |path: &'static str| {
        let url = format!("http://{}{path}", w.gateway().addr());
        let http = http.clone();
        async move { http.get(url).send().await.expect("gateway reachable") }
    };
    assert_eq!(get("/healthz").await.status().as_u16(), 200);
    let metrics = get("/metrics").await;
    assert_eq!(metrics.status().as_u16(), 200);
    assert!(metrics
        .text()
        .await
        .unwrap_or_default()
        .contains("klg_pubsub_"));

    // The same tap through the subscription is handled: the sign the
    // gateway was at work all along.
    let pulled = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (body, sig) = w.line.webhook(std::slice::from_ref(&pulled));
    topic.publish(&[line_message(&body, &sig, "")]).await;
    eventually(20, || w.line.replies().len() == 1).await;
    inbox_drained(&w).await;
    assert_eq!(w.line.replies()[0]["replyToken"], pulled["replyToken"]);
    assert_eq!(
        rows(&w, "SELECT COUNT(*) FROM inbox").await,
        1,
        "only the pulled one"
    );
    let id = posted["webhookEventId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(w.store().inbox_get(&id).await.expect("read").is_none());
    assert_eq!(w.kintone.comment_texts().len(), 1);
}

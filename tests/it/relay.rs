//! The Cloud Function relay in front of the real gateway: the relay runs under
//! the functions framework (`relay/node_modules`, installed by `npm ci`) on
//! loopback, the gateway against the fakes. A LINE-signed postback sent to the
//! relay ends as a kintone comment and a Reply; one tampered byte ends as the
//! device's 401 with nothing stored.
//!
//! In pubsub mode (`pubsub.rs`) the relay publishes to the real emulator and
//! gateways pull it: the same outcomes, and two sites on one topic each act
//! only on their own.
//!
//! These need Node and `relay/node_modules`, so plain `cargo test` skips them;
//! `.ci/run` runs them after `npm ci`:
//! `cargo test --all-features --test it relay:: -- --ignored`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::site::RELAY_TOKEN;
use serde_json::json;

use crate::world::{eventually, World, COMMENT_ACK, USER};

struct Relay {
    child: Child,
    url: String,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn relay_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("relay")
}

mod pubsub;

/// Starts `functions-framework --target=relay` in front of `device`.
async fn start_relay(device: &str, token: Option<&str>) -> Relay {
    let mut env = vec![
        ("RELAY_SITES", format!("main={device}")),
        ("RELAY_DEFAULT_SITE", "main".to_owned()),
    ];
    if let Some(t) = token {
        env.push(("RELAY_DEVICE_TOKEN", t.to_owned()));
    }
    spawn_relay(&env).await
}

/// Starts `functions-framework --target=relay` with these settings, on a
/// free port. The port is free when picked, but another process of the run
/// (a gateway binding port 0, another relay) may take it before node binds
/// it: node then exits, so a start counts only when the relay itself
/// answers there (`GET /line` is its 405 "use POST"), and is tried again on
/// another port otherwise.
async fn spawn_relay(env: &[(&str, String)]) -> Relay {
    let bin = relay_dir().join("node_modules/.bin/functions-framework");
    assert!(
        bin.exists(),
        "{} is missing: run `npm ci` in relay/",
        bin.display()
    );
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut cmd = Command::new(&bin);
        cmd.args(["--target=relay", &format!("--port={port}")])
            .current_dir(relay_dir())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut relay = Relay {
            child: cmd.spawn().expect("the functions framework starts"),
            url: format!("http://127.0.0.1:{port}"),
        };
        if relay_answers(&mut relay).await {
            return relay;
        }
    }
    panic!("the relay did not start listening");
}

/// Whether the relay started and answers on its port (false once it exited).
async fn relay_answers(relay: &mut Relay) -> bool {
    let http = reqwest::Client::new();
    for _ in 0..500 {
        if relay.child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if let Ok(resp) = http.get(format!("{}/line", relay.url)).send().await {
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            if status == 405 && body.contains("use POST") {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
#[ignore = "needs relay/node_modules: .ci/run runs it after npm ci"]
async fn a_postback_through_the_relay_is_written_back_and_replied() {
    let w = World::start_site(
        "relay_token = { file = \"relay-token\" }".into(),
        COMMENT_ACK,
        "",
        |k| k.set_record(5, 3, "Needs approval"),
    )
    .await;
    let device = format!("http://{}", w.gateway().addr());
    let relay = start_relay(&device, Some(RELAY_TOKEN)).await;
    let line_url = format!("{}/line", relay.url);
    w.store()
        .seed_notification_to("abc123", 5, "", now_ms(), &[USER])
        .await
        .unwrap();

    // The text carries emoji and escapes: any re-serialisation on the way
    // would break the signature.
    let mut tap = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    tap["postback"]["params"] = json!({"note": "屋根 😀 \u{2028} \"quoted\""});
    let (status, body) = w
        .line
        .deliver(&line_url, std::slice::from_ref(&tap))
        .await
        .expect("relay reachable");
    assert_eq!(status, 200, "{body}");
    eventually(10, || w.line.replies().len() == 1).await;
    assert_eq!(w.kintone.comment_texts().len(), 1);
    assert_eq!(
        w.line.replies()[0]["messages"][0]["text"],
        "✓ Recorded — #5"
    );
}

#[tokio::test]
#[ignore = "needs relay/node_modules: .ci/run runs it after npm ci"]
async fn a_line_notify_call_through_the_relay_is_pushed() {
    use kintone_line_gateway::sim::site::NOTIFY_TOKEN;
    let tail = format!(
        "[[notify_api.tokens]]\nname = \"ci\"\ntoken = {{ file = \"notify-token\" }}\nto = [\"{USER}\"]\n"
    );
    let w = World::start_site(
        "relay_token = { file = \"relay-token\" }".into(),
        COMMENT_ACK,
        &tail,
        |_| {},
    )
    .await;
    let device = format!("http://{}", w.gateway().addr());
    let relay = start_relay(&device, Some(RELAY_TOKEN)).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/notify", relay.url))
        .bearer_auth(NOTIFY_TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("message=%E3%83%93%E3%83%AB%E3%83%89%E5%A4%B1%E6%95%97")
        .send()
        .await
        .expect("relay reachable");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok()),
        Some("999")
    );
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"status":200,"message":"ok"}"#
    );
    eventually(10, || w.line.pushes().len() == 1).await;
    assert_eq!(
        w.line.pushes()[0]["messages"],
        json!([{"type": "text", "text": "ビルド失敗"}])
    );
}

#[tokio::test]
#[ignore = "needs relay/node_modules: .ci/run runs it after npm ci"]
async fn a_tampered_byte_is_refused_by_the_device_and_nothing_is_stored() {
    let w = World::start_site(
        "relay_token = { file = \"relay-token\" }".into(),
        COMMENT_ACK,
        "",
        |k| k.set_record(5, 3, "Needs approval"),
    )
    .await;
    let device = format!("http://{}", w.gateway().addr());
    let relay = start_relay(&device, Some(RELAY_TOKEN)).await;
    let tap = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    let (body, signature) = w.line.webhook(std::slice::from_ref(&tap));
    let tampered = body.replacen("abc123", "abc124", 1);
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/line", relay.url))
        .header("content-type", "application/json")
        .header("x-line-signature", &signature)
        .body(tampered)
        .send()
        .await
        .expect("relay reachable");
    assert_eq!(resp.status().as_u16(), 401, "the device's answer, relayed");

    // A relay without the shared token is refused by the device too.
    let open = start_relay(&device, None).await;
    let resp = http
        .post(format!("{}/line", open.url))
        .header("content-type", "application/json")
        .header("x-line-signature", &signature)
        .body(body)
        .send()
        .await
        .expect("relay reachable");
    assert_eq!(resp.status().as_u16(), 401);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let store = w.store();
    let id = tap["webhookEventId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(store.inbox_get(&id).await.unwrap().is_none());
    assert!(w.kintone.requests().is_empty());
    assert_eq!(w.line.reply_calls(), 0);
}

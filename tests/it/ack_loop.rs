//! The acknowledgement loop end to end: the real gateway on port 0, signed
//! postbacks in, kintone comments and LINE replies out.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use kintone_line_gateway::daemon::Gateway;
use kintone_line_gateway::line::signature::ChannelSecret;
use kintone_line_gateway::secret::Secret;
use kintone_line_gateway::setup::Setup;
use kintone_line_gateway::store::now_ms;
use serde_json::json;

use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const APP_TOKEN: &str = "app-token-1";
const USER: &str = "U1111111111111111111111111111aaaa";

struct World {
    line: FakeLine,
    kintone: FakeKintone,
    dir: tempfile::TempDir,
    gateway: Option<Gateway>,
}

impl World {
    async fn start() -> World {
        let line = FakeLine::start().await.unwrap();
        let kintone = FakeKintone::start(APP_TOKEN).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (n, v) in [("secret", SECRET), ("token", "access"), ("app", APP_TOKEN)] {
            let p = dir.path().join(n);
            std::fs::write(&p, v).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut w = World {
            line,
            kintone,
            dir,
            gateway: None,
        };
        w.boot().await;
        w
    }

    async fn boot(&mut self) {
        let config = format!(
            r#"state_dir = "{state}"
[server]
listen = "127.0.0.1:0"
read_timeout = "2s"
[line]
api_base = "{line}"
channel_secret = {{ file = "secret" }}
access_token = {{ file = "token" }}
timeout = "2s"
[kintone]
base_url = "{kintone}"
timeout = "2s"
[[kintone.apps]]
id = 1
name = "Repairs"
api_token = {{ file = "app" }}
poll = false
[kintone.apps.ack]
method = "comment"
comment = "Acknowledged by {{{{name}}}}"
reply = "✓ Recorded — #{{{{record}}}}"
"#,
            state = self.dir.path().join("state").display(),
            line = self.line.server.base_url(),
            kintone = self.kintone.server.base_url(),
        );
        let path = self.dir.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        let setup = Setup::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.gateway = Some(Gateway::start(setup, listener).await.unwrap());
    }

    fn url(&self) -> String {
        format!(
            "http://{}/line/webhook",
            self.gateway.as_ref().unwrap().addr()
        )
    }

    async fn send(&self, body: &str, signature: Option<String>) -> (u16, String) {
        let mut req = reqwest::Client::new()
            .post(self.url())
            .body(body.to_owned());
        if let Some(s) = signature {
            req = req.header("X-Line-Signature", s);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn signed(&self, body: &str) -> (u16, String) {
        let sig = ChannelSecret::new(Secret::new(SECRET)).sign(body.as_bytes());
        self.send(body, Some(sig)).await
    }
}

fn postback(id: &str, token: &str, ts: i64, redelivery: bool, mode: &str) -> String {
    json!({"destination": "Ubot", "events": [{
        "type": "postback", "mode": mode, "timestamp": ts, "webhookEventId": id,
        "deliveryContext": {"isRedelivery": redelivery},
        "source": {"type": "user", "userId": USER},
        "replyToken": token,
        "postback": {"data": "ack:v1::1:5:abc123"}
    }]})
    .to_string()
}

async fn eventually(secs: u64, mut f: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(
            tokio::time::Instant::now() < end,
            "condition not met in {secs}s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn postback_is_written_back_once_and_replied() {
    let w = World::start().await;
    let body = postback("01EVT1", "tok-1", now_ms(), false, "active");
    let (status, text) = w.signed(&body).await;
    assert_eq!(status, 200, "{text}");
    eventually(5, || w.line.replies().len() == 1).await;
    let comments = w.kintone.comment_texts();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].starts_with("Acknowledged by Taro Yamada"),
        "{comments:?}"
    );
    assert!(comments[0].contains("[ref:01EVT1]"));
    let reply = &w.line.replies()[0];
    assert_eq!(reply["replyToken"], "tok-1");
    assert_eq!(reply["messages"][0]["text"], "✓ Recorded — #5");

    // LINE redelivers the same event: stored once, nothing done twice.
    let again = postback("01EVT1", "tok-1", now_ms(), true, "active");
    let (status, text) = w.signed(&again).await;
    assert_eq!(status, 200);
    assert!(text.contains("\"duplicates\":1"), "{text}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(w.kintone.comment_texts().len(), 1);
    assert_eq!(w.line.reply_calls(), 1);

    let store = &w.gateway.as_ref().unwrap().store;
    let acks = store.acks_since(0).await.unwrap();
    assert_eq!(acks.len(), 1);
    assert_eq!(
        (acks[0].outcome.as_str(), acks[0].reply.as_str()),
        ("written", "replied")
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_stored() {
    let w = World::start().await;
    let body = postback("01BAD", "tok-x", now_ms(), false, "active");
    assert_eq!(w.send(&body, None).await.0, 401);
    let forged = ChannelSecret::new(Secret::new("another-secret")).sign(body.as_bytes());
    assert_eq!(w.send(&body, Some(forged)).await.0, 401);
    // Re-serialised (pretty-printed) body with the original signature.
    let sig = ChannelSecret::new(Secret::new(SECRET)).sign(body.as_bytes());
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&body).unwrap())
            .unwrap();
    assert_eq!(w.send(&pretty, Some(sig)).await.0, 401);
    assert_eq!(w.signed("{not json").await.0, 400);
    assert_eq!(w.signed(&"x".repeat(1024 * 1024 + 1)).await.0, 413);
    assert_eq!(w.signed(r#"{"destination":"U1","events":[]}"#).await.0, 200);
    let store = &w.gateway.as_ref().unwrap().store;
    assert!(store.inbox_get("01BAD").await.unwrap().is_none());
    assert_eq!(store.inbox_pending_count().await.unwrap(), 0);
}

#[tokio::test]
async fn standby_and_unknown_events_are_never_answered() {
    let w = World::start().await;
    let standby = postback("01SB", "tok-sb", now_ms(), false, "standby");
    assert_eq!(w.signed(&standby).await.0, 200);
    let unknown = json!({"destination":"U","events":[{"type":"somethingNew","timestamp":1,"webhookEventId":"01UNK","mode":"active"}]}).to_string();
    assert_eq!(w.signed(&unknown).await.0, 200);
    let store = w.gateway.as_ref().unwrap().store.clone();
    let mut pending = 1;
    for _ in 0..250 {
        pending = store.inbox_pending_count().await.unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pending, 0, "both events were processed");
    assert!(store.inbox_get("01SB").await.unwrap().is_some());
    assert_eq!(w.line.reply_calls(), 0);
}

#[tokio::test]
async fn expired_token_is_not_used_and_fallback_is_recorded() {
    let w = World::start().await;
    let old = now_ms() - 60_000;
    assert_eq!(
        w.signed(&postback("01OLD", "tok-old", old, false, "active"))
            .await
            .0,
        200
    );
    eventually(5, || w.kintone.comment_texts().len() == 1).await;
    let store = w.gateway.as_ref().unwrap().store.clone();
    let mut acks = Vec::new();
    for _ in 0..100 {
        acks = store.acks_since(0).await.unwrap();
        if !acks.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(acks[0].reply, "fallback-none");
    assert_eq!(
        w.line.reply_calls(),
        0,
        "an expired token must never reach the Reply API"
    );
}

#[tokio::test]
async fn kintone_5xx_is_retried_without_a_double_comment() {
    let w = World::start().await;
    w.kintone.state.lock().unwrap().fail_next = 1;
    assert_eq!(
        w.signed(&postback("01RETRY", "tok-r", now_ms(), false, "active"))
            .await
            .0,
        200
    );
    eventually(10, || w.line.replies().len() == 1).await;
    assert_eq!(w.kintone.comment_texts().len(), 1);
}

#[tokio::test]
async fn crash_after_write_back_resumes_without_a_double_comment() {
    let mut w = World::start().await;
    // Simulate a crash between write-back and finishing: stop the gateway the
    // moment the comment lands, then restart on the same store.
    assert_eq!(
        w.signed(&postback("01CRASH", "tok-c", now_ms(), false, "active"))
            .await
            .0,
        200
    );
    eventually(5, || w.kintone.comment_texts().len() == 1).await;
    if let Some(gw) = w.gateway.take() {
        gw.stop().await;
    }
    w.boot().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
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

//! The notification loop end to end: a kintone webhook for a status change
//! becomes one LINE push with an Acknowledge button, exactly once.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use kintone_line_gateway::daemon::Gateway;
use kintone_line_gateway::setup::Setup;
use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use serde_json::json;

const APP_TOKEN: &str = "app-token-1";
const HOOK: &str = "hook-token-abcdefghijklmnopqrstuvwxyz";
const USER: &str = "U1111111111111111111111111111aaaa";

async fn start(line: &FakeLine, kintone: &FakeKintone, dir: &std::path::Path) -> Gateway {
    for (n, v) in [
        ("secret", "s3cret"),
        ("token", "access"),
        ("app", APP_TOKEN),
        ("hook", HOOK),
    ] {
        let p = dir.join(n);
        std::fs::write(&p, v).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let config = format!(
        r#"state_dir = "{state}"
[server]
listen = "127.0.0.1:0"
[line]
api_base = "{line}"
channel_secret = {{ file = "secret" }}
access_token = {{ file = "token" }}
[kintone]
base_url = "{kintone}"
[[kintone.apps]]
id = 1
name = "Repairs"
api_token = {{ file = "app" }}
webhook_token = {{ file = "hook" }}
poll_interval = "60s"
title_field = "Title"
[[rules]]
app = 1
to = ["Needs approval"]
recipients = ["{USER}"]
[notify]
coalesce_window = "1s"
"#,
        state = dir.join("state").display(),
        line = line.server.base_url(),
        kintone = kintone.server.base_url(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, config).unwrap();
    let setup = Setup::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Gateway::start(setup, listener).await.unwrap()
}

async fn webhook(gw: &Gateway, token: &str, id: &str) -> u16 {
    let body = json!({"id": id, "type": "UPDATE_STATUS", "app": {"id": "1", "name": "Repairs"},
        "record": {"$id": {"type": "__ID__", "value": "5"}}, "recordTitle": "Fix the roof", "url": "x"});
    reqwest::Client::new()
        .post(format!("http://{}/kintone/webhook/{token}", gw.addr()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn status_change_becomes_one_push_with_an_acknowledge_button() {
    let line = FakeLine::start().await.unwrap();
    let kintone = FakeKintone::start(APP_TOKEN).await.unwrap();
    kintone.set_record(5, 1, "Open");
    let dir = tempfile::tempdir().unwrap();
    let gw = start(&line, &kintone, dir.path()).await;
    // The first poll sets the baseline: the existing "Open" record notifies no one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(line.pushes().is_empty(), "baseline must not notify");

    assert_eq!(
        webhook(&gw, "wrong-token-wrong-token-wrong", "w0").await,
        404
    );
    kintone.set_record(5, 2, "Needs approval");
    assert_eq!(webhook(&gw, HOOK, "w1").await, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while line.pushes().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no push arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let push = &line.pushes()[0];
    assert_eq!(push["to"], USER);
    let data = push.to_string();
    assert!(data.contains("ack:v1::1:5:"), "{data}");
    assert!(
        data.contains("Needs approval") && data.contains("Fix the roof"),
        "{data}"
    );

    // The same webhook again, and a new webhook for the same revision: no second push.
    assert_eq!(webhook(&gw, HOOK, "w1").await, 200);
    assert_eq!(webhook(&gw, HOOK, "w2").await, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(line.pushes().len(), 1);
    gw.stop().await;
}

//! `POST /api/notify` and `GET /api/status` end to end: a LINE Notify
//! request (the same bytes a tool sent to notify-api.line.me) becomes a push
//! through the outbox, and every answer has LINE Notify's exact shape.

use kintone_line_gateway::sim::site::NOTIFY_TOKEN;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::world::{eventually, rows, until, World, COMMENT_ACK, USER};

const GROUP: &str = "C3333333333333333333333333333cccc";

/// One token to a user and a group; one whose staff member is not linked.
fn tail(per_hour: u32) -> String {
    format!(
        r#"
[[notify_api.tokens]]
name = "monitor"
token = {{ file = "notify-token" }}
to = ["{USER}", "{GROUP}"]
per_hour = {per_hour}
"#
    )
}

struct Answer {
    status: u16,
    body: String,
    headers: reqwest::header::HeaderMap,
}

async fn post(w: &World, token: Option<&str>, form: &str) -> Answer {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}/api/notify", w.gateway().addr()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    answer(req.send().await.expect("gateway reachable")).await
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    Answer {
        status,
        body,
        headers,
    }
}

fn header(a: &Answer, name: &str) -> String {
    a.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The pushes LINE accepted, as (endpoint, to, messages).
fn pushed(w: &World) -> Vec<(&'static str, Value, Value)> {
    w.line
        .accepted()
        .into_iter()
        .map(|p| (p.endpoint, p.body["to"].clone(), p.body["messages"].clone()))
        .collect()
}

fn spec_ok(w: &World) {
    let spec = crate::openapi::line_messaging_api();
    for p in w.line.accepted() {
        let schema = if p.endpoint == "push" {
            "PushMessageRequest"
        } else {
            "MulticastRequest"
        };
        if let Err(e) = spec.validate(schema, &p.body) {
            panic!("{} does not match the LINE spec: {e:#?}", p.body);
        }
    }
}

#[tokio::test]
async fn a_good_token_pushes_text_sticker_and_image_like_line_notify() {
    let w = World::start_with(COMMENT_ACK, &tail(1000), |_| {}).await;
    let a = post(
        &w,
        Some(NOTIFY_TOKEN),
        "message=%E7%82%B9%E6%A4%9C%E5%AE%8C%E4%BA%86",
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (200, r#"{"status":200,"message":"ok"}"#)
    );
    assert_eq!(header(&a, "content-type"), "application/json");
    assert_eq!(header(&a, "x-ratelimit-limit"), "1000");
    assert_eq!(header(&a, "x-ratelimit-remaining"), "999");
    let reset: i64 = header(&a, "x-ratelimit-reset").parse().expect("reset");
    assert_eq!(reset % 3600, 0, "resets on the hour");
    eventually(10, || w.line.accepted().len() == 2).await;
    let text = serde_json::json!([{"type": "text", "text": "点検完了"}]);
    let mut got = pushed(&w);
    got.sort_by_key(|p| p.1.to_string());
    // One user alone is a push, not a multicast (`send.rs`).
    assert_eq!(
        got,
        [
            ("push", serde_json::json!(GROUP), text.clone()),
            ("push", serde_json::json!(USER), text),
        ]
    );

    let form = "message=%E5%9C%A8%E5%BA%AB&stickerPackageId=446&stickerId=1988\
                &imageThumbnail=https%3A%2F%2Fexample.com%2Ft.jpg\
                &imageFullsize=https%3A%2F%2Fexample.com%2Ff.jpg";
    let a = post(&w, Some(NOTIFY_TOKEN), form).await;
    assert_eq!(a.status, 200, "{}", a.body);
    eventually(10, || w.line.accepted().len() == 4).await;
    let last = &w.line.accepted()[3].body["messages"];
    assert_eq!(
        last,
        &serde_json::json!([
            {"type": "text", "text": "在庫"},
            {"type": "image", "originalContentUrl": "https://example.com/f.jpg",
             "previewImageUrl": "https://example.com/t.jpg"},
            {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        ])
    );
    spec_ok(&w);
    let keys = w.line.push_attempt_keys();
    assert!(
        keys.iter().all(|k| uuid::Uuid::parse_str(k).is_ok()),
        "{keys:?}"
    );
    // LINE took them; the gateway marks each sent once it has LINE's answer.
    until(10, "four requests marked sent", || async {
        rows(&w, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'").await == 4
    })
    .await;
}

#[tokio::test]
async fn bad_tokens_and_bad_forms_get_line_notifys_answers() {
    let w = World::start_with(COMMENT_ACK, &tail(1000), |_| {}).await;
    let invalid = r#"{"status":401,"message":"Invalid access token"}"#;
    for token in [None, Some("wrong-token-0123456789abcdefghij")] {
        let a = post(&w, token, "message=hi").await;
        assert_eq!((a.status, a.body.as_str()), (401, invalid));
    }
    let cases = [
        ("", "message: must not be empty"),
        (
            "message=a&stickerId=1",
            "You should pass stickerPackageId parameter if you pass stickerId.",
        ),
        (
            "message=a&imageThumbnail=https%3A%2F%2Fx%2Ft.jpg",
            "You should pass imageFullsize parameter if you pass imageThumbnail.",
        ),
    ];
    for (form, message) in cases {
        let a = post(&w, Some(NOTIFY_TOKEN), form).await;
        let want = format!(r#"{{"status":400,"message":"{message}"}}"#);
        assert_eq!((a.status, a.body), (400, want));
    }
    // The refusals were counted by reason, and nothing reached LINE.
    let metrics = reqwest::get(format!("http://{}/metrics", w.gateway().addr()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("klg_auth_refused_total{reason=\"notify_token\"} 2\n"),
        "{metrics}"
    );
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM outbox").await, 0);
    assert!(w.line.accepted().is_empty());

    let status = |token: &'static str| {
        let url = format!("http://{}/api/status", w.gateway().addr());
        async move {
            answer(
                reqwest::Client::new()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("reachable"),
            )
            .await
        }
    };
    let a = status(NOTIFY_TOKEN).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            200,
            r#"{"status":200,"message":"ok","targetType":"GROUP","target":"monitor"}"#
        )
    );
    let a = status("wrong-token-0123456789abcdefghij").await;
    assert_eq!((a.status, a.body.as_str()), (401, invalid));
}

#[tokio::test]
async fn no_bearer_is_refused_before_the_body_is_read() {
    let w = World::start_with(COMMENT_ACK, &tail(1000), |_| {}).await;
    // A declared megabyte that never comes: reading it would end in a 408
    // after the read timeout; the refusal comes first, without it.
    let mut s = tokio::net::TcpStream::connect(w.gateway().addr())
        .await
        .expect("connect");
    let head = "POST /api/notify HTTP/1.1\r\nHost: g\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n";
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 1024];
    let n = s.read(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(
        text.ends_with(r#"{"status":401,"message":"Invalid access token"}"#),
        "{text}"
    );
}

#[tokio::test]
async fn a_token_past_its_hourly_limit_gets_429_and_nothing_is_queued() {
    let w = World::start_with(COMMENT_ACK, &tail(2), |_| {}).await;
    for left in ["1", "0"] {
        let a = post(&w, Some(NOTIFY_TOKEN), "message=x").await;
        assert_eq!(
            (a.status, header(&a, "x-ratelimit-remaining")),
            (200, left.to_owned())
        );
    }
    let a = post(&w, Some(NOTIFY_TOKEN), "message=x").await;
    assert_eq!(
        (
            a.status,
            a.body.as_str(),
            header(&a, "x-ratelimit-remaining")
        ),
        (
            429,
            r#"{"status":429,"message":"Too Many Requests"}"#,
            "0".to_owned()
        )
    );
    // Two messages, each a multicast and a group push: four requests.
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM outbox").await, 4);
}

#[tokio::test]
async fn a_token_whose_recipients_reach_nobody_is_told_so() {
    let tail = r#"
[[notify_api.tokens]]
name = "unlinked"
token = { file = "notify-token" }
to = ["Hanako Sato"]
"#;
    let w = World::start_with(COMMENT_ACK, tail, |_| {}).await;
    let a = post(&w, Some(NOTIFY_TOKEN), "message=x").await;
    assert_eq!(a.status, 400);
    let body: Value = serde_json::from_str(&a.body).expect("json");
    assert_eq!(body["status"], 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("staff invite"),
        "{}",
        a.body
    );
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM outbox").await, 0);
}

/// Runs `send` beside the daemon (off the runtime's threads, which the
/// daemon needs meanwhile).
async fn send(w: &World, args: &[&str]) -> (Option<i32>, String) {
    let path = w.config_path();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || {
        crate::daemon::gateway()
            .arg("send")
            .arg("--config")
            .arg(path)
            .args(args)
            .output()
            .expect("send runs")
    })
    .await
    .expect("joined");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[tokio::test]
async fn send_queues_through_the_running_daemons_outbox() {
    let w = World::start_with(COMMENT_ACK, "", |_| {}).await;
    // The bot joins a group; LINE's summary names it "Field team".
    let join = w.line.join_event(GROUP);
    assert_eq!(w.deliver(&[join]).await.0, 200);
    crate::world::until(10, "the group recorded", || async {
        rows(&w, "SELECT COUNT(*) FROM groups WHERE name = 'Field team'").await == 1
    })
    .await;
    let (code, out) = send(
        &w,
        &[
            "--to",
            "group:Field team",
            "--to",
            USER,
            "倉庫の鍵を返却してください",
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("2 件の宛先に、2 件のプッシュとして送信待ちに入れました"),
        "{out}"
    );
    eventually(10, || w.line.accepted().len() == 2).await;
    let mut to: Vec<String> = w
        .line
        .pushes()
        .iter()
        .map(|p| p["to"].to_string())
        .collect();
    to.sort();
    assert_eq!(to, [format!("\"{GROUP}\""), format!("\"{USER}\"")]);
    assert!(w.line.pushes().iter().all(|p| p["messages"]
        == serde_json::json!([{"type": "text", "text": "倉庫の鍵を返却してください"}])));

    let (code, out) = send(&w, &["--to", "U123", "x"]).await;
    assert_eq!(code, Some(64), "{out}");
    assert!(
        out.contains("--to[0]：\"U123\" は LINE の ID ではありません"),
        "{out}"
    );
    let (code, out) = send(&w, &["--to", "Hanako Sato", "x"]).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("送り先がいません"), "{out}");
}

#[tokio::test]
async fn a_store_deleted_while_running_turns_notify_to_503() {
    let w = World::start_with(COMMENT_ACK, &tail(100), |_| {}).await;
    assert_eq!(
        post(&w, Some(NOTIFY_TOKEN), "message=before").await.status,
        200
    );
    let state = w.dir.path().join("state");
    for f in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
        std::fs::remove_file(state.join(f)).expect("store file");
    }
    // Within a second of the last look a 200 may still go into the deleted
    // file; then never again, as for a webhook.
    until(10, "the caller is told to send it again (503)", || async {
        post(&w, Some(NOTIFY_TOKEN), "message=after").await.status == 503
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            post(&w, Some(NOTIFY_TOKEN), "message=after").await.status,
            503
        );
    }
}

/// A token with a Flex template: the text is shown in the bubble
/// (`{{message}}`, `{{name}}`), the alt text is the text; stickers stay.
#[tokio::test]
async fn a_token_with_a_template_pushes_its_text_in_a_flex_bubble() {
    const CARD: &str = r##"{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[
        {"type":"text","text":"{{name}}","size":"sm","color":"#888888"},
        {"type":"text","text":"{{message}}","wrap":true,"weight":"bold"}]}}"##;
    let tail = format!(
        "[[notify_api.tokens]]\nname = \"監視\"\ntoken = {{ file = \"notify-token\" }}\nto = [\"{USER}\"]\ntemplate = \"card.json\"\n"
    );
    let w = World::start_tuned(
        |s| s.secrets = vec![("card.json".into(), CARD.into())],
        COMMENT_ACK,
        &tail,
        |_| {},
    )
    .await;
    let form = "message=%E3%83%87%E3%82%A3%E3%82%B9%E3%82%AF%E6%BA%80%E6%9D%AF&stickerPackageId=446&stickerId=1988";
    let a = post(&w, Some(NOTIFY_TOKEN), form).await;
    assert_eq!(a.status, 200, "{}", a.body);
    eventually(10, || w.line.accepted().len() == 1).await;
    let messages = &w.line.accepted()[0].body["messages"];
    assert_eq!(messages[0]["type"], "flex");
    assert_eq!(messages[0]["altText"], "ディスク満杯");
    let texts = &messages[0]["contents"]["body"]["contents"];
    assert_eq!(texts[0]["text"], "監視");
    assert_eq!(texts[1]["text"], "ディスク満杯");
    assert_eq!(
        messages[1],
        serde_json::json!({"type": "sticker", "packageId": "446", "stickerId": "1988"})
    );
    spec_ok(&w);
}

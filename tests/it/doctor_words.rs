//! `doctor` in plain words: a refused connection is a network problem (never
//! "check the token"), and LINE's own webhook test says whether LINE reaches
//! the board — not set, switched off, unreachable, or a wrong secret. The
//! sites speak English, the words quoted here.

use kintone_line_gateway::sim::fakes::FakeLine;
use kintone_line_gateway::sim::site::Site;
use kintone_line_gateway::text::Language;

use crate::daemon::free_port;
use crate::doctor::doctor;
use crate::world::{World, COMMENT_ACK};

async fn run_doctor(config: std::path::PathBuf) -> (Option<i32>, String) {
    tokio::task::spawn_blocking(move || doctor(&config))
        .await
        .unwrap()
}

/// The line of check `name`.
fn line_of<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(&format!("] {name}: ")))
        .unwrap_or_else(|| panic!("no {name} line:\n{text}"))
}

#[tokio::test]
async fn refused_connections_are_network_problems_not_tokens() {
    kintone_line_gateway::outbound::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let (line, kintone) = (free_port(), free_port());
    let site = Site {
        line: format!("http://{line}"),
        channel_secret: "a-channel-secret".into(),
        kintone: format!("http://{kintone}"),
        app: COMMENT_ACK.into(),
        language: Language::En,
        ..Site::default()
    };
    let (code, text) = run_doctor(site.write(dir.path()).unwrap()).await;
    assert_eq!(code, Some(1), "{text}");
    let l = line_of(&text, "LINE");
    assert!(
        l.starts_with("[FAIL]")
            && l.contains(&format!(
                "cannot connect to {line}: connection refused — check the network or proxy"
            )),
        "{l}"
    );
    let k = line_of(&text, "kintone app 1 \"Repairs\"");
    assert!(
        k.contains(&format!(
            "cannot connect to {kintone}: connection refused — check the network or proxy"
        )),
        "{k}"
    );
    for l in [l, k] {
        assert!(!l.contains("token") && !l.contains("None"), "{l}");
    }
    assert!(
        !text.contains("LINE webhook:"),
        "no webhook test without LINE:\n{text}"
    );
}

#[tokio::test]
async fn the_webhook_check_says_whether_line_reaches_the_board() {
    let w = World::start_in(Language::En, COMMENT_ACK, "", |_| {}).await;
    let config = w.config_path();

    let (_, text) = run_doctor(config.clone()).await;
    let l = line_of(&text, "LINE webhook");
    assert!(
        l.starts_with("[FAIL]") && l.contains("no webhook URL is set"),
        "{l}"
    );

    w.line.set_webhook_endpoint(&w.line_webhook_url(), false);
    let (_, text) = run_doctor(config.clone()).await;
    let l = line_of(&text, "LINE webhook");
    assert!(l.contains("\"Use webhook\" is off"), "{l}");

    let gone = format!("http://{}/line/webhook", free_port());
    w.line.set_webhook_endpoint(&gone, true);
    let (_, text) = run_doctor(config.clone()).await;
    let l = line_of(&text, "LINE webhook");
    assert!(
        l.contains("no answer, COULD_NOT_CONNECT (connection refused)")
            && l.contains("LINE cannot reach that URL"),
        "{l}"
    );

    w.line.set_webhook_endpoint(&w.line_webhook_url(), true);
    let (code, text) = run_doctor(config.clone()).await;
    let l = line_of(&text, "LINE webhook");
    assert!(
        l.starts_with("[ok  ]") && l.contains("LINE → board works"),
        "{l}"
    );
    assert_eq!(code, Some(0), "{text}");
}

#[tokio::test]
async fn a_channel_whose_secret_the_board_does_not_have_is_named() {
    // The board knows the default secret; this channel signs with another.
    let w = World::start_in(Language::En, COMMENT_ACK, "", |_| {}).await;
    let other = FakeLine::start_with_secret("another-channel-secret")
        .await
        .unwrap();
    other.set_webhook_endpoint(&w.line_webhook_url(), true);
    let mut site = w.site.clone();
    site.line = other.server.base_url();
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = run_doctor(site.write(dir.path()).unwrap()).await;
    assert_eq!(code, Some(1), "{text}");
    let l = line_of(&text, "LINE webhook");
    assert!(
        l.contains("HTTP 401") && l.contains("channel_secret"),
        "{l}"
    );
}

/// The fake's two webhook endpoints answer in the shapes LINE's spec gives,
/// and the gateway's test request is one the spec accepts.
#[tokio::test]
async fn the_fake_webhook_endpoints_match_the_spec() {
    let w = World::start_in(Language::En, COMMENT_ACK, "", |_| {}).await;
    w.line.set_webhook_endpoint(&w.line_webhook_url(), true);
    let spec = crate::openapi::line_messaging_api();
    let http = reqwest::Client::new();
    let base = w.line.server.base_url();
    let got: serde_json::Value = http
        .get(format!("{base}/v2/bot/channel/webhook/endpoint"))
        .bearer_auth("any")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    spec.validate("#/components/schemas/GetWebhookEndpointResponse", &got)
        .unwrap_or_else(|e| panic!("{e:#?}\n{got:#}"));
    let (_, text) = run_doctor(w.config_path()).await;
    assert!(
        line_of(&text, "LINE webhook").starts_with("[ok  ]"),
        "{text}"
    );
    let sent = w.line.state.lock().unwrap().requests.clone();
    let test = sent
        .iter()
        .find(|r| r.path == "/v2/bot/channel/webhook/test")
        .expect("doctor asked LINE for a test");
    let body = test.json().expect("a JSON body");
    spec.validate("#/components/schemas/TestWebhookEndpointRequest", &body)
        .unwrap_or_else(|e| panic!("{e:#?}\n{body:#}"));
    let answer: serde_json::Value = http
        .post(format!("{base}/v2/bot/channel/webhook/test"))
        .bearer_auth("any")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    spec.validate("#/components/schemas/TestWebhookEndpointResponse", &answer)
        .unwrap_or_else(|e| panic!("{e:#?}\n{answer:#}"));
    assert_eq!(answer["success"], true, "{answer:#}");
}

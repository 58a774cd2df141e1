//! `doctor` in plain words: a refused connection is a network problem (never
//! "check the token"), and LINE's own webhook test says whether LINE reaches
//! the board — not set, switched off, unreachable, or a wrong secret.

use kintone_line_gateway::sim::fakes::FakeLine;
use kintone_line_gateway::sim::site::Site;

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
    let w = World::start_with(COMMENT_ACK, "", |_| {}).await;
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
    let w = World::start_with(COMMENT_ACK, "", |_| {}).await;
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

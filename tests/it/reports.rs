//! The operator's read-only commands (`status`, `acks`, `outbox`) as the
//! real binary: a missing store is a plain message and creates nothing,
//! `status` says what the daemon last observed of LINE and kintone (never
//! "ok" without an answer), and a closed pipe ends a report quietly.

use std::path::Path;
use std::process::{Output, Stdio};

use crate::daemon::{free_port, gateway, store_only_config};
use crate::notify_loop::rule;
use crate::world::{baseline, eventually, World, COMMENT_ACK};

/// Runs `kintone-line-gateway ARGS --config CONFIG`.
pub(crate) fn run(args: &[&str], config: &Path) -> Output {
    gateway()
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn reports_on_a_missing_store_create_nothing_and_exit_66() {
    let dir = tempfile::tempdir().unwrap();
    let config = store_only_config(dir.path());
    let state = dir.path().join("state");
    for args in [&["status"][..], &["acks"], &["outbox"]] {
        let out = run(args, &config);
        assert_eq!(out.status.code(), Some(66), "{args:?}: {}", text(&out));
        let said = text(&out);
        assert!(
            said.contains("にストアがまだありません")
                && said.contains("サービスがまだ一度も動いていない"),
            "{args:?}: {said}"
        );
        assert!(!state.exists(), "{args:?} created {}", state.display());
    }
    // The state directory exists (systemd made it) but holds no store.
    std::fs::create_dir(&state).unwrap();
    let out = run(&["status"], &config);
    assert_eq!(out.status.code(), Some(66), "{}", text(&out));
    let left: Vec<_> = std::fs::read_dir(&state).unwrap().collect();
    assert!(left.is_empty(), "status left files behind: {left:?}");
}

#[tokio::test]
async fn status_says_never_contacted_for_a_service_the_daemon_never_called() {
    // No polling, no webhook, no tap: kintone is never called; LINE is
    // (the start-up quota read) and answered.
    let mut w = World::start_with(COMMENT_ACK, "", |_| {}).await;
    eventually(5, || w.line.calls("/v2/bot/message/quota") > 0).await;
    w.stop().await;
    let out = run(&["status"], &w.config_path());
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    // In the site's language (Japanese), the daemon's own STATUS= line too.
    assert!(
        said.contains("\nkintone：まだ一度も接続していません\n"),
        "{said}"
    );
    assert!(said.contains("kintone まだ接続していません"), "{said}");
    assert!(!said.contains("kintone 正常"), "{said}");
    assert!(said.contains("\nLINE："), "{said}");
    assert!(said.contains("前に応答\n"), "{said}");
}

#[tokio::test]
async fn status_says_line_refuses_connections_and_kintone_answered() {
    let refused = format!("http://{}", free_port());
    let mut w = World::start_tuned(
        |s| s.line = refused,
        "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"",
        &rule("[\"Needs approval\"]", "debounce = \"0s\""),
        |k| k.set_record(5, 1, "Open"),
    )
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    // The push was tried and refused at the socket.
    let metrics = w.gateway().metrics.clone();
    eventually(15, || {
        metrics.retries.load(std::sync::atomic::Ordering::Relaxed) > 0
    })
    .await;
    w.stop().await;
    let out = run(&["status"], &w.config_path());
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("\nLINE：つながりません。")
            && said.contains("の呼び出しに応答なし（connection refused）。一度も応答していません"),
        "{said}"
    );
    assert!(
        said.contains("\nkintone：") && said.contains("前に応答"),
        "{said}"
    );
    assert!(said.contains("LINE つながりません、kintone 正常"), "{said}");
}

/// `status | head -1`: the reader closes the pipe; the report stops there
/// and exits 0 without a word on stderr.
#[tokio::test]
async fn a_closed_pipe_ends_a_report_with_exit_0() {
    let mut w = World::start_with(COMMENT_ACK, "", |_| {}).await;
    w.stop().await;
    let config = w.config_path();
    for args in [&["status"][..], &["acks", "--since", "7d"], &["outbox"]] {
        // The read end is closed before the report starts: its first
        // write meets EPIPE, whatever the timing.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = gateway()
            .args(args)
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// A store the service has not saved a status in yet: neither "ok" nor
/// "never contacted" — nothing is known.
#[tokio::test]
async fn status_claims_nothing_before_the_service_saved_what_it_saw() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    drop(kintone_line_gateway::store::Store::open(&state).unwrap());
    let config = store_only_config(dir.path());
    let out = run(&["status"], &config);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("LINE、kintone：まだ記録がありません"),
        "{said}"
    );
    assert!(
        !said.contains("まだ一度も接続していません")
            && !said.contains(" ok")
            && !said.contains("応答"),
        "{said}"
    );
}

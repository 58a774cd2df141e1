//! Power cuts: the daemon binary runs as a separate process and is killed
//! with SIGKILL at the worst moments, then started again on the same store.
//! Nothing answered 200 is lost, and nothing is done twice.

use std::time::Duration;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine, PushFault};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN, HOOK_TOKEN};
use kintone_line_gateway::store::Store;
use kintone_line_gateway::text::fill;
use serde_json::json;

use crate::daemon::Daemon;
use crate::world::{eventually, COMMENT_ACK, USER};

async fn fakes() -> (FakeLine, FakeKintone) {
    (
        FakeLine::start().await.expect("fake LINE"),
        FakeKintone::start(APP_TOKEN).await.expect("fake kintone"),
    )
}

fn site(line: &FakeLine, kintone: &FakeKintone, app: &str, tail: &str) -> Site {
    Site::for_fakes(line, kintone, app, tail)
}

/// The count a `SELECT COUNT(*) …` over the running daemon's store answers
/// (read-only, beside the daemon's own connections).
fn rows(dir: &std::path::Path, sql: &str) -> i64 {
    let path = dir.join("state").join("gateway.db");
    let c =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the daemon's store");
    c.query_row(sql, [], |r| r.get(0)).expect("read")
}

/// Waits until the daemon has stored the app's baseline: changes from now
/// on are judged, not taken as first sights.
async fn baseline_stored(dir: &std::path::Path) {
    eventually(10, || rows(dir, "SELECT COUNT(*) FROM app_baseline") > 0).await;
}

/// Waits until the daemon is done with everything it was given: no LINE
/// event, kintone change, unbatched card or push request left to handle.
async fn all_handled(dir: &std::path::Path) {
    eventually(20, || {
        rows(
            dir,
            "SELECT (SELECT COUNT(*) FROM inbox_queue)
                  + (SELECT COUNT(*) FROM changes WHERE state = 'pending')
                  + (SELECT COUNT(*) FROM deliveries WHERE push_id IS NULL)
                  + (SELECT COUNT(*) FROM outbox WHERE state = 'pending')",
        ) == 0
    })
    .await;
}

/// The notification `ack:v1::1:5:abc123` answers, pushed to Taro, in the
/// store the daemon will open in `dir`.
async fn card_sent_to_taro(dir: &std::path::Path) {
    card_to_taro(dir, "abc123", 5).await;
}

/// Notification `id` for record `record` of app 1, pushed to Taro.
async fn card_to_taro(dir: &std::path::Path, id: &str, record: i64) {
    Store::open(&dir.join("state"))
        .expect("store")
        .seed_notification_to(id, record, "", now_ms(), &[USER])
        .await
        .expect("seeding the notification");
}

#[tokio::test]
async fn killed_between_write_back_and_reply_resumes_without_a_double_comment() {
    let (line, kintone) = fakes().await;
    kintone.set_record(5, 3, "Needs approval");
    let dir = tempfile::tempdir().unwrap();
    let site = site(&line, &kintone, COMMENT_ACK, "");
    // The card was pushed to the person who taps it.
    card_sent_to_taro(dir.path()).await;
    let daemon = Daemon::start(&site, dir.path(), 1).await;

    // kintone stores the comment but its answer never reaches the gateway.
    kintone.delay_comments(Duration::from_secs(60));
    let tap = line.postback_event(USER, "ack:v1::1:5:abc123");
    let url = format!("http://{}/line/webhook", daemon.addr);
    assert_eq!(line.deliver(&url, &[tap]).await.unwrap().0, 200);
    eventually(10, || kintone.comment_texts().len() == 1).await;
    daemon.kill();

    kintone.delay_comments(Duration::ZERO);
    let _daemon = Daemon::start(&site, dir.path(), 2).await;
    // The restarted gateway finds its marker instead of commenting again,
    // and the token (still within its deadline) is spent exactly once.
    eventually(15, || line.replies().len() == 1).await;
    all_handled(dir.path()).await;
    assert_eq!(kintone.comment_texts().len(), 1, "no double comment");
    assert_eq!(line.reply_calls(), 1);
    assert_eq!(line.replies()[0]["messages"][0]["text"], "✓ Recorded — #5");
}

#[tokio::test]
async fn killed_while_the_reply_is_in_flight_answers_nobody_twice() {
    let (line, kintone) = fakes().await;
    kintone.set_record(5, 3, "Needs approval");
    kintone.set_record(6, 3, "Needs approval");
    let dir = tempfile::tempdir().unwrap();
    let site = site(&line, &kintone, COMMENT_ACK, "");
    card_sent_to_taro(dir.path()).await;
    card_to_taro(dir.path(), "def456", 6).await;
    let daemon = Daemon::start(&site, dir.path(), 1).await;
    let url = format!("http://{}/line/webhook", daemon.addr);

    // The comment is held at kintone until LINE is made slow: the Reply
    // that follows it is then in flight when the power goes.
    kintone.delay_comments(Duration::from_secs(2));
    let tap = line.postback_event(USER, "ack:v1::1:5:abc123");
    assert_eq!(line.deliver(&url, &[tap]).await.unwrap().0, 200);
    eventually(10, || kintone.comment_texts().len() == 1).await;
    line.delay_requests(Duration::from_secs(120));
    eventually(10, || line.in_flight() == 1).await;
    // The event's end was stored before the Reply was called.
    let done = "SELECT COUNT(*) FROM inbox
                WHERE failed = 0 AND seq NOT IN (SELECT seq FROM inbox_queue)";
    assert_eq!(rows(dir.path(), done), 1);
    daemon.kill();

    line.delay_requests(Duration::ZERO);
    kintone.delay_comments(Duration::ZERO);
    let daemon = Daemon::start(&site, dir.path(), 2).await;
    // A second tap, answered: the restarted worker has run.
    let url = format!("http://{}/line/webhook", daemon.addr);
    let tap = line.postback_event(USER, "ack:v1::1:6:def456");
    assert_eq!(line.deliver(&url, &[tap]).await.unwrap().0, 200);
    eventually(15, || line.replies().len() == 1).await;
    all_handled(dir.path()).await;
    assert_eq!(line.replies()[0]["messages"][0]["text"], "✓ Recorded — #6");
    assert_eq!(kintone.comment_texts().len(), 2, "one comment per tap");
    assert!(
        line.pushes().is_empty(),
        "no fallback push for the first tap"
    );
    assert_eq!(rows(dir.path(), done), 2);
}

#[tokio::test]
async fn killed_with_notifications_in_flight_loses_none_and_sends_none_twice() {
    let (line, kintone) = fakes().await;
    kintone.set_record(5, 1, "Open");
    kintone.set_record(6, 1, "Open");
    let dir = tempfile::tempdir().unwrap();
    let tail = format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n\n[notify]\ndebounce = \"0s\"\n"
    );
    let app = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";
    let site = site(&line, &kintone, app, &tail);
    let daemon = Daemon::start(&site, dir.path(), 1).await;
    eventually(5, || kintone.calls("GET", "/k/v1/records.json") > 0).await;
    baseline_stored(dir.path()).await;

    // 1. LINE is failing: the push is attempted, then the power goes.
    line.fail_pushes([PushFault::ServerError; 50]);
    kintone.set_webhook(Some(format!(
        "http://{}/kintone/webhook/{HOOK_TOKEN}",
        daemon.addr
    )));
    kintone.user_sets_status(5, "Needs approval");
    eventually(10, || !line.push_attempt_keys().is_empty()).await;
    let first_key = line.push_attempt_keys()[0].clone();
    daemon.kill();

    // 2. Back on power, LINE healthy again.
    let daemon = Daemon::start(&site, dir.path(), 2).await;
    line.clear_push_faults();
    eventually(20, || line.pushes().len() == 1).await;
    assert_eq!(
        line.accepted()[0].retry_key,
        first_key,
        "the retry key was fixed before the first attempt"
    );

    // 3. A change answered 200, then killed before any work on it.
    let url = format!("http://{}/kintone/webhook/{HOOK_TOKEN}", daemon.addr);
    kintone.set_webhook(None);
    kintone.user_sets_status(6, "Needs approval");
    let hint = json!({"id": "k-6", "type": "UPDATE_STATUS", "app": {"id": "1", "name": "Repairs"},
        "record": kintone.record(6).unwrap(), "recordTitle": "Fix the roof", "url": ""});
    let status = reqwest::Client::new()
        .post(&url)
        .json(&hint)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);
    daemon.kill();
    let _daemon = Daemon::start(&site, dir.path(), 3).await;
    eventually(20, || line.pushes().len() == 2).await;
    all_handled(dir.path()).await;
    let made = rows(dir.path(), "SELECT COUNT(*) FROM notifications");
    assert_eq!(made, 2, "each change notified once");
    assert_eq!(line.pushes().len(), 2, "each change pushed exactly once");
    assert_eq!(line.usage(), 2);
}

#[tokio::test]
async fn killed_before_the_outcome_push_goes_out_it_is_sent_after_restart_with_its_key() {
    let (line, kintone) = fakes().await;
    kintone.set_record(5, 3, "Needs approval");
    let dir = tempfile::tempdir().unwrap();
    // The early Reply goes out about a second after the tap (6 s deadline,
    // 5 s margin) while kintone holds the write; then kintone refuses. The
    // gateway waits for kintone longer than any hold.
    let site = Site {
        line_settings: "reply_deadline = \"6s\"".into(),
        kintone_timeout: Some(60),
        ..site(&line, &kintone, COMMENT_ACK, "")
    };
    card_sent_to_taro(dir.path()).await;
    let daemon = Daemon::start(&site, dir.path(), 1).await;
    kintone.hold_writes();
    // LINE fails the outcome push: the power goes while it waits to retry.
    line.fail_pushes([PushFault::ServerError; 50]);
    let url = format!("http://{}/line/webhook", daemon.addr);
    let tap = line.postback_event(USER, "ack:v1::1:5:abc123");
    assert_eq!(line.deliver(&url, &[tap]).await.unwrap().0, 200);
    eventually(15, || {
        kintone.held_writes() == 1 && line.replies().len() == 1
    })
    .await;
    kintone.fault_at(
        "POST",
        "/k/v1/record/comment.json",
        520,
        "CB_VA01",
        "Missing or invalid input.",
    );
    kintone.release_writes();
    eventually(15, || !line.push_attempt_keys().is_empty()).await;
    let key = line.push_attempt_keys()[0].clone();
    daemon.kill();

    line.clear_push_faults();
    let _daemon = Daemon::start(&site, dir.path(), 2).await;
    eventually(20, || line.pushes().len() == 1).await;
    let sent = &line.accepted()[0];
    assert_eq!(sent.retry_key, key, "the stored request, with its key");
    assert_eq!(sent.body["to"], USER);
    let text = sent.body["messages"][0]["text"].as_str().unwrap_or("");
    let texts = site.language.catalogue();
    let refused = [("record", "5"), ("reason", texts.reason_rejected)];
    assert_eq!(text, fill(texts.write_refused, &refused));
    assert_eq!(line.reply_calls(), 1, "only the early Reply");
    assert_eq!(
        kintone.calls("POST", "/k/v1/record/comment.json"),
        1,
        "the refused event was finished, not redone"
    );
}

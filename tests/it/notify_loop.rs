//! The notification loop end to end: record changes in the fake kintone
//! (announced by its webhooks, or found by polling) become LINE pushes at the
//! fake LINE — filtered, deduplicated, batched, retried and never lost.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::fakes::PushFault;
use kintone_line_gateway::sim::kintone::APP_NAME;
use kintone_line_gateway::sim::site::HOOK_TOKEN;
use kintone_line_gateway::text::{fill, Language};
use serde_json::{json, Value};

use crate::world::{baseline, changes_judged, eventually, rows, World, USER};

/// Webhooks on; the poller only sets the baseline (its next pass is a minute away).
const WEBHOOK: &str = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";
/// Polling every 5 s (the minimum), no webhooks.
const POLL: &str = "poll_interval = \"5s\"\nallow_over_budget = true";

/// Cards go as soon as the outbox looks.
const AT_ONCE: &str = "debounce = \"0s\"";
/// A short quiet period, so a burst of webhooks goes together.
const SHORT: &str = "debounce = \"200ms\"";

/// One rule for [`USER`], with `notify` lines for the `[notify]` table.
pub(crate) fn rule(to: &str, notify: &str) -> String {
    format!("[[rules]]\napp = 1\nto = {to}\nrecipients = [\"{USER}\"]\n\n[notify]\n{notify}\n")
}

/// Record ids on the Acknowledge buttons of every accepted push, in order.
pub(crate) fn acknowledge_buttons(w: &World) -> Vec<u64> {
    let mut ids = Vec::new();
    for push in w.line.pushes() {
        let text = push.to_string();
        for part in text.split("ack:v1::1:").skip(1) {
            if let Some(id) = part.split(':').next().and_then(|n| n.parse().ok()) {
                ids.push(id);
            }
        }
    }
    ids
}

/// Notifications the gateway has created (stored with the change's verdict).
async fn notifications(w: &World) -> i64 {
    rows(w, "SELECT COUNT(*) FROM notifications").await
}

/// The queries of every records.json read so far, oldest first.
fn record_queries(w: &World) -> Vec<String> {
    w.kintone
        .requests()
        .iter()
        .filter(|r| r.path == "/k/v1/records.json")
        .filter_map(|r| r.query_param("query"))
        .collect()
}

/// Poll passes begun so far: each reads from the first record id on.
fn passes(w: &World) -> usize {
    record_queries(w)
        .iter()
        .filter(|q| q.contains("$id > 0 "))
        .count()
}

/// Waits until a poll pass begun after `begun` passes has judged all it
/// read: passes run one after another, so the one after it has begun.
async fn a_whole_pass_since(w: &World, begun: usize) {
    eventually(30, || passes(w) >= begun + 2).await;
}

async fn post_kintone_webhook(w: &World, token: &str, body: &Value) -> u16 {
    reqwest::Client::new()
        .post(format!(
            "http://{}/kintone/webhook/{token}",
            w.gateway().addr()
        ))
        .json(body)
        .send()
        .await
        .expect("gateway reachable")
        .status()
        .as_u16()
}

#[tokio::test]
async fn status_change_becomes_one_push_with_an_acknowledge_button() {
    for language in Language::ALL {
        one_push_with_an_acknowledge_button(language).await;
    }
}

/// The card's buttons and altText, in `language`'s words.
fn assert_card_speaks(push: &Value, language: Language) {
    let texts = language.catalogue();
    let message = &push["messages"][0];
    let alt = [
        fill(texts.alt_app, &[("app", APP_NAME)]),
        fill(
            texts.alt_record,
            &[("record", "5"), ("status", "Needs approval")],
        ),
        fill(texts.alt_title, &[("title", "Fix the roof")]),
    ]
    .concat();
    assert_eq!(message["altText"], alt.trim());
    let buttons = &message["contents"]["footer"]["contents"];
    let ack = &buttons[0]["action"];
    assert_eq!(ack["label"], texts.card_acknowledge);
    let shown = fill(texts.card_acknowledge_shown, &[("record", "5")]);
    assert_eq!(ack["displayText"], shown.as_str());
    assert_eq!(buttons[1]["action"]["label"], texts.card_open);
}

async fn one_push_with_an_acknowledge_button(language: Language) {
    let w = World::start_in(
        language,
        WEBHOOK,
        &rule("[\"Needs approval\"]", SHORT),
        |k| k.set_record(5, 1, "Open"),
    )
    .await;
    baseline(&w).await;
    assert!(w.line.pushes().is_empty(), "the baseline notifies no one");

    // A wrong path token: 404, nothing stored.
    let hint = json!({"id": "x", "type": "UPDATE_STATUS", "app": {"id": "1", "name": "Repairs"},
        "record": {"$id": {"type": "__ID__", "value": "5"}}, "recordTitle": "", "url": ""});
    assert_eq!(
        post_kintone_webhook(&w, "wrong-token-wrong-token-wrong", &hint).await,
        404
    );

    // Someone moves the record on in kintone; kintone sends its webhook.
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || !w.line.pushes().is_empty()).await;
    let push = &w.line.pushes()[0];
    assert_eq!(push["to"], USER);
    let text = push.to_string();
    assert!(text.contains("ack:v1::1:5:"), "{text}");
    assert!(
        text.contains("Needs approval") && text.contains("Fix the roof"),
        "{text}"
    );
    assert_card_speaks(push, language);
    let spec = crate::openapi::line_messaging_api();
    if let Err(e) = spec.validate("PushMessageRequest", push) {
        panic!("push does not match the LINE spec: {e:#?}");
    }

    // The same hint again (kintone ids differ per notification): no second push.
    let hint = json!({"id": "y", "type": "UPDATE_STATUS", "app": {"id": "1", "name": "Repairs"},
        "record": w.kintone.record(5).unwrap(), "recordTitle": "Fix the roof", "url": ""});
    assert_eq!(post_kintone_webhook(&w, HOOK_TOKEN, &hint).await, 200);
    // Both hints judged; a second notification would be stored with its verdict.
    changes_judged(&w, 2).await;
    assert_eq!(notifications(&w).await, 1, "the repeat notified");
    assert_eq!(w.line.pushes().len(), 1);
    assert_eq!(w.line.usage(), 1);
}

#[tokio::test]
async fn the_gateways_own_write_backs_never_notify() {
    let app =
        format!("{WEBHOOK}\n[kintone.apps.ack]\nmethod = \"status\"\naction = \"Acknowledge\"\n");
    // Any change of status notifies — except the ones the gateway makes.
    let w = World::start_with(&app, &rule("[\"*\"]", SHORT), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || w.line.pushes().len() == 1).await;

    // Taro acknowledges: the gateway runs the "Acknowledge" action, kintone
    // fires UPDATE_STATUS back at the gateway.
    let data = acknowledge_data(&w.line.pushes()[0]);
    let tap = w.line.postback_event(USER, &data);
    assert_eq!(w.deliver(&[tap]).await.0, 200);
    eventually(5, || {
        w.kintone.record(5).unwrap()["STATUS"]["value"] == "Acknowledged"
    })
    .await;
    eventually(5, || w.kintone.state.lock().unwrap().webhooks_sent >= 2).await;
    // Whichever came first, the echo or kintone's answer, the echo is judged
    // as the gateway's own (an echo held until the answer included).
    let m = w.gateway().metrics.clone();
    let count = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    eventually(5, || {
        count(&m.kintone_echoes) >= 1 || count(&m.notifications) >= 2
    })
    .await;
    assert_eq!(count(&m.notifications), 1, "the echo notified someone");
    assert_eq!(w.line.pushes().len(), 1, "the echo notified someone");

    // A person's next change still notifies.
    w.kintone.user_sets_status(5, "Approved");
    eventually(5, || w.line.pushes().len() == 2).await;
}

fn acknowledge_data(push: &Value) -> String {
    let text = push.to_string();
    let start = text.find("ack:v1:").expect("an Acknowledge button");
    text[start..]
        .split(['"', '\\'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// An app that trusts payloads is judged on the record its webhook
/// carried (kept from the body, the rest dropped): no read of the record.
#[tokio::test]
async fn a_trusted_webhook_is_judged_on_its_own_record() {
    let app = format!("{WEBHOOK}\nwebhook_reread = false");
    let w = World::start_with(&app, &rule("[\"Needs approval\"]", SHORT), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || w.line.pushes().len() == 1).await;
    assert_eq!(acknowledge_buttons(&w), [5]);
    assert_eq!(w.kintone.calls("GET", "/k/v1/record.json"), 0, "read again");
}

#[tokio::test]
async fn webhook_and_poll_together_notify_once() {
    let app = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"5s\"\nallow_over_budget = true";
    let w = World::start_with(app, &rule("[\"Needs approval\"]", SHORT), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || w.line.pushes().len() == 1).await;
    let polls = w.kintone.calls("GET", "/k/v1/records.json");
    let begun = passes(&w);
    // The next poll sees the same revision: nothing new.
    eventually(10, || w.kintone.calls("GET", "/k/v1/records.json") > polls).await;
    a_whole_pass_since(&w, begun).await;
    changes_judged(&w, 1).await;
    assert_eq!(notifications(&w).await, 1, "the poll notified again");
    assert_eq!(w.line.pushes().len(), 1);
}

#[tokio::test]
async fn polling_pages_past_500_records_and_rereads_the_overlap_without_duplicates() {
    // Pages of 500 records take seconds to answer on a loaded machine, more
    // than the 2 s the other tests allow kintone.
    let w = World::start_tuned(
        |s| s.kintone_timeout = Some(60),
        POLL,
        &rule("[\"Needs approval\"]", SHORT),
        |k| k.add_records(1, 1200, "Open"),
    )
    .await;
    // The baseline pass reads all 1,200 records in pages of 500, judging
    // each, as the passes below; one that failed starts again from the first.
    let queries = || record_queries(&w);
    eventually(60, || queries().iter().any(|q| q.contains("$id > 1000 "))).await;
    // The baseline is stored once the pass has judged every page.
    baseline(&w).await;
    let baseline_queries = queries();
    let last = baseline_queries
        .iter()
        .rposition(|q| q.contains("$id > 1000 "))
        .unwrap_or_default();
    let pass = &baseline_queries[last.saturating_sub(2)..=last];
    assert!(
        pass[0].ends_with("$id > 0 order by $id asc limit 500"),
        "{baseline_queries:?}"
    );
    assert!(pass[1].contains("$id > 500 "), "{baseline_queries:?}");
    assert_eq!(notifications(&w).await, 0, "the baseline notified");
    assert!(w.line.pushes().is_empty());

    // Three records on three pages change; no webhook announces them.
    for id in [3, 700, 1100] {
        w.kintone.user_sets_status(id, "Needs approval");
    }
    // Up to two 5 s passes (the changes may straddle one), each reading
    // 1,200 records: seconds apiece when the suite runs under qemu.
    eventually(60, || acknowledge_buttons(&w).len() == 3).await;
    let later: Vec<String> = queries().into_iter().skip(last + 1).collect();
    assert!(
        later[0].starts_with("Updated_datetime >= \""),
        "later passes filter by the watermark minus the overlap: {later:?}"
    );
    // The next pass re-reads the overlap window: the same revisions, no new pushes.
    let seen = w.kintone.calls("GET", "/k/v1/records.json");
    let begun = passes(&w);
    eventually(30, || w.kintone.calls("GET", "/k/v1/records.json") > seen).await;
    a_whole_pass_since(&w, begun).await;
    assert_eq!(notifications(&w).await, 3, "the overlap notified again");
    let ids: BTreeSet<u64> = acknowledge_buttons(&w).into_iter().collect();
    assert_eq!(ids, BTreeSet::from([3, 700, 1100]));
    assert_eq!(acknowledge_buttons(&w).len(), 3);
}

#[tokio::test]
async fn failed_pushes_are_retried_with_the_same_retry_key() {
    let w = World::start_with(WEBHOOK, &rule("[\"Needs approval\"]", AT_ONCE), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.line
        .fail_pushes([PushFault::ServerError, PushFault::RateLimited]);
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(15, || w.line.pushes().len() == 1).await;
    let keys = w.line.push_attempt_keys();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    assert_eq!(w.line.accepted()[0].retry_key, keys[0]);
    let m = &w.gateway().metrics;
    assert!(m.retries.load(Ordering::Relaxed) >= 2);
}

#[tokio::test]
async fn an_accepted_push_whose_answer_was_lost_is_not_sent_twice() {
    let w = World::start_with(WEBHOOK, &rule("[\"Needs approval\"]", AT_ONCE), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.line.fail_pushes([PushFault::AcceptedAnswerLost]);
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(15, || w.line.push_attempt_keys().len() == 2).await;
    let store = w.store();
    let mut sent = false;
    for _ in 0..100 {
        let report = store.outbox_report(true).await.unwrap();
        if report.iter().any(|e| e.state == "sent") {
            sent = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sent, "409 with the accepted request id counts as delivered");
    assert_eq!(w.line.pushes().len(), 1);
    assert_eq!(w.line.usage(), 1);
}

#[tokio::test]
async fn a_rejected_push_goes_to_the_dead_letters_with_its_reason() {
    let w = World::start_with(WEBHOOK, &rule("[\"Needs approval\"]", AT_ONCE), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.line.fail_pushes([PushFault::BadRequest]);
    w.kintone.user_sets_status(5, "Needs approval");
    let store = w.store();
    let mut dead = None;
    for _ in 0..200 {
        let report = store.outbox_report(false).await.unwrap();
        if let Some(e) = report.into_iter().find(|e| e.state == "dead") {
            dead = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let dead = dead.expect("a dead letter");
    assert!(
        dead.last_error.as_deref().unwrap_or("").contains("400"),
        "{dead:?}"
    );
    // A dead letter is final: nothing sends it again.
    let m = w.gateway().metrics.clone();
    eventually(5, || m.dead_letters.load(Ordering::Relaxed) >= 1).await;
    assert_eq!(
        w.line.push_attempt_keys().len(),
        1,
        "a 400 is never retried"
    );
    assert_eq!(w.gateway().metrics.dead_letters.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn the_monthly_limit_pauses_pushing_and_keeps_the_queue() {
    // Three prompt requests a minute: each card its own request.
    let notify = format!("{AT_ONCE}\nprompt_per_minute = 3");
    let mut w = World::start_with(WEBHOOK, &rule("[\"Needs approval\"]", &notify), |k| {
        k.set_record(5, 1, "Open");
        k.set_record(6, 1, "Open");
        k.set_record(7, 1, "Open");
    })
    .await;
    w.line.set_monthly_limit(Some(1));
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || w.line.pushes().len() == 1).await;
    w.kintone.user_sets_status(6, "Needs approval");
    eventually(5, || {
        w.gateway().metrics.quota_exhausted.load(Ordering::Relaxed) == 1
    })
    .await;
    let attempts = w.line.push_attempt_keys().len();
    // A third card while paused: once the outbox has gone round with both
    // requests queued (its gauge says 2), it would have pushed them.
    w.kintone.user_sets_status(7, "Needs approval");
    eventually(10, || {
        w.gateway().metrics.outbox_pending.load(Ordering::Relaxed) == 2
    })
    .await;
    assert_eq!(
        w.line.push_attempt_keys().len(),
        attempts,
        "no pushing while the quota is exhausted"
    );
    let pending = w.store().outbox_report(false).await.unwrap();
    assert!(
        pending.iter().any(|e| e.state == "pending"),
        "the notification stays queued: {pending:?}"
    );

    // Next month (or a bigger plan): the quota check at start finds room.
    w.line.set_monthly_limit(Some(1000));
    w.stop().await;
    w.boot().await;
    eventually(10, || w.line.pushes().len() == 3).await;
    assert_eq!(
        w.gateway().metrics.quota_exhausted.load(Ordering::Relaxed),
        0
    );
    assert_eq!(acknowledge_buttons(&w), vec![5, 6, 7]);
}

#[tokio::test]
async fn recipients_come_from_the_records_assignee_field_through_the_staff_directory() {
    let tail = "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"field:Assignee\"]\n\n[notify]\ndebounce = \"0s\"\n";
    let w = World::start_with(WEBHOOK, tail, |k| k.set_record(5, 1, "Open")).await;
    // Taro (kintone user "taro", the record's assignee) links his LINE account.
    let store = w.store();
    let invite = store
        .invite_create(
            "Taro Yamada".into(),
            Some("taro".into()),
            now_ms(),
            now_ms() + 60_000,
        )
        .await
        .unwrap();
    w.deliver(&[w.line.text_event(USER, &invite.code)]).await;
    eventually(5, || w.line.replies().len() == 1).await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || w.line.pushes().len() == 1).await;
    assert_eq!(w.line.pushes()[0]["to"], USER);
}

#[tokio::test]
async fn metrics_count_kintone_requests_per_app_as_kintone_sees_them() {
    let w = World::start_with(WEBHOOK, &rule("[\"Needs approval\"]", AT_ONCE), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(15, || w.line.pushes().len() == 1).await;
    let data = acknowledge_data(&w.line.pushes()[0]);
    let tap = w.line.postback_event(USER, &data);
    assert_eq!(w.deliver(&[tap]).await.0, 200);
    eventually(15, || w.line.replies().len() == 1).await;

    let url = format!("http://{}/metrics", w.gateway().addr());
    let text = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let today: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("klg_kintone_requests_today{app=\"1\"} "))
        .unwrap_or_else(|| panic!("no per-app count in:\n{text}"))
        .parse()
        .unwrap();
    // Form read, poll, webhook re-read, write-back and its check: every
    // request kintone received, whatever part of the gateway made it.
    assert_eq!(today, w.kintone.requests().len(), "{text}");
    assert!(today >= 4, "{today}");
    let total = format!("klg_kintone_requests_total {today}\n");
    assert!(text.contains(&total), "{text}");
}

#[tokio::test]
async fn status_command_prints_the_summary_from_the_store() {
    let mut w = World::start_with(WEBHOOK, &rule("[\"Needs approval\"]", AT_ONCE), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(15, || w.line.pushes().len() == 1).await;
    let requests = w.kintone.requests().len();
    w.stop().await;

    let out = crate::reports::run(&["status"], &w.config_path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("停止しました。確認待ち 1 件、送信待ち 0 件、最後のプッシュ "),
        "{text}"
    );
    assert!(
        text.contains(&format!("LINE 正常、kintone 正常（今日 {requests} 回）")),
        "{text}"
    );
    // The report's own words are the site's language (Japanese), as is the
    // STATUS= line above.
    assert!(
        text.contains("ストア：確認待ち 1 件、送信待ちのプッシュ 0 件、デッドレター 0 件"),
        "{text}"
    );
    assert!(
        text.contains(&format!("アプリ 1：{requests} 回（")),
        "{text}"
    );
    assert!(
        text.contains("\nLINE：")
            && text.contains("\nkintone：")
            && text.matches("前に応答").count() == 2,
        "{text}"
    );
}

//! Reminders and escalations end to end (issue #19 §1): a card nobody
//! acknowledges is pushed again and then to the next people, until someone
//! acknowledges it, the record moves on, or the chain gives up — on a
//! skipped clock (no test waits 15 minutes), durable across restarts.

use std::sync::atomic::Ordering;
use std::time::Duration;

use kintone_line_gateway::clock::Clock;
use kintone_line_gateway::store::staff::normalise_code;
use kintone_line_gateway::text::fill;
use serde_json::Value;

use crate::world::{acks_eventually, baseline, eventually, until, World, COMMENT_ACK, USER};

/// The person an escalation reaches.
const BOSS: &str = "U2222222222222222222222222222bbbb";
const MINUTE: Duration = Duration::from_secs(60);

/// Webhooks on, the poller only sets the baseline.
fn app() -> String {
    format!("webhook_token = {{ file = \"hook-token\" }}\npoll_interval = \"60s\"\n{COMMENT_ACK}")
}

/// Reminders every 15 minutes (three), escalations to [`BOSS`] at 30
/// minutes and (again) at 2 hours.
fn chain_rule() -> String {
    format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n\
         remind = \"15m\"\nremind_max = 3\nescalate = [{{ after = \"30m\", to = [\"{BOSS}\"] }}, {{ after = \"2h\", to = [\"{BOSS}\"] }}]\n\n\
         [notify]\ndebounce = \"0s\"\n"
    )
}

async fn world() -> World {
    let w = World::start_with(&app(), &chain_rule(), |k| {
        k.set_record(5, 1, "Open");
        k.set_record(6, 1, "Open");
    })
    .await;
    baseline(&w).await;
    // Taro is linked staff: the escalation names him.
    let store = w.store();
    let invite = store
        .invite_create("Taro Yamada".into(), None, 0, i64::MAX)
        .await
        .expect("invite");
    let code = normalise_code(&invite.code).expect("code");
    store
        .invite_redeem(USER.into(), code, 1)
        .await
        .expect("link");
    w
}

/// The cards (bubbles) pushed so far to `who` for record `record`, with
/// the text of each.
fn cards(w: &World, who: &str, record: u64) -> Vec<String> {
    let button = format!("ack:v1::1:{record}:");
    w.line
        .pushes()
        .iter()
        .filter(|p| to(p).contains(&who.to_owned()))
        .flat_map(bubbles)
        .filter(|b| b.contains(&button))
        .collect()
}

fn to(push: &Value) -> Vec<String> {
    match &push["to"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Each bubble of a push (a carousel's one by one), as JSON text.
fn bubbles(push: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for m in push["messages"].as_array().into_iter().flatten() {
        let c = &m["contents"];
        match c["contents"].as_array() {
            Some(list) if c["type"] == "carousel" => out.extend(list.iter().map(|b| b.to_string())),
            _ => out.push(c.to_string()),
        }
    }
    out
}

async fn stop_reason(w: &World, id: &str) -> Option<String> {
    let id = id.to_owned();
    w.store()
        .read(move |c| kintone_line_gateway::store::chains::stop_reason(c, &id))
        .await
        .expect("read")
}

async fn only_notification_of(w: &World, record: i64) -> String {
    w.store()
        .read(move |c| {
            Ok(c.query_row(
                "SELECT id FROM notifications WHERE record = ?1",
                [record],
                |r| r.get(0),
            )?)
        })
        .await
        .expect("one notification")
}

#[tokio::test]
async fn a_reminder_then_an_escalation_then_an_acknowledgement_stops_the_chain() {
    let w = world().await;
    let texts = w.texts();
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || cards(&w, USER, 5).len() == 1).await;

    w.clock.skip(15 * MINUTE);
    eventually(5, || cards(&w, USER, 5).len() == 2).await;
    let reminder = fill(texts.chain_reminder, &[("n", "1")]);
    assert!(
        cards(&w, USER, 5)[1].contains(&reminder),
        "{:?}",
        cards(&w, USER, 5)
    );
    assert!(cards(&w, BOSS, 5).is_empty(), "escalated too early");

    // At 30 minutes: the escalation to the boss, naming who was told before,
    // and reminder 2 to Taro.
    w.clock.skip(15 * MINUTE);
    eventually(5, || cards(&w, BOSS, 5).len() == 1).await;
    let escalation = fill(texts.chain_escalation, &[("before", "Taro Yamada")]);
    assert!(
        cards(&w, BOSS, 5)[0].contains(&escalation),
        "{:?}",
        cards(&w, BOSS, 5)
    );
    eventually(5, || cards(&w, USER, 5).len() == 3).await;
    let chains = &w.gateway().metrics.chains;
    assert_eq!(chains.escalations.load(Ordering::Relaxed), 1);
    assert_eq!(chains.reminders.load(Ordering::Relaxed), 2);
    let metrics = w.gateway().metrics.render();
    assert!(
        metrics.contains("klg_chain_reminders_total 2\n"),
        "{metrics}"
    );

    // The boss acknowledges (he received it, so he may).
    let data = acknowledge_data(&cards(&w, BOSS, 5)[0]);
    assert_eq!(
        w.deliver(&[w.line.postback_event(BOSS, &data)]).await.0,
        200
    );
    acks_eventually(&w, 1).await;
    let id = only_notification_of(&w, 5).await;
    assert_eq!(stop_reason(&w, &id).await.as_deref(), Some("acknowledged"));

    // Record 6 starts its own chain; once its reminder is out, record 5's
    // reminder 3 (due at the same time, had it not stopped) is not.
    w.kintone.user_sets_status(6, "Needs approval");
    eventually(5, || cards(&w, USER, 6).len() == 1).await;
    w.clock.skip(15 * MINUTE);
    eventually(5, || cards(&w, USER, 6).len() == 2).await;
    assert_eq!(cards(&w, USER, 5).len(), 3, "a stopped chain reminded");
    assert_eq!(cards(&w, BOSS, 5).len(), 1);
}

fn acknowledge_data(bubble: &str) -> String {
    let start = bubble.find("ack:v1:").expect("an Acknowledge button");
    let rest = &bubble[start..];
    rest[..rest.find('"').expect("end of data")].to_owned()
}

#[tokio::test]
async fn a_record_that_moves_on_stops_its_chain() {
    let w = world().await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || cards(&w, USER, 5).len() == 1).await;
    let id = only_notification_of(&w, 5).await;
    w.kintone.user_sets_status(5, "Approved");
    until(5, "the chain stopped", || async {
        stop_reason(&w, &id).await.as_deref() == Some("moved_on")
    })
    .await;

    w.kintone.user_sets_status(6, "Needs approval");
    eventually(5, || cards(&w, USER, 6).len() == 1).await;
    w.clock.skip(15 * MINUTE);
    eventually(5, || cards(&w, USER, 6).len() == 2).await;
    assert_eq!(
        cards(&w, USER, 5).len(),
        1,
        "a record that moved on was reminded"
    );
}

#[tokio::test]
async fn steps_missed_while_the_board_was_off_go_out_once_and_never_twice() {
    let mut w = world().await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || cards(&w, USER, 5).len() == 1).await;
    w.stop().await;

    // Off for 50 minutes: reminders 1–3 and the escalation were all due.
    w.clock = Clock::offset_by(50 * 60_000);
    w.boot().await;
    eventually(5, || cards(&w, BOSS, 5).len() == 1).await;
    eventually(5, || cards(&w, USER, 5).len() == 2).await;
    let caught = &cards(&w, USER, 5)[1];
    let reminder = fill(w.texts().chain_reminder, &[("n", "3")]);
    assert!(caught.contains(&reminder), "{caught}");
    // `status` runs on the real clock: the notification is minutes old there.
    let out = crate::reports::run(&["status"], &w.config_path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "リマインド：続いているもの 1 件\n  #5 Fix the roof — リマインド 3 回目、0 分経過、次は "
        ),
        "{text}"
    );

    // Restarted again: the chain is where it was; nothing goes out twice.
    w.stop().await;
    w.boot().await;
    until(5, "the chain task looked at the open chain", || async {
        w.gateway()
            .metrics
            .chains
            .open_reminded
            .load(Ordering::Relaxed)
            == 1
    })
    .await;
    assert_eq!(cards(&w, USER, 5).len(), 2, "a step went out twice");
    assert_eq!(cards(&w, BOSS, 5).len(), 1, "the escalation went out twice");
}

#[tokio::test]
async fn a_board_back_after_give_up_sends_no_stale_reminder() {
    let mut w = world().await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || cards(&w, USER, 5).len() == 1).await;
    let id = only_notification_of(&w, 5).await;
    w.stop().await;

    // Off overnight: past the default give_up of 8 hours.
    w.clock = Clock::offset_by(9 * 3_600_000);
    w.boot().await;
    until(5, "the chain gave up", || async {
        stop_reason(&w, &id).await.as_deref() == Some("gave_up")
    })
    .await;
    assert_eq!(cards(&w, USER, 5).len(), 1, "a stale reminder went out");
    assert!(cards(&w, BOSS, 5).is_empty(), "a stale escalation went out");
}

/// `tell_others`: the first acknowledgement of a card sent to several
/// people 1:1 is told to the others (a counted push), not to the one who
/// tapped and not again for a second tap.
#[tokio::test]
async fn the_others_are_told_who_acknowledged_when_the_rule_asks() {
    let rule = format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\", \"{BOSS}\"]\n\
         tell_others = true\n\n[notify]\ndebounce = \"0s\"\n"
    );
    let w = World::start_with(&app(), &rule, |k| k.set_record(5, 1, "Open")).await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || {
        cards(&w, BOSS, 5).len() == 1 && cards(&w, USER, 5).len() == 1
    })
    .await;
    let before = w.line.pushes().len();
    let data = acknowledge_data(&cards(&w, USER, 5)[0]);
    assert_eq!(
        w.deliver(&[w.line.postback_event(USER, &data)]).await.0,
        200
    );
    acks_eventually(&w, 1).await;
    eventually(5, || w.line.pushes().len() == before + 1).await;
    let told = &w.line.pushes()[before];
    assert_eq!(to(told), [BOSS], "{told}");
    // The fake LINE's profile name for Taro.
    let text = fill(
        w.texts().told_others,
        &[
            ("name", "Taro Yamada"),
            ("record", "5"),
            ("title", "Fix the roof"),
        ],
    );
    assert_eq!(told["messages"][0]["text"], text.as_str(), "{told}");
    let m = &w.gateway().metrics;
    assert_eq!(m.ack_told_others.load(Ordering::Relaxed), 1);

    // The boss taps too: told it was acknowledged already; nobody else told.
    let data = acknowledge_data(&cards(&w, BOSS, 5)[0]);
    assert_eq!(
        w.deliver(&[w.line.postback_event(BOSS, &data)]).await.0,
        200
    );
    acks_eventually(&w, 2).await;
    crate::world::inbox_drained(&w).await;
    until(5, "the outbox is empty", || async {
        crate::world::rows(&w, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'").await == 0
    })
    .await;
    assert_eq!(w.line.pushes().len(), before + 1, "told twice");
    assert_eq!(m.ack_told_others.load(Ordering::Relaxed), 1);
}

//! The gateway's own write-backs never notify, whatever arrives first: for
//! each write-back method, a kintone that sends the write's webhook before
//! it answers the write (and holds the answer while the gateway looks at the
//! echo), and one that never answers because the gateway is killed with
//! SIGKILL meanwhile. In both, a rule `* → <what the write-back sets>`
//! exists; the same move made by a person does notify.

use std::sync::atomic::Ordering;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN, HOOK_TOKEN};
use kintone_line_gateway::store::Store;
use serde_json::json;

use crate::daemon::Daemon;
use crate::world::{baseline, eventually, until, World, USER};

/// The tap on the card of record 5.
const DATA: &str = "ack:v1::1:5:abc123";

/// One write-back method: its `[kintone.apps.ack]`, a rule that would fire
/// on what it writes, and the write and webhook it makes.
struct Method {
    ack: &'static str,
    /// `field = …` / `to = …` of a rule watching what the write-back sets.
    rule: &'static str,
    write: (&'static str, &'static str),
    webhook: &'static str,
}

const STATUS: Method = Method {
    ack: "method = \"status\"\naction = \"Acknowledge\"",
    rule: "to = [\"Acknowledged\"]",
    write: ("PUT", "/k/v1/record/status.json"),
    webhook: "UPDATE_STATUS",
};

const FIELDS: Method = Method {
    ack: "method = \"fields\"\nfields = { Acknowledged_by = \"{{name}}\" }",
    rule: "field = \"Acknowledged_by\"\nto = [\"Taro Yamada\"]",
    write: ("PUT", "/k/v1/record.json"),
    webhook: "UPDATE_RECORD",
};

/// A comment moves no field: the rule fires on any change of status.
const COMMENT: Method = Method {
    ack: "method = \"comment\"\ncomment = \"Acknowledged by {{name}}\"",
    rule: "to = [\"*\"]",
    write: ("POST", "/k/v1/record/comment.json"),
    webhook: "ADD_RECORD_COMMENT",
};

fn app(m: &Method) -> String {
    format!(
        "webhook_token = {{ file = \"hook-token\" }}\npoll_interval = \"60s\"\n\
         [kintone.apps.ack]\n{}\nreply = \"✓ Recorded — #{{{{record}}}}\"\n",
        m.ack
    )
}

fn rules(m: &Method) -> String {
    format!(
        "[[rules]]\napp = 1\n{}\nrecipients = [\"{USER}\"]\n\n[notify]\ndebounce = \"0s\"\n",
        m.rule
    )
}

fn setup(k: &FakeKintone) {
    k.set_record(5, 3, "Needs approval");
}

/// The gateway's kintone timeout here: longer than any hold of these tests,
/// so a held answer reaches the write that waits for it.
const PATIENT: Option<u64> = Some(60);

/// A world whose gateway waits for kintone's answers [`PATIENT`]ly, with
/// the notification Taro's tap ([`DATA`]) answers.
async fn world(app: &str, tail: &str, setup: impl FnOnce(&FakeKintone)) -> World {
    let mut w = World::start_with(app, tail, setup).await;
    w.stop().await;
    w.site.kintone_timeout = PATIENT;
    w.boot().await;
    seed(&w.store()).await;
    w
}

/// The notification Taro's tap ([`DATA`]) answers, sent to him.
async fn seed(store: &Store) {
    store
        .seed_notification_to("abc123", 5, "", now_ms(), &[USER])
        .await
        .expect("seeding the notification");
}

/// kintone changes not judged yet.
async fn pending_changes(w: &World) -> i64 {
    w.store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM changes WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .expect("read")
}

/// The gateway's answer to the write's webhook came, and the write's own
/// answer is being held.
async fn echo_answered_answer_held(k: &FakeKintone, m: &Method) {
    eventually(10, || {
        k.webhook_answers(m.webhook) == [200] && k.held_writes() == 1
    })
    .await;
}

async fn echo_before_answer(m: &Method) {
    let w = world(&app(m), &rules(m), setup).await;
    baseline(&w).await;
    let metrics = w.gateway().metrics.clone();
    let count = move |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    w.kintone.echo_before_answer();
    let tap = w.line.postback_event(USER, DATA);
    assert_eq!(w.deliver(&[tap]).await.0, 200);
    echo_answered_answer_held(&w.kintone, m).await;
    if m.webhook != COMMENT.webhook {
        // The gateway looks at the echo while the answer is outstanding: it
        // holds it (or, wrongly, judges it).
        eventually(10, || {
            count(&metrics.kintone_held) > 0 || count(&metrics.notifications) > 0
        })
        .await;
        assert_eq!(
            count(&metrics.notifications),
            0,
            "the echo notified someone before the write was answered"
        );
    }
    w.kintone.release_writes();
    eventually(10, || w.line.replies().len() == 1).await;
    if m.webhook != COMMENT.webhook {
        // Released by the answer, the held change is judged: an echo.
        eventually(10, || {
            count(&metrics.kintone_echoes) > 0 || count(&metrics.notifications) > 0
        })
        .await;
    }
    assert_eq!(pending_changes(&w).await, 0, "every change was judged");
    assert_eq!(
        count(&metrics.notifications),
        0,
        "the echo notified someone"
    );
    assert!(w.line.pushes().is_empty());
    assert_eq!(w.kintone.calls(m.write.0, m.write.1), 1);
}

#[tokio::test]
async fn a_status_echo_before_the_answer_notifies_no_one() {
    echo_before_answer(&STATUS).await;
}

#[tokio::test]
async fn a_field_echo_before_the_answer_notifies_no_one() {
    echo_before_answer(&FIELDS).await;
}

#[tokio::test]
async fn a_comment_echo_before_the_answer_notifies_no_one() {
    echo_before_answer(&COMMENT).await;
}

/// Polling only: a pass reads the record at the revision the write-back is
/// waiting to hear about. The poller must neither judge it nor lose it.
#[tokio::test]
async fn a_polled_echo_before_the_answer_is_held_not_lost_and_notifies_no_one() {
    let app = format!(
        "poll_interval = \"5s\"\nallow_over_budget = true\n[kintone.apps.ack]\n{}\n",
        STATUS.ack
    );
    let w = world(&app, &rules(&STATUS), setup).await;
    baseline(&w).await;
    let metrics = w.gateway().metrics.clone();
    let count = move |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    w.kintone.echo_before_answer();
    let tap = w.line.postback_event(USER, DATA);
    assert_eq!(w.deliver(&[tap]).await.0, 200);
    eventually(10, || w.kintone.held_writes() == 1).await;
    // The next pass (every 5 s) sees revision 5 while the answer is held.
    eventually(15, || {
        count(&metrics.kintone_held) > 0 || count(&metrics.notifications) > 0
    })
    .await;
    assert_eq!(
        count(&metrics.notifications),
        0,
        "the polled echo notified someone before the write was answered"
    );
    assert_eq!(
        pending_changes(&w).await,
        1,
        "the held record waits as a change"
    );
    w.kintone.release_writes();
    eventually(10, || w.line.replies().len() == 1).await;
    eventually(10, || {
        count(&metrics.kintone_echoes) > 0 || count(&metrics.notifications) > 0
    })
    .await;
    let world = &w;
    until(10, "every change judged", move || async move {
        pending_changes(world).await == 0
    })
    .await;
    assert_eq!(pending_changes(&w).await, 0, "the held change was judged");
    assert_eq!(
        count(&metrics.notifications),
        0,
        "the echo notified someone"
    );
    assert!(w.line.pushes().is_empty());
}

/// A counter from the daemon's `/metrics`.
async fn metric(d: &Daemon, name: &str) -> u64 {
    let text = reqwest::get(format!("http://{}/metrics", d.addr))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let key = format!("klg_{name}_total ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

/// Waits (up to 10 s) until `f` holds for the daemon's metrics.
async fn metrics_until(d: &Daemon, names: &[&str], f: impl Fn(&[u64]) -> bool) -> Vec<u64> {
    for _ in 0..500 {
        let mut v = Vec::new();
        for n in names {
            v.push(metric(d, n).await);
        }
        if f(&v) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("metrics {names:?} never got there");
}

async fn started(site: &Site, dir: &std::path::Path, run: u32, k: &FakeKintone) -> Daemon {
    let d = Daemon::start(site, dir, run).await;
    k.set_webhook(Some(format!(
        "http://{}/kintone/webhook/{HOOK_TOKEN}",
        d.addr
    )));
    d
}

async fn killed_while_the_answer_is_outstanding(m: &Method) {
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    setup(&kintone);
    let dir = tempfile::tempdir().expect("dir");
    let site = Site {
        kintone_timeout: PATIENT,
        ..Site::for_fakes(&line, &kintone, &app(m), &rules(m))
    };
    seed(&Store::open(&dir.path().join("state")).expect("store")).await;
    let daemon = started(&site, dir.path(), 1, &kintone).await;
    eventually(10, || daemon.log().contains("baseline set")).await;

    // kintone applies the write and sends its webhook; its answer never
    // reaches this process.
    kintone.echo_before_answer();
    let tap = line.postback_event(USER, DATA);
    let url = format!("http://{}/line/webhook", daemon.addr);
    assert_eq!(line.deliver(&url, &[tap]).await.expect("deliver").0, 200);
    echo_answered_answer_held(&kintone, m).await;
    if m.webhook != COMMENT.webhook {
        let seen = metrics_until(&daemon, &["kintone_held_changes", "notifications"], |v| {
            v[0] > 0 || v[1] > 0
        })
        .await;
        assert_eq!(seen[1], 0, "the echo notified someone before the kill");
    }
    daemon.kill();
    kintone.release_writes();

    let daemon = started(&site, dir.path(), 2, &kintone).await;
    // The resumed write-back finds its write done and answers once.
    eventually(15, || line.replies().len() == 1).await;
    if m.webhook != COMMENT.webhook {
        let seen = metrics_until(&daemon, &["kintone_echoes", "notifications"], |v| {
            v[0] > 0 || v[1] > 0
        })
        .await;
        assert_eq!(seen[1], 0, "the echo notified someone after the restart");
    }
    assert!(line.pushes().is_empty(), "the echo notified someone");
    assert_eq!(line.reply_calls(), 1);
    assert_eq!(
        kintone.calls(m.write.0, m.write.1),
        1,
        "the write-back was not made twice"
    );
}

#[tokio::test]
async fn killed_while_a_status_answer_is_outstanding_no_one_is_notified() {
    killed_while_the_answer_is_outstanding(&STATUS).await;
}

#[tokio::test]
async fn killed_while_a_field_answer_is_outstanding_no_one_is_notified() {
    killed_while_the_answer_is_outstanding(&FIELDS).await;
}

#[tokio::test]
async fn killed_while_a_comment_answer_is_outstanding_no_one_is_notified() {
    killed_while_the_answer_is_outstanding(&COMMENT).await;
}

/// The control: the rules above do fire when a person makes the same move.
#[tokio::test]
async fn the_same_moves_made_by_a_person_notify() {
    let tail = format!(
        "{}\n[[rules]]\napp = 1\n{}\nrecipients = [\"{USER}\"]\n",
        rules(&STATUS),
        FIELDS.rule
    );
    let w = World::start_with(&app(&STATUS), &tail, |k| {
        setup(k);
        k.set_record(6, 3, "Needs approval");
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Acknowledged");
    eventually(10, || w.line.pushes().len() == 1).await;
    w.kintone
        .user_sets_field(6, "Acknowledged_by", json!("Taro Yamada"));
    eventually(10, || w.line.pushes().len() == 2).await;
}

/// A person's change that takes the very revision the gateway's write
/// expected, while that write is on its way: the write is refused (409), and
/// the person's change notifies — it was held, not swallowed as an echo.
#[tokio::test]
async fn a_persons_change_to_the_revision_a_refused_write_expected_notifies() {
    let w = world(&app(&STATUS), &rules(&STATUS), setup).await;
    baseline(&w).await;
    let metrics = w.gateway().metrics.clone();
    let count = move |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    w.kintone.hold_writes();
    let tap = w.line.postback_event(USER, DATA);
    assert_eq!(w.deliver(&[tap]).await.0, 200);
    eventually(10, || w.kintone.held_writes() == 1).await;
    // Revision 3 → 5, as the gateway's action would have made it.
    assert_eq!(w.kintone.user_sets_status(5, "Acknowledged"), Some(5));
    // The gateway has looked at the person's change (held it, or judged it).
    eventually(10, || {
        [
            &metrics.kintone_held,
            &metrics.notifications,
            &metrics.kintone_echoes,
        ]
        .iter()
        .any(|m| count(m) > 0)
    })
    .await;
    w.kintone.release_writes();
    // The acknowledgement is answered (refused: the record moved on), and
    // every change is judged.
    eventually(10, || w.line.replies().len() == 1).await;
    let world = &w;
    until(10, "every change judged", move || async move {
        pending_changes(world).await == 0
    })
    .await;
    assert_eq!(pending_changes(&w).await, 0);
    assert_eq!(
        count(&metrics.notifications),
        1,
        "the person's change was swallowed as an echo"
    );
    assert_eq!(count(&metrics.kintone_echoes), 0, "nothing was ours");
    eventually(10, || w.line.pushes().len() == 1).await;
    assert!(w.line.pushes()[0].to_string().contains("Acknowledged"));
}

//! The pull loop alone, in front of the real emulator, with stand-in
//! handlers: a failed commit is handed back and comes again; a batch held
//! past its ack deadline stays ours.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use kintone_line_gateway::clock::Clock;
use kintone_line_gateway::config::ingress::PubsubSettings;
use kintone_line_gateway::config::live::Live;
use kintone_line_gateway::http::{LineWebhooks, Reply};
use kintone_line_gateway::metrics::Metrics;
use kintone_line_gateway::notify_api::limit::Limits;
use kintone_line_gateway::notify_api::ApiIntake;
use kintone_line_gateway::pull::{self, PullContext};
use kintone_line_gateway::sim::http::{SimRequest, SimResponse, SimServer};
use tokio_util::sync::CancellationToken;

use super::emulator::{self, Topic};
use super::{crash, line_message};
use crate::world::{eventually, until};

/// A pull loop on `subscription` at `api_base` handing LINE messages to
/// `line`; stop it with the token.
fn pull_loop(
    api_base: String,
    subscription: &str,
    line: Arc<dyn LineWebhooks>,
) -> (Arc<Metrics>, CancellationToken, tokio::task::JoinHandle<()>) {
    pull_loop_on(api_base, subscription, line, Clock::system())
}

/// [`pull_loop`] on `clock`.
fn pull_loop_on(
    api_base: String,
    subscription: &str,
    line: Arc<dyn LineWebhooks>,
    clock: Clock,
) -> (Arc<Metrics>, CancellationToken, tokio::task::JoinHandle<()>) {
    pull_loop_taking(api_base, subscription, line, clock, 10)
}

/// [`pull_loop_on`], asking for `max_messages` a pull.
fn pull_loop_taking(
    api_base: String,
    subscription: &str,
    line: Arc<dyn LineWebhooks>,
    clock: Clock,
    max_messages: u32,
) -> (Arc<Metrics>, CancellationToken, tokio::task::JoinHandle<()>) {
    let settings = PubsubSettings {
        project: emulator::PROJECT.to_owned(),
        subscription: subscription.to_owned(),
        credentials: None,
        api_base,
        max_messages,
        ack_deadline: Duration::from_secs(10),
        trouble_after: Duration::from_secs(300),
    };
    let metrics = Arc::new(Metrics::default());
    // Kept (not removed at the end): the store outlives this function.
    let store =
        kintone_line_gateway::store::Store::open(&tempfile::tempdir().unwrap().keep()).unwrap();
    // No token: every LINE Notify message would be refused.
    let notify_api = Arc::new(ApiIntake {
        tokens: Live::new(Vec::new()),
        store: store.clone(),
        outbox_wake: Arc::default(),
        clock: clock.clone(),
        limits: Limits::default(),
    });
    let ctx = PullContext {
        client: pull::client(&settings, Duration::from_secs(5)).unwrap(),
        settings,
        site: String::new(),
        line,
        kintone: None,
        notify_api,
        metrics: metrics.clone(),
        clock: clock.clone(),
        store,
        beat: Box::new(|| {}),
    };
    let stop = CancellationToken::new();
    let task = tokio::spawn(pull::run(Arc::new(ctx), stop.clone()));
    (metrics, stop, task)
}

type Answer = std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'static>>;

fn answer(status: u16) -> Reply {
    Reply::error(hyper::StatusCode::from_u16(status).unwrap(), "test")
}

/// A LINE handler that fails (503, as when the store cannot commit) the
/// first `fail` times, then takes the webhook.
struct Flaky {
    fail: usize,
    calls: std::sync::atomic::AtomicUsize,
}

impl LineWebhooks for Flaky {
    fn handle(&self, _: Option<String>, _: bytes::Bytes, _: i64) -> Answer {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let status = if n < self.fail { 503 } else { 200 };
        Box::pin(async move { answer(status) })
    }
}

#[tokio::test]
async fn a_message_the_handler_could_not_commit_is_handed_back_and_comes_again() {
    let topic = Topic::create("flaky", 10).await;
    let flaky = Arc::new(Flaky {
        fail: 2,
        calls: Default::default(),
    });
    let (metrics, stop, task) = pull_loop(topic.api_base(), &topic.subscription, flaky.clone());
    topic.publish(&[line_message("{}", "sig", "")]).await;

    // Handed back at once (deadline 0): two expiries of the 10 s deadline
    // would take longer than this wait.
    eventually(15, || metrics.pubsub.acked.load(Ordering::Relaxed) == 1).await;
    assert_eq!(flaky.calls.load(Ordering::Relaxed), 3);
    assert_eq!(metrics.pubsub.nacked.load(Ordering::Relaxed), 2);
    assert_eq!(metrics.pubsub.pulled.load(Ordering::Relaxed), 3);
    stop.cancel();
    task.await.unwrap();
}

/// A LINE handler whose first call waits until released; later calls
/// answer at once. Every call is counted.
#[derive(Default)]
struct Held {
    release: Arc<tokio::sync::Notify>,
    calls: std::sync::atomic::AtomicUsize,
}

impl LineWebhooks for Held {
    fn handle(&self, _: Option<String>, _: bytes::Bytes, _: i64) -> Answer {
        let first = self.calls.fetch_add(1, Ordering::Relaxed) == 0;
        let wait = first.then(|| self.release_handle());
        Box::pin(async move {
            if let Some(w) = wait {
                w.notified_owned().await;
            }
            answer(200)
        })
    }
}

impl Held {
    fn release_handle(&self) -> Arc<tokio::sync::Notify> {
        self.release.clone()
    }
}
#[tokio::test]
async fn a_batch_handled_past_its_deadline_is_kept_and_not_delivered_again() {
    let topic = Topic::create("slow", 10).await;
    let proxy = crash::proxy(topic.api_base()).await;
    proxy.hold_acks.store(false, Ordering::Relaxed);
    let held = Arc::new(Held::default());
    let (metrics, stop, task) =
        pull_loop(proxy.server.base_url(), &topic.subscription, held.clone());
    topic.publish(&[line_message("{}", "slow", "")]).await;

    // The scenario is "held past its deadline", which only Pub/Sub's own
    // clock can make: the handler has the message, then 13 s pass (not an
    // assertion on speed; Pub/Sub's 10 s deadline is the subject).
    until(20, "the handler has the message", || async {
        held.calls.load(Ordering::Relaxed) == 1
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(13)).await;
    // Another subscriber (a second pull, or Pub/Sub's own redelivery) is
    // handed nothing: the message is still leased to us.
    assert_eq!(topic.pull_now().await, 0, "delivered again while in hand");
    assert!(
        proxy.extensions.load(Ordering::Relaxed) >= 2,
        "extended at half the deadline"
    );
    held.release.notify_one();
    eventually(10, || metrics.pubsub.acked.load(Ordering::Relaxed) == 1).await;
    // A later message is taken; had the first expired, it would come with it.
    topic.publish(&[line_message("{}", "later", "")]).await;
    eventually(20, || metrics.pubsub.acked.load(Ordering::Relaxed) == 2).await;
    assert_eq!(held.calls.load(Ordering::Relaxed), 2, "the slow one once");
    assert_eq!(metrics.pubsub.pulled.load(Ordering::Relaxed), 2);
    stop.cancel();
    task.await.unwrap();
}

/// A LINE handler that holds every call until the test adds permits.
struct Gate {
    open: Arc<tokio::sync::Semaphore>,
    calls: std::sync::atomic::AtomicUsize,
}

impl LineWebhooks for Gate {
    fn handle(&self, _: Option<String>, _: bytes::Bytes, _: i64) -> Answer {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let open = self.open.clone();
        Box::pin(async move {
            let _permit = open.acquire().await;
            answer(200)
        })
    }
}

#[tokio::test]
async fn the_messages_of_a_batch_are_handled_at_once() {
    let topic = Topic::create("together", 10).await;
    let messages: Vec<_> = (0..3)
        .map(|i| line_message("{}", &format!("m{i}"), ""))
        .collect();
    topic.publish(&messages).await;
    let gate = Arc::new(Gate {
        open: Arc::new(tokio::sync::Semaphore::new(0)),
        calls: Default::default(),
    });
    let (metrics, stop, task) = pull_loop(topic.api_base(), &topic.subscription, gate.clone());

    // One at a time, the first would hold the rest of its batch back (and
    // each commit would wait for its own fsync); together they share one.
    until(
        20,
        "the whole first batch in the handler at once",
        || async {
            let pulled = metrics.pubsub.pulled.load(Ordering::Relaxed);
            pulled >= 2 && gate.calls.load(Ordering::Relaxed) as u64 == pulled
        },
    )
    .await;
    gate.open.add_permits(100);
    eventually(20, || metrics.pubsub.acked.load(Ordering::Relaxed) == 3).await;
    assert_eq!(gate.calls.load(Ordering::Relaxed), 3);
    stop.cancel();
    task.await.unwrap();
}

/// A board fed only by Pub/Sub, its clock an hour fast: the pull answers'
/// `Date` (Google's clock) teaches it the offset a webhook's delay would
/// have (before, it judged LINE's timestamps by its own clock alone).
#[tokio::test]
async fn pull_answers_teach_a_board_its_clocks_offset_from_lines() {
    const HOUR: i64 = 3_600_000;
    let topic = Topic::create("offset", 10).await;
    // The emulator sends no `Date`; the proxy in front of it (hyper) does,
    // as Google does.
    let proxy = crash::proxy(topic.api_base()).await;
    proxy.hold_acks.store(false, Ordering::Relaxed);
    let clock = Clock::offset_by(HOUR);
    assert_eq!(clock.line_offset_ms(), None);
    let flaky = Arc::new(Flaky {
        fail: 0,
        calls: Default::default(),
    });
    let (_, stop, task) = pull_loop_on(
        proxy.server.base_url(),
        &topic.subscription,
        flaky,
        clock.clone(),
    );
    topic.publish(&[line_message("{}", "tick", "")]).await;
    eventually(20, || clock.line_offset_ms().is_some()).await;
    let offset = clock.line_offset_ms().unwrap_or_default();
    assert!(
        (HOUR - 1_000..=HOUR + 2_000).contains(&offset),
        "an hour (Date has whole seconds): {offset} ms"
    );
    stop.cancel();
    task.await.unwrap();
}

/// A Pub/Sub stand-in on 127.0.0.1 for what the emulator never does (it
/// answers large messages one at a time): the first `n` pulls' answers are
/// longer than the board reads; later pulls wait a little and bring
/// nothing. Returns it and the `maxMessages` of each pull, in order.
async fn too_large_first(n: usize) -> (SimServer, Arc<std::sync::Mutex<Vec<u64>>>) {
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let long = bytes::Bytes::from(vec![b' '; (16 << 20) + 1]);
    let server = SimServer::start(Arc::new(move |req: SimRequest| {
        let (seen, long) = (seen.clone(), long.clone());
        Box::pin(async move {
            let empty = SimResponse::json(200, &serde_json::json!({}));
            if !req.path.ends_with(":pull") {
                return empty;
            }
            let max = req.json().and_then(|v| v["maxMessages"].as_u64());
            let first = {
                let mut s = seen.lock().unwrap();
                s.push(max.unwrap_or(0));
                s.len() <= n
            };
            if first {
                return SimResponse {
                    body: long,
                    ..empty
                };
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            empty
        })
    }))
    .await
    .unwrap();
    (server, asked)
}

/// An answer longer than the board reads is dropped unread, and the pulls
/// after it ask for fewer messages instead of failing the same way every
/// time: as many of the relay's largest as fit in an answer (11), then, if
/// that is still too large, one, which always fits. None of it is taken
/// for Pub/Sub being down.
#[tokio::test]
async fn an_answer_too_large_to_read_makes_the_next_pulls_take_fewer_messages() {
    let (pubsub, asked) = too_large_first(2).await;
    let line = Arc::new(Flaky {
        fail: 0,
        calls: Default::default(),
    });
    let (metrics, stop, task) = pull_loop_taking(
        pubsub.base_url(),
        "subscription-1",
        line,
        Clock::system(),
        100,
    );
    eventually(10, || asked.lock().unwrap().len() >= 4).await;
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked[..4], [100, 11, 1, 1], "{asked:?}");
    assert_eq!(metrics.pubsub.too_large.load(Ordering::Relaxed), 2);
    assert_eq!(metrics.pubsub.down.load(Ordering::Relaxed), 0);
    stop.cancel();
    task.await.unwrap();

    // A board asking for no more than 11 goes straight to one.
    let (pubsub, asked) = too_large_first(1).await;
    let line = Arc::new(Flaky {
        fail: 0,
        calls: Default::default(),
    });
    let (_, stop, task) = pull_loop(pubsub.base_url(), "subscription-1", line);
    eventually(10, || asked.lock().unwrap().len() >= 3).await;
    assert_eq!(asked.lock().unwrap()[..3], [10, 1, 1]);
    stop.cancel();
    task.await.unwrap();
}

//! kill -9 of the daemon binary while it holds a pulled batch: what it
//! committed comes again after the ack deadline and is deduplicated; what it
//! had not reached comes to the next run. Nothing lost, nothing doubled.
//!
//! The daemon pulls through a proxy that forwards everything to the
//! emulator but holds acknowledgements while told to: so the kill surely
//! falls between commit and acknowledgement, the window that matters.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::http::{SimResponse, SimServer};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN};
use kintone_line_gateway::store::Store;

use super::emulator::Topic;
use super::line_message;
use crate::daemon::Daemon;
use crate::world::{eventually, COMMENT_ACK, USER};

pub(super) struct Proxy {
    pub server: SimServer,
    pub hold_acks: Arc<AtomicBool>,
    acks_seen: Arc<AtomicUsize>,
    /// `:modifyAckDeadline` calls that extend (deadline above 0).
    pub extensions: Arc<AtomicUsize>,
}

/// Forwards to the emulator at `upstream`; `:acknowledge` calls never get
/// an answer while `hold_acks` is set.
pub(super) async fn proxy(upstream: String) -> Proxy {
    let hold_acks = Arc::new(AtomicBool::new(true));
    let acks_seen = Arc::new(AtomicUsize::new(0));
    let extensions = Arc::new(AtomicUsize::new(0));
    let (hold, seen, ext) = (hold_acks.clone(), acks_seen.clone(), extensions.clone());
    let http = reqwest::Client::new();
    let server = SimServer::start(Arc::new(move |req| {
        let (hold, seen, http, upstream) =
            (hold.clone(), seen.clone(), http.clone(), upstream.clone());
        let ext = ext.clone();
        Box::pin(async move {
            let extends = req.json().and_then(|v| v["ackDeadlineSeconds"].as_u64()) > Some(0);
            if req.path.ends_with(":modifyAckDeadline") && extends {
                ext.fetch_add(1, Ordering::Relaxed);
            }
            if req.path.ends_with(":acknowledge") {
                seen.fetch_add(1, Ordering::Relaxed);
                if hold.load(Ordering::Relaxed) {
                    std::future::pending::<()>().await;
                }
            }
            let resp = http
                .request(req.method.clone(), format!("{upstream}{}", req.path))
                .header("content-type", "application/json")
                .body(req.body.clone())
                .send()
                .await;
            match resp {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap_or_default();
                    SimResponse::text(status, body)
                }
                Err(_) => SimResponse::text(502, "upstream"),
            }
        })
    }))
    .await
    .expect("proxy");
    Proxy {
        server,
        hold_acks,
        acks_seen,
        extensions,
    }
}

fn rows(dir: &std::path::Path, sql: &str) -> i64 {
    let path = dir.join("state").join("gateway.db");
    let c =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the daemon's store");
    c.query_row(sql, [], |r| r.get(0)).expect("read")
}

/// A counter's value in the daemon's `/metrics`.
async fn metric(daemon: &Daemon, name: &str) -> u64 {
    let text = reqwest::get(format!("http://{}/metrics", daemon.addr))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn killed_while_holding_a_pulled_batch_loses_nothing_and_doubles_nothing() {
    const N: u64 = 50;
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    let topic = Topic::create("killed", 10).await;
    let proxy = proxy(topic.api_base()).await;
    let dir = tempfile::tempdir().unwrap();
    let tail = topic.ingress(&proxy.server.base_url(), "10s");
    let site = Site::for_fakes(&line, &kintone, COMMENT_ACK, &tail);
    let store = Store::open(&dir.path().join("state")).expect("store");
    let mut messages = Vec::new();
    for id in 1..=N {
        kintone.set_record(id, 3, "Needs approval");
        store
            .seed_notification_to(
                &format!("k{id}"),
                i64::try_from(id).unwrap(),
                "",
                now_ms(),
                &[USER],
            )
            .await
            .unwrap();
        let tap = line.postback_event(USER, &format!("ack:v1::1:{id}:k{id}"));
        let (body, sig) = line.webhook(&[tap]);
        messages.push(line_message(&body, &sig, ""));
    }
    drop(store);
    topic.publish(&messages).await;

    let daemon = Daemon::start(&site, dir.path(), 1).await;
    // A batch is committed and its acknowledgement is on the way: power off.
    eventually(30, || proxy.acks_seen.load(Ordering::Relaxed) > 0).await;
    let committed = rows(dir.path(), "SELECT COUNT(*) FROM inbox");
    assert!(committed > 0);
    daemon.kill();

    proxy.hold_acks.store(false, Ordering::Relaxed);
    let daemon = Daemon::start(&site, dir.path(), 2).await;
    // No acknowledgement reached Pub/Sub before the kill, so the second run
    // acknowledges all N: the `committed` ones come again once their
    // deadline runs out, and are found in the inbox already.
    let mut acked = 0;
    for _ in 0..1500 {
        acked = metric(&daemon, "klg_pubsub_acked_total").await;
        if acked >= N {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    assert_eq!(acked, N, "{}", daemon.log());
    eventually(30, || {
        rows(dir.path(), "SELECT COUNT(*) FROM inbox") == N as i64
            && rows(dir.path(), "SELECT COUNT(*) FROM inbox_queue") == 0
    })
    .await;
    let comments = kintone.comment_texts();
    assert_eq!(comments.len(), N as usize, "each written exactly once");
    let mut unique = comments.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), N as usize);
    assert_eq!(rows(dir.path(), "SELECT COUNT(*) FROM inbox"), N as i64);
}

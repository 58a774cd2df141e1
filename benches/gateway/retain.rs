//! `-- retain`: the store stays bounded. 100,000 acknowledgements are
//! written through the store as the acknowledgement loop writes them (the
//! signed event's JSON in the inbox, finished with its audit row in one
//! transaction), then pruning passes run as the daemon's pruner would on a
//! clock 2 days, 9 days and 400 days on (the default `[retention]`). Printed
//! per pass: rows removed, how long the pass took and its longest step (how
//! long a loop's store call could wait behind it), and the file's size
//! (database + WAL, after a checkpoint); then the size after `VACUUM`.
//!
//! In process, on the library's store: the daemon binary has no way to be
//! told that a year has passed.

use kintone_line_gateway::store::audit::AckRecord;
use kintone_line_gateway::store::inbox::{EventEnvelope, Finish};
use kintone_line_gateway::store::retention::{Horizons, Spans};
use kintone_line_gateway::store::Store;

use super::*;

const ACKS: usize = 100_000;
const DAY_MS: i64 = 86_400_000;

pub(super) async fn retain() {
    println!("\n== Retention: {ACKS} acknowledgements, then pruning passes (default [retention])");
    let line = FakeLine::start().await.expect("fake LINE");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let now = kintone_line_gateway::clock::now_ms();
    let t0 = Instant::now();
    fill(&store, &line, now).await;
    println!(
        "  written in {:.1} s; store {}",
        t0.elapsed().as_secs_f64(),
        size(&store, dir.path()).await
    );
    for (days, what) in [
        (
            2,
            "nothing yet: bodies went when each event finished; keys and audit kept",
        ),
        (9, "keys past the 7-day window (+1 day) deleted"),
        (400, "audit rows past a year deleted"),
    ] {
        let at = now + days * DAY_MS;
        let spans = Spans {
            line_events: Duration::from_secs(86_400),
            line_dedup: Duration::from_secs(7 * 86_400),
            audit: Duration::from_secs(365 * 86_400),
            history: Duration::from_secs(62 * 86_400),
        };
        let mut longest = Duration::ZERO;
        let mut last = Instant::now();
        let t0 = last;
        let counts = store
            .prune_pass(Horizons::at(at, at, at, spans), |_, _| {
                longest = longest.max(last.elapsed());
                last = Instant::now();
            })
            .await
            .expect("pass");
        println!(
            "  pass at +{days} d ({what}): {} rows ({}) in {:.2} s, longest step {}; store {}",
            counts.total(),
            counts.summary(),
            t0.elapsed().as_secs_f64(),
            ms(longest),
            size(&store, dir.path()).await
        );
    }
    // Outside any transaction: a connection of its own, the store idle.
    let c = rusqlite::Connection::open(dir.path().join("gateway.db")).expect("db");
    c.execute_batch("VACUUM").expect("vacuum");
    drop(c);
    println!("  after VACUUM: {}", size(&store, dir.path()).await);
}

/// `ACKS` taps stored and finished with their audit rows, as the loop does:
/// many calls at once, so group commit takes them in batches.
async fn fill(store: &Store, line: &FakeLine, now: i64) {
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in 0..ACKS / 100 {
        let store = store.clone();
        let events: Vec<EventEnvelope> = (0..100)
            .map(|i| {
                let e =
                    line.postback_event(USER, &format!("ack:v1::1:{}:n{chunk}", chunk * 100 + i));
                EventEnvelope {
                    id: e["webhookEventId"].as_str().unwrap_or_default().to_owned(),
                    timestamp_ms: now,
                    redelivery: false,
                    kind: "postback".into(),
                    json: e.to_string(),
                    reply_token: None,
                }
            })
            .collect();
        tasks.spawn(async move {
            let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
            store.inbox_insert(events, now).await.expect("insert");
            for id in ids {
                let row = store.inbox_get(&id).await.expect("read").expect("row");
                let audit = AckRecord {
                    at_ms: now,
                    event_id: id,
                    line_user_id: Some(USER.into()),
                    actor: "Taro Yamada".into(),
                    app: 1,
                    record: 5,
                    notification: format!("n{chunk}"),
                    method: "comment".into(),
                    outcome: "written".into(),
                    reply: "replied".into(),
                };
                store
                    .inbox_finish(row.seq, Finish::Done, None, (Some(audit), None), None, now)
                    .await
                    .expect("finish");
            }
        });
        if tasks.len() >= 64 {
            tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// The database file and its WAL after a checkpoint, in MiB.
async fn size(store: &Store, dir: &Path) -> String {
    // A commit first, so the store's own connections are between
    // transactions; the checkpoint runs on a connection of its own.
    store.probe().await.expect("probe");
    let c = rusqlite::Connection::open(dir.join("gateway.db")).expect("db");
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    drop(c);
    let len = |name: &str| {
        std::fs::metadata(dir.join(name))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    format!(
        "{:.1} MiB (WAL {:.1} MiB)",
        (len("gateway.db") + len("gateway.db-wal")) as f64 / 1_048_576.0,
        len("gateway.db-wal") as f64 / 1_048_576.0
    )
}

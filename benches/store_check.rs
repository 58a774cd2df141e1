//! What the start-up integrity check costs (issue #15 §2): a store with
//! 100,000 inbox rows (each a postback event's JSON, ~600 bytes), then
//! `PRAGMA quick_check` (run by every start), `PRAGMA integrity_check` (run
//! by `doctor`) and the whole `Store::open`, three times each, cold and
//! warm page cache alike as the OS has it. `cargo bench --bench store_check`
//! (`-- 20000` for another row count). Prints figures; asserts nothing.
//! Figures in docs/BENCHMARKS.md.

use kintone_line_gateway::store::Store;
use tokio::time::Instant;

fn main() {
    let rows: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    drop(Store::open(dir.path()).expect("a new store"));
    let db = dir.path().join("gateway.db");
    fill(&db, rows);
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!(
        "store: {rows} inbox rows, {:.1} MiB",
        size as f64 / 1024.0 / 1024.0
    );
    for pragma in ["quick_check", "integrity_check"] {
        let times: Vec<f64> = (0..3).map(|_| check(&db, pragma)).collect();
        println!("PRAGMA {pragma}: {}", ms(&times));
    }
    let times: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            drop(Store::open(dir.path()).expect("the store opens"));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    println!(
        "Store::open (with quick_check and migrations): {}",
        ms(&times)
    );
}

fn fill(db: &std::path::Path, rows: i64) {
    let c = rusqlite::Connection::open(db).expect("db");
    c.execute_batch("BEGIN").expect("begin");
    let mut st = c
        .prepare(
            "INSERT INTO inbox(event_id, kind, json, event_ts_ms, received_ms)
             VALUES (?1, 'postback', ?2, ?3, ?3)",
        )
        .expect("insert");
    for i in 0..rows {
        let json = format!(
            r#"{{"type":"postback","mode":"active","timestamp":{i},"webhookEventId":"01J{i:0>23}","deliveryContext":{{"isRedelivery":false}},"source":{{"type":"user","userId":"U{i:0>32}"}},"replyToken":"{i:0>32}","postback":{{"data":"ack:v1::1:{i}:abc123{i:0>300}"}}}}"#
        );
        st.execute(rusqlite::params![format!("01J{i:0>23}"), json, i])
            .expect("row");
    }
    drop(st);
    c.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("commit");
}

/// One run of `PRAGMA name` on a fresh connection, in ms.
fn check(db: &std::path::Path, pragma: &str) -> f64 {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("db");
    let t = Instant::now();
    let found: String = c
        .query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))
        .expect("check");
    let took = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(found, "ok");
    took
}

fn ms(times: &[f64]) -> String {
    let list: Vec<String> = times.iter().map(|t| format!("{t:.0} ms")).collect();
    list.join(", ")
}

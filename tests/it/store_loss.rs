//! The store cannot disappear or rot unnoticed (issue 15 §2), against the
//! daemon binary: a store deleted while running turns webhooks and
//! `/healthz` to 503 and the next start is refused (66) until the operator
//! says `--new-store`; a damaged page stops the start (65) and `store
//! rescue` keeps what can be read, pending work included; `store compact`
//! gives an older store a new one's layout; a write the disk
//! refuses shows on the very next `/healthz`; the files are owner-only
//! whatever the umask.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN};
use kintone_line_gateway::store::inbox::EventEnvelope;
use kintone_line_gateway::store::rescue::damage::damage_first_leaf;
use kintone_line_gateway::store::{Store, MARKER};
use serde_json::Value;

use crate::daemon::{gateway, Daemon};
use crate::world::{eventually, stored_event, until, World, COMMENT_ACK, USER};

async fn fakes() -> (FakeLine, FakeKintone) {
    (
        FakeLine::start().await.expect("fake LINE"),
        FakeKintone::start(APP_TOKEN).await.expect("fake kintone"),
    )
}

async fn get(url: &str) -> (u16, String) {
    let resp = reqwest::get(url).await.expect("reachable");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

/// Starts `run` (with `args`) and waits for it to exit by itself: (exit
/// code, what it logged).
async fn run_refused(site: &Site, dir: &Path, run: u32, args: &[&str]) -> (Option<i32>, String) {
    let mut d = Daemon::spawn_with(site, dir, run, &[], args, gateway());
    let status = d.exited(Duration::from_secs(30)).await;
    let log = d.log();
    let status = status.unwrap_or_else(|| panic!("the daemon kept running:\n{log}"));
    (status.code(), log)
}

#[tokio::test]
async fn a_store_deleted_while_running_is_refused_at_once_and_at_the_next_start() {
    let (line, kintone) = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let site = Site::for_fakes(&line, &kintone, COMMENT_ACK, "");
    let mut daemon = Daemon::start(&site, dir.path(), 1).await;
    let state = dir.path().join("state");
    let webhook = format!("http://{}/line/webhook", daemon.addr);
    let health = format!("http://{}/healthz", daemon.addr);
    let tap = || line.postback_event(USER, "ack:v1::1:5:abc123");
    assert_eq!(line.deliver(&webhook, &[tap()]).await.unwrap().0, 200);

    for f in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
        std::fs::remove_file(state.join(f)).unwrap();
    }
    // Within a second of the last look the answer may still be 200 (and
    // stored in the deleted file); from then on never again.
    until(10, "a signed webhook is answered 503", || async {
        line.deliver(&webhook, &[tap()]).await.unwrap().0 == 503
    })
    .await;
    let (status, body) = get(&health).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("gateway.db was deleted"), "{body}");
    for _ in 0..5 {
        assert_eq!(line.deliver(&webhook, &[tap()]).await.unwrap().0, 503);
        assert_eq!(get(&health).await.0, 503);
    }
    let metrics = get(&format!("http://{}/metrics", daemon.addr)).await.1;
    assert!(metrics.contains("klg_store_down 1"), "{metrics}");
    let log = daemon.log();
    assert_eq!(
        log.matches("the store's file is no longer there").count(),
        1,
        "one clear error line, not a flood:\n{log}"
    );
    daemon.terminate(Duration::from_secs(30)).await;

    // The marker says there was a store: no silent empty one.
    let (code, log) = run_refused(&site, dir.path(), 2, &[]).await;
    assert_eq!(code, Some(66), "{log}");
    assert!(
        log.contains("がなくなっています：gateway.db がありません") && log.contains("--new-store"),
        "{log}"
    );
    assert!(!state.join("gateway.db").exists(), "nothing was created");
    let unit = std::fs::read_to_string("systemd/kintone-line-gateway.service").unwrap();
    assert!(unit.contains("RestartPreventExitStatus=64 65 66"), "{unit}");

    let marker = std::fs::read_to_string(state.join(MARKER)).unwrap();
    let d = Daemon::spawn_with(&site, dir.path(), 3, &[], &["--new-store"], gateway());
    d.healthy().await;
    assert_ne!(
        std::fs::read_to_string(state.join(MARKER)).unwrap(),
        marker,
        "the new store has a new marker"
    );
}

/// Overwrites the first leaf page of `table` with garbage (not page 1, the
/// header): what a bad SD card sector does. The store must be closed.
fn corrupt_a_leaf_of(db: &Path, table: &str) {
    let wal = db.with_file_name("gateway.db-wal");
    damage_first_leaf(db, table).unwrap();
    assert!(!wal.exists(), "everything was in the database file");
}

/// A postback tap already in the inbox, not yet handled.
/// A notification, and a tap on it waiting in the inbox.
async fn seed_a_pending_tap(store: &Store, line: &FakeLine) {
    store
        .seed_notification_to("abc123", 5, "", now_ms(), &[USER])
        .await
        .unwrap();
    store
        .inbox_insert(vec![pending_tap(line)], now_ms())
        .await
        .unwrap();
}

fn pending_tap(line: &FakeLine) -> EventEnvelope {
    let ev: Value = line.postback_event(USER, "ack:v1::1:5:abc123");
    stored_event(&ev)
}

#[tokio::test]
async fn a_damaged_store_stops_the_start_and_rescue_keeps_the_pending_work() {
    let (line, kintone) = fakes().await;
    kintone.set_record(5, 3, "Needs approval");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let site = Site::for_fakes(&line, &kintone, COMMENT_ACK, "");
    {
        let store = Store::open(&state).unwrap();
        seed_a_pending_tap(&store, &line).await;
        // Many pages of one table, for one of them to go bad.
        store
            .call(|c| {
                for i in 0..3000 {
                    c.execute(
                        "INSERT INTO invite_failures(line_user_id, at_ms) VALUES (?1, ?2)",
                        rusqlite::params![format!("U{i:0>60}"), i],
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
    }
    eventually(10, || {
        let c = rusqlite::Connection::open(state.join("gateway.db")).unwrap();
        let r: (i64, i64, i64) = c
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        r.0 == 0
    })
    .await;
    corrupt_a_leaf_of(&state.join("gateway.db"), "invite_failures");

    let (code, log) = run_refused(&site, dir.path(), 1, &[]).await;
    assert_eq!(code, Some(65), "{log}");
    assert!(
        log.contains("が壊れています") && log.contains("store rescue"),
        "{log}"
    );
    let (code, doctor) = crate::doctor::doctor(&site.write(dir.path()).unwrap());
    assert_eq!(code, Some(1), "{doctor}");
    assert!(
        doctor.contains("[問題] ストア：gateway.db が壊れています"),
        "{doctor}"
    );

    let out = gateway()
        .args(["store", "rescue", "--config"])
        .arg(site.write(dir.path()).unwrap())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // In the site's language (Japanese).
    assert!(
        report.contains("壊れたストアは別の名前で残しました"),
        "{report}"
    );
    let line_of = |table: &str| {
        report
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .unwrap_or_else(|| panic!("no line for {table}:\n{report}"))
            .to_owned()
    };
    assert!(line_of("inbox").ends_with(" 1 件を移しました"), "{report}");
    assert!(
        line_of("notifications").ends_with(" 1 件を移しました"),
        "{report}"
    );
    let failures = line_of("invite_failures");
    let kept: u64 = failures.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(
        failures.contains("（壊れていました）") && (2000..3000).contains(&kept),
        "{report}"
    );
    let aside: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            n.starts_with("gateway.db.damaged-") && !n.ends_with("-wal") && !n.ends_with("-shm")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept: {aside:?}");

    // The rescued store starts, and the tap that waited is written back.
    let _daemon = Daemon::start(&site, dir.path(), 2).await;
    eventually(15, || kintone.comment_texts().len() == 1).await;
}

#[tokio::test]
async fn a_write_the_disk_refuses_shows_on_the_very_next_healthz() {
    let w = World::start_with(COMMENT_ACK, "", |_| {}).await;
    let health = format!("http://{}/healthz", w.gateway().addr());
    // A healthy answer is cached for a second from here.
    assert_eq!(get(&health).await.0, 200);
    // The file may not grow: what a full disk does to every new page.
    w.store()
        .call(|c| {
            let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            c.pragma_update(None, "max_page_count", pages)?;
            Ok(())
        })
        .await
        .unwrap();
    let taps: Vec<Value> = (0..200)
        .map(|_| w.line.postback_event(USER, "ack:v1::1:5:abc123"))
        .collect();
    assert_eq!(w.deliver(&taps).await.0, 503, "nothing was stored");
    let (status, body) = get(&health).await;
    assert_eq!(status, 503, "the cached answer does not hide it: {body}");
    assert!(body.contains("full"), "{body}");

    w.store()
        .call(|c| {
            c.pragma_update(None, "max_page_count", 1_000_000)?;
            Ok(())
        })
        .await
        .unwrap();
    until(10, "healthy again once there is room", || async {
        get(&health).await.0 == 200
    })
    .await;
    assert_eq!(w.deliver(&taps).await.0, 200);
}

#[tokio::test]
async fn state_directory_and_store_files_are_owner_only_whatever_the_umask() {
    let (line, kintone) = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let site = Site::for_fakes(&line, &kintone, COMMENT_ACK, "");
    let inner = gateway();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "umask 000; exec \"$@\"", "sh"])
        .arg(inner.get_program())
        .args(inner.get_args());
    let d = Daemon::spawn_with(&site, dir.path(), 1, &[], &[], cmd);
    d.healthy().await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let state = dir.path().join("state");
    assert_eq!(mode(&state), 0o700, "the state directory");
    for f in ["gateway.db", "gateway.db-wal", MARKER] {
        assert_eq!(mode(&state.join(f)), 0o600, "{f}");
    }
    // The WAL index is in memory, named by the database file's inode and
    // device; beside the store only the link that keeps other SQLites out.
    let db = std::fs::metadata(state.join("gateway.db")).unwrap();
    let low = |n: u64| n & 0xffff_ffff;
    let index = format!(
        "/dev/shm/sqlite-shm-{:x}-{:x}",
        low(db.ino()),
        low(db.dev())
    );
    assert_eq!(mode(Path::new(&index)), 0o600, "{index}");
    let link = std::fs::symlink_metadata(state.join("gateway.db-shm")).unwrap();
    assert!(link.file_type().is_symlink(), "gateway.db-shm is the guard");
}

/// `store compact` gives a store made by an older gateway (4 KiB pages, no
/// auto-vacuum) a new store's layout and drops its free pages, keeping
/// every row; while the service has the store open it refuses and changes
/// nothing.
#[tokio::test]
async fn compact_gives_an_older_store_the_new_layout_and_refuses_while_the_service_runs() {
    let (line, kintone) = fakes().await;
    kintone.set_record(5, 3, "Needs approval");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let db = state.join("gateway.db");
    let site = Site::for_fakes(&line, &kintone, COMMENT_ACK, "");
    let config = site.write(dir.path()).unwrap();
    {
        let store = Store::open(&state).unwrap();
        seed_a_pending_tap(&store, &line).await;
    }
    let compact = || {
        let out = gateway()
            .args(["store", "compact", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), said)
    };
    let layout = || {
        let c = rusqlite::Connection::open(&db).unwrap();
        let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        let vacuum: i64 = c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0)).unwrap();
        let rows: Vec<i64> = ["inbox", "acks", "notifications", "deliveries", "cards"]
            .iter()
            .map(|t| {
                c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                    .unwrap()
            })
            .collect();
        (page, vacuum, rows)
    };

    // The layout of a store an older gateway made, with free pages in it.
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = DELETE;
             PRAGMA page_size = 4096; PRAGMA auto_vacuum = NONE; VACUUM;
             CREATE TABLE filler(x TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
             INSERT INTO filler SELECT printf('%0200d', i) FROM n;
             DROP TABLE filler; PRAGMA journal_mode = WAL;",
        )
        .unwrap();
    }
    {
        let _daemon = Daemon::start(&site, dir.path(), 1).await;
        eventually(15, || kintone.comment_texts().len() == 1).await;
        let (code, said) = compact();
        assert_eq!(code, Some(1), "{said}");
        assert!(said.contains("サービスを止めてから"), "{said}");
        assert_eq!(layout().0, 4096, "unchanged");
    }

    let (page, vacuum, rows) = layout();
    assert_eq!((page, vacuum), (4096, 0));
    assert_eq!(rows[1], 1, "the tap's audit row: {rows:?}");
    let before = std::fs::metadata(&db).unwrap().len();
    let (_, doctor) = crate::doctor::doctor(&config);
    assert!(
        doctor.contains("前の版が作ったストアです（ページ 4096 バイト）"),
        "{doctor}"
    );

    let (code, said) = compact();
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("ストアを書き直しました") && said.contains("（ページ 4096 → 512 バイト）"),
        "{said}"
    );
    assert!(
        said.contains("古い行を消した分だけファイルも小さくなります"),
        "{said}"
    );
    assert_eq!(layout(), (512, 2, rows), "every row kept");
    let after = std::fs::metadata(&db).unwrap().len();
    assert!(after * 2 < before, "free pages dropped: {before} → {after}");
    let (_, doctor) = crate::doctor::doctor(&config);
    assert!(
        doctor.contains("はすべて読めました") && !doctor.contains("store compact"),
        "{doctor}"
    );

    // The service starts on it.
    let _daemon = Daemon::start(&site, dir.path(), 2).await;
}

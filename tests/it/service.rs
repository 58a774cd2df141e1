//! The daemon under a stand-in for systemd: a `NOTIFY_SOCKET` datagram socket
//! and `WATCHDOG_USEC`, as systemd sets them for `Type=notify` with
//! `WatchdogSec=`. READY comes once the listener answers; WATCHDOG keeps
//! coming while the gateway makes progress and stops when its store hangs;
//! SIGHUP gives RELOADING … READY around a reload; SIGTERM gives STOPPING and
//! a clean exit.

use std::time::Duration;

use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN};
use kintone_line_gateway::text::Language;
use tokio::net::UnixDatagram;
use tokio::time::Instant;

use crate::daemon::Daemon;
use crate::world::COMMENT_ACK;

/// What the service manager has been told.
struct Manager {
    socket: UnixDatagram,
    seen: Vec<String>,
}

impl Manager {
    fn bind(path: &std::path::Path) -> Manager {
        Manager {
            socket: UnixDatagram::bind(path).expect("notify socket"),
            seen: Vec::new(),
        }
    }

    /// The next message within `limit`, if any.
    async fn next(&mut self, limit: Duration) -> Option<String> {
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(limit, self.socket.recv(&mut buf))
            .await
            .ok()?
            .expect("recv");
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        self.seen.push(msg.clone());
        Some(msg)
    }

    /// Waits for a message with `field` in it; panics after `limit`.
    async fn expect(&mut self, field: &str, limit: Duration) -> String {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(m) if has(&m, field) => return m,
                Some(_) => {}
                None => panic!("no {field} within {limit:?}; seen: {:#?}", self.seen),
            }
        }
    }

    /// Every message that arrives during `span`.
    async fn during(&mut self, span: Duration) -> Vec<String> {
        let end = Instant::now() + span;
        let mut got = Vec::new();
        while let Some(m) = self
            .next(end.saturating_duration_since(Instant::now()))
            .await
        {
            got.push(m);
        }
        got
    }
}

/// `field` is one of the message's `KEY=VALUE` lines (or a line's start).
fn has(msg: &str, field: &str) -> bool {
    msg.lines().any(|l| l.starts_with(field))
}

#[tokio::test]
async fn systemd_hears_ready_status_a_real_watchdog_and_stopping() {
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    let dir = tempfile::tempdir().unwrap();
    let site = Site {
        language: Language::En,
        ..Site::for_fakes(&line, &kintone, COMMENT_ACK, "")
    };
    let socket = dir.path().join("notify.sock");
    let mut manager = Manager::bind(&socket);
    // WatchdogSec=2s: the gateway pings every second while healthy.
    let mut daemon = Daemon::spawn(
        &site,
        dir.path(),
        1,
        &[
            ("NOTIFY_SOCKET", socket.display().to_string()),
            ("WATCHDOG_USEC", "2000000".to_owned()),
        ],
    );

    // READY=1 with a STATUS line, and only once the listener answers.
    let ready = manager.expect("READY=1", Duration::from_secs(15)).await;
    assert!(has(&ready, "STATUS=0 pending ack(s)"), "{ready:?}");
    let health = reqwest::get(format!("http://{}/healthz", daemon.addr))
        .await
        .expect("the listener is bound when READY=1 arrives");
    assert!(health.status().is_success());
    assert!(
        !manager.seen[..manager.seen.len() - 1]
            .iter()
            .any(|m| has(m, "READY=1")),
        "one READY"
    );

    // Healthy: WATCHDOG=1 at half the interval, each with the status line.
    let pings = manager.during(Duration::from_millis(3_500)).await;
    let watchdog: Vec<_> = pings.iter().filter(|m| has(m, "WATCHDOG=1")).collect();
    assert!(watchdog.len() >= 2, "pings while healthy: {pings:#?}");
    assert!(
        watchdog
            .iter()
            // No polling: kintone is never called, and not called ok.
            .all(|m| has(m, "STATUS=")
                && m.contains("kintone not contacted yet")
                && !m.contains("failing")),
        "{watchdog:#?}"
    );

    // The store hangs: another process holds its write lock. The pings stop
    // (so systemd would kill and restart the service) and STATUS says why.
    let db = rusqlite::Connection::open(dir.path().join("state/gateway.db")).expect("open db");
    db.execute_batch("BEGIN EXCLUSIVE").expect("lock the store");
    let stalled = manager
        .expect("STATUS=STALLED", Duration::from_secs(10))
        .await;
    assert!(stalled.contains("store"), "{stalled:?}");
    let while_hung = manager.during(Duration::from_millis(3_000)).await;
    assert!(
        !while_hung.iter().any(|m| has(m, "WATCHDOG=1")),
        "no watchdog ping while the store hangs: {while_hung:#?}"
    );

    // The lock goes away: the pings come back by themselves.
    db.execute_batch("ROLLBACK").expect("unlock");
    drop(db);
    manager.expect("WATCHDOG=1", Duration::from_secs(15)).await;

    // systemctl stop: SIGTERM → STOPPING=1, then a clean exit well within
    // the unit's TimeoutStopSec=30s.
    let status = daemon.terminate(Duration::from_secs(20)).await;
    manager.expect("STOPPING=1", Duration::from_secs(1)).await;
    let status = status.unwrap_or_else(|| panic!("still running:\n{}", daemon.log()));
    assert!(status.success(), "{status:?}\n{}", daemon.log());
}

/// The store's file deleted under the running daemon: a probe would still
/// commit (into the unlinked file), but the pings stop and STATUS says why,
/// so systemd restarts it into the refusal of a lost store (exit 66). The
/// site speaks Japanese (the default), and so does `STATUS=`.
#[tokio::test]
async fn a_deleted_store_stops_the_watchdog_and_says_so_in_status() {
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    let dir = tempfile::tempdir().unwrap();
    let site = Site::for_fakes(&line, &kintone, COMMENT_ACK, "");
    let socket = dir.path().join("notify.sock");
    let mut manager = Manager::bind(&socket);
    let _daemon = Daemon::spawn(
        &site,
        dir.path(),
        1,
        &[
            ("NOTIFY_SOCKET", socket.display().to_string()),
            ("WATCHDOG_USEC", "2000000".to_owned()),
        ],
    );
    let ready = manager.expect("READY=1", Duration::from_secs(15)).await;
    assert!(
        has(
            &ready,
            "STATUS=確認待ち 0 件、送信待ち 0 件、最後のプッシュ なし、LINE "
        ) && ready.contains("kintone まだ接続していません（今日 0 回）"),
        "{ready:?}"
    );
    manager.expect("WATCHDOG=1", Duration::from_secs(5)).await;

    for f in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
        std::fs::remove_file(dir.path().join("state").join(f)).unwrap();
    }
    let stalled = manager
        .expect("STATUS=止まっています：", Duration::from_secs(10))
        .await;
    assert!(
        stalled.contains("gateway.db が消されました")
            && stalled.contains("ストアに書き込めません（/healthz を見てください）。"),
        "{stalled:?}"
    );
    let after = manager.during(Duration::from_millis(3_000)).await;
    assert!(
        !after.iter().any(|m| has(m, "WATCHDOG=1")),
        "no watchdog ping into a deleted store: {after:#?}"
    );
}

/// `systemctl reload` (`ExecReload=/bin/kill -HUP $MAINPID`) on the real
/// binary: RELOADING=1 with MONOTONIC_USEC, then READY=1 with what changed in
/// STATUS; a bad config is refused with its problems logged and the daemon
/// runs on, on the config it had.
#[tokio::test]
async fn sighup_reloads_the_config_and_systemd_hears_reloading_then_ready() {
    const NEW_SECRET: &str = "the-reissued-channel-secret-0123";
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    let dir = tempfile::tempdir().unwrap();
    let mut site = Site {
        language: Language::En,
        ..Site::for_fakes(&line, &kintone, COMMENT_ACK, "")
    };
    let socket = dir.path().join("notify.sock");
    let mut manager = Manager::bind(&socket);
    let mut daemon = Daemon::spawn(
        &site,
        dir.path(),
        1,
        &[("NOTIFY_SOCKET", socket.display().to_string())],
    );
    manager.expect("READY=1", Duration::from_secs(15)).await;
    let hup = |pid: u32| {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "SIGHUP delivered");
    };

    // Rotation begins: the new secret first, the old one still listed.
    site.listen = Some(daemon.addr);
    site.previous_channel_secret = Some(site.channel_secret.clone());
    site.channel_secret = NEW_SECRET.into();
    site.write(dir.path()).unwrap();
    hup(daemon.pid());
    let reloading = manager.expect("RELOADING=1", Duration::from_secs(10)).await;
    assert!(has(&reloading, "MONOTONIC_USEC="), "{reloading:?}");
    let ready = manager.expect("READY=1", Duration::from_secs(10)).await;
    assert!(
        has(
            &ready,
            "STATUS=config reloaded; changed live: line.channel_secret"
        ),
        "{ready:?}"
    );
    let url = format!("http://{}/line/webhook", daemon.addr);
    let (status, _) = line
        .deliver(&url, &[line.follow_event(crate::world::USER)])
        .await
        .unwrap();
    assert_eq!(status, 200, "still signed with the old secret");
    line.reissue_secret(NEW_SECRET);
    let (status, _) = line
        .deliver(&url, &[line.follow_event(crate::world::USER)])
        .await
        .unwrap();
    assert_eq!(status, 200, "signed with the new secret");

    // A typo: refused, logged with its key, the daemon runs on.
    site.line_settings = "reply_deadlin = \"20s\"".into();
    site.write(dir.path()).unwrap();
    hup(daemon.pid());
    manager.expect("RELOADING=1", Duration::from_secs(10)).await;
    let ready = manager.expect("READY=1", Duration::from_secs(10)).await;
    assert!(
        has(&ready, "STATUS=reload refused: 1 problem(s)"),
        "{ready:?}"
    );
    let (status, _) = line
        .deliver(&url, &[line.follow_event(crate::world::USER)])
        .await
        .unwrap();
    assert_eq!(status, 200, "the reloaded secret is still in effect");
    let log = daemon.log();
    for expected in [
        "config reloaded; changed live: line.channel_secret",
        "matched the current secret of the rotation",
        "line.reply_deadlin: unknown key; did you mean \"line.reply_deadline\"?",
        "still running on the previous config",
    ] {
        assert!(
            log.contains(expected),
            "{expected:?} not in the log:\n{log}"
        );
    }
    assert!(!log.contains(NEW_SECRET), "a secret in the log:\n{log}");

    let status = daemon.terminate(Duration::from_secs(20)).await;
    let status = status.unwrap_or_else(|| panic!("still running:\n{}", daemon.log()));
    assert!(status.success(), "{status:?}\n{}", daemon.log());
}

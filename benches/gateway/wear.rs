//! `-- wear`: what the daemon costs an SD card and a small board (issue
//! #22). The release daemon in its own process, under a systemd stand-in
//! (`NOTIFY_SOCKET` and `WATCHDOG_USEC` as the unit's `WatchdogSec=30s`
//! sets them), against the simulators. Printed:
//!
//! - idle: bytes written per minute (`/proc/PID/io` `write_bytes`: what
//!   reaches the block layer, in whole 4 KiB pages) at the default 60 s poll
//!   with nothing changing; wake-ups per second (the times its threads were
//!   scheduled in, `/proc/PID/task/*/schedstat`, and their voluntary context
//!   switches); RSS. `KLG_BENCH_IDLE_SECS` shortens the minute for a quick
//!   run; the recorded figure is a whole minute.
//! - bytes per isolated acknowledgement (postback → inbox → write-back →
//!   reply → finished) and per isolated notification (webhook → re-read →
//!   change → notification → push), each measured from its request until
//!   half a second after LINE saw the answer or the push; and per event in
//!   a burst (2,000 acknowledgements over 32 connections, 300 changes), with
//!   the peak RSS of the acknowledgement burst.

use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::*;

/// The unit's `WatchdogSec=30s`.
const WATCHDOG_USEC: &str = "30000000";
/// Events measured one at a time.
const ISOLATED: usize = 20;
/// Taps before the isolated ones are measured (connections, profile lookup).
const WARM: usize = 3;
const ACK_BURST: usize = 2000;
const CHANGE_BURST: u64 = 300;
/// After an event's answer: its last commit (the row finished) lands.
const SETTLE: Duration = Duration::from_millis(500);

/// `parts`: `idle`, `acks`, `notifications` (none: all three).
pub(super) async fn wear(parts: &[String]) {
    println!(
        "\n== Wear: bytes written (/proc/PID/io write_bytes), wake-ups and RSS, under a systemd stand-in (WatchdogSec=30s)"
    );
    let part = |p: &str| parts.is_empty() || parts.iter().any(|w| w == p);
    if part("idle") {
        idle().await;
    }
    if part("acks") {
        acks().await;
    }
    if part("notifications") {
        notifications().await;
    }
}

/// A datagram socket standing in for systemd's notify socket; counts pings.
struct Systemd {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    pings: Arc<AtomicUsize>,
}

impl Systemd {
    fn start(dir: &Path) -> Systemd {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let (stop, pings) = (Arc::new(AtomicBool::new(false)), Arc::default());
        let (stop2, pings2): (_, Arc<AtomicUsize>) = (stop.clone(), Arc::clone(&pings));
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            while !stop2.load(Ordering::Relaxed) {
                if let Ok(n) = socket.recv(&mut buf) {
                    if String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1") {
                        pings2.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        Systemd { path, stop, pings }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("NOTIFY_SOCKET", self.path.display().to_string()),
            ("WATCHDOG_USEC", WATCHDOG_USEC.to_owned()),
        ]
    }

    fn pings(&self) -> usize {
        self.pings.load(Ordering::Relaxed)
    }
}

impl Drop for Systemd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The daemon's counters at one moment.
#[derive(Clone)]
struct Sample {
    written: u64,
    /// Times its threads were scheduled in, by thread name.
    runs: BTreeMap<String, u64>,
    voluntary: u64,
}

fn sample(pid: u32) -> Sample {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let written = field(&io, "write_bytes:");
    let (mut runs, mut voluntary) = (BTreeMap::new(), 0);
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            let sched = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
            *runs.entry(name.trim().to_owned()).or_default() += sched
                .split_whitespace()
                .nth(2)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            voluntary += field(&status, "voluntary_ctxt_switches:");
        }
    }
    Sample {
        written,
        runs,
        voluntary,
    }
}

/// Wake-ups per second between two samples: in all, and by thread name.
fn wakeups(a: &Sample, b: &Sample, secs: u64) -> (f64, String) {
    let per_s = |n: u64| n as f64 / secs.max(1) as f64;
    let by: Vec<(String, u64)> = b
        .runs
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.saturating_sub(a.runs.get(k).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let all = per_s(by.iter().map(|(_, n)| n).sum());
    let names: Vec<String> = by
        .iter()
        .map(|(k, n)| format!("{k} {:.1}", per_s(*n)))
        .collect();
    (all, names.join(", "))
}

/// The number after `key` at the start of one of `text`'s lines.
fn field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn rss_mib(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    field(&status, key) as f64 / 1024.0
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Median, mean and largest of per-event byte counts.
fn spread(mut v: Vec<u64>) -> String {
    v.sort_unstable();
    let n = v.len().max(1) as u64;
    format!(
        "median {}, mean {}, max {} ({} events)",
        kib(v.get(v.len() / 2).copied().unwrap_or(0)),
        kib(v.iter().sum::<u64>() / n),
        kib(v.last().copied().unwrap_or(0)),
        v.len()
    )
}

async fn idle() {
    let secs: u64 = std::env::var("KLG_BENCH_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    kintone.add_records(1, 100, "Open");
    let dir = tempfile::tempdir().expect("temp dir");
    let systemd = Systemd::start(dir.path());
    let app = "webhook_token = { file = \"hook-token\" }";
    let tail =
        format!("[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n");
    let site = site(&line, &kintone, app, &tail);
    let daemon = Daemon::start_with(&site, dir.path(), &systemd.env()).await;
    // Settled: the first poll (the baseline) done, and a watchdog period
    // (15 s) more, in which the status line saves what that poll changed
    // in its words ("kintone ok").
    wait_until(Duration::from_secs(10), || {
        kintone.calls("GET", "/k/v1/records.json") >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let (a, pings, polls) = (
        sample(daemon.pid),
        systemd.pings(),
        kintone.calls("GET", "/k/v1/records.json"),
    );
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let b = sample(daemon.pid);
    let (woke, by_thread) = wakeups(&a, &b, secs);
    println!(
        "  idle {secs} s (default 60 s poll: {} polls; {} watchdog pings; nothing changing): {} written per minute; \
         {woke:.1} wake-ups/s ({by_thread}; {:.1} voluntary context switches/s); RSS {:.1} MiB",
        kintone.calls("GET", "/k/v1/records.json") - polls,
        systemd.pings() - pings,
        kib(b.written.saturating_sub(a.written) * 60 / secs.max(1)),
        b.voluntary.saturating_sub(a.voluntary) as f64 / secs as f64,
        rss_mib(daemon.pid, "VmRSS:"),
    );
}

async fn acks() {
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    kintone.add_records(1, RECORDS, "Needs approval");
    let dir = tempfile::tempdir().expect("temp dir");
    let systemd = Systemd::start(dir.path());
    let app = "poll = false\n[kintone.apps.ack]\nmethod = \"comment\"\ncomment = \"Acknowledged by {{name}} at {{time}}\"\n";
    let site = site(&line, &kintone, app, "");
    let daemon = Daemon::start_with(&site, dir.path(), &systemd.env()).await;
    seed_notifications(dir.path(), &[(WARM + ISOLATED, 0), (ACK_BURST, 1_000_000)]);
    // The seeding is the bench's own writing: checkpointed here, so the
    // daemon's next checkpoint does not copy it on an acknowledgement's bill.
    rusqlite::Connection::open(dir.path().join("state").join("gateway.db"))
        .and_then(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())))
        .expect("checkpoint after seeding");
    let url = format!("http://{}/line/webhook", daemon.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let mut each = Vec::new();
    for (i, (body, sig)) in bodies(&line, WARM + ISOLATED, 0).into_iter().enumerate() {
        let a = sample(daemon.pid).written;
        post(&http, &url, body, sig).await;
        wait_until(Duration::from_secs(10), || line.reply_count() > i).await;
        tokio::time::sleep(SETTLE).await;
        if i >= WARM {
            each.push(sample(daemon.pid).written.saturating_sub(a));
        }
    }
    println!("  one acknowledgement on its own: {}", spread(each));
    let batch = bodies(&line, ACK_BURST, 1_000_000);
    let (r0, a, t0) = (
        line.reply_count(),
        sample(daemon.pid).written,
        Instant::now(),
    );
    send_all(&http, &url, batch, 32).await;
    let done = wait_until(Duration::from_secs(60), || {
        line.reply_count() >= r0 + ACK_BURST
    })
    .await;
    let took = t0.elapsed();
    // Where the resident memory is just after the burst: the heap and
    // stacks (anonymous), the binary's own pages and SQLite's files (file),
    // the WAL index (shared).
    let parts: Vec<String> = ["RssAnon:", "RssFile:", "RssShmem:"]
        .iter()
        .map(|k| format!("{} {:.1}", k.trim_end_matches(':'), rss_mib(daemon.pid, k)))
        .collect();
    tokio::time::sleep(SETTLE * 2).await;
    let written = sample(daemon.pid).written.saturating_sub(a);
    println!(
        "  {ACK_BURST} acknowledgements over 32 connections in {:.1} s{}: {} each ({} in all); peak RSS {:.1} MiB (at the end: {} MiB)",
        took.as_secs_f64(),
        if done { "" } else { " (TIMED OUT)" },
        kib(written / ACK_BURST as u64),
        kib(written),
        rss_mib(daemon.pid, "VmHWM:"),
        parts.join(", "),
    );
}

async fn notifications() {
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    let isolated = ISOLATED as u64;
    kintone.add_records(1, isolated + CHANGE_BURST, "Open");
    let dir = tempfile::tempdir().expect("temp dir");
    let systemd = Systemd::start(dir.path());
    let app = "webhook_token = { file = \"hook-token\" }";
    let tail = format!(
        "{}[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n",
        rules_per_person(ISOLATED)
    );
    let site = site(&line, &kintone, app, &tail);
    let daemon = Daemon::start_with(&site, dir.path(), &systemd.env()).await;
    wait_until(Duration::from_secs(10), || {
        kintone.calls("GET", "/k/v1/records.json") >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    kintone.set_webhook(Some(format!(
        "http://{}/kintone/webhook/{HOOK_TOKEN}",
        daemon.addr
    )));
    let mut counter = CardCounter::default();
    let mut each = Vec::new();
    for k in 0..ISOLATED {
        let a = sample(daemon.pid).written;
        kintone.user_sets_status(k as u64 + 1, &format!("Step {k}"));
        wait_until(Duration::from_secs(10), || counter.count(&line) > k).await;
        tokio::time::sleep(SETTLE).await;
        each.push(sample(daemon.pid).written.saturating_sub(a));
    }
    println!(
        "  one notification on its own (webhook, each to its own person): {}",
        spread(each)
    );
    let (a, t0) = (sample(daemon.pid).written, Instant::now());
    for id in isolated + 1..=isolated + CHANGE_BURST {
        kintone.user_sets_status(id, "Needs approval");
    }
    let total = ISOLATED + CHANGE_BURST as usize;
    let done = wait_until(Duration::from_secs(150), || counter.count(&line) >= total).await;
    let took = t0.elapsed();
    tokio::time::sleep(SETTLE * 2).await;
    let written = sample(daemon.pid).written.saturating_sub(a);
    println!(
        "  {CHANGE_BURST} changes at once to one person ({} by webhook, the rest by the 60 s poll), delivered in {:.1} s{}: {} each ({} in all)",
        kintone.state.lock().map_or(0, |s| s.webhooks_sent) - ISOLATED as u64,
        took.as_secs_f64(),
        if done { "" } else { " (NOT ALL DELIVERED)" },
        kib(written / CHANGE_BURST),
        kib(written),
    );
}

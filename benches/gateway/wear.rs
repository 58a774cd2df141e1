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

use super::*;

#[path = "wear_proc.rs"]
mod wear_proc;
use wear_proc::{kib, rss_mib, sample, spread, wakeups, Systemd};

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
    checkpoint(dir.path(), "TRUNCATE");
    let url = format!("http://{}/line/webhook", daemon.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let mut each = Vec::new();
    for (i, (body, sig)) in bodies(&line, WARM + ISOLATED, 0).into_iter().enumerate() {
        written_back(dir.path());
        let a = sample(daemon.pid).written;
        post(&http, &url, body, sig).await;
        wait_until(Duration::from_secs(10), || line.reply_count() > i).await;
        tokio::time::sleep(SETTLE).await;
        if i >= WARM {
            each.push(sample(daemon.pid).written.saturating_sub(a));
        }
    }
    println!("  one acknowledgement on its own: {}", spread(each));
    keep_state(dir.path(), "acks");
    println!("    {}", checkpoint_share(dir.path(), WARM + ISOLATED));
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
    keep_state(dir.path(), "ack-burst");
    let rest = checkpoint_share(dir.path(), ACK_BURST);
    println!(
        "  {ACK_BURST} acknowledgements over 32 connections in {:.1} s{}: {} each ({} in all); peak RSS {:.1} MiB (at the end: {} MiB)",
        took.as_secs_f64(),
        if done { "" } else { " (TIMED OUT)" },
        kib(written / ACK_BURST as u64),
        kib(written),
        rss_mib(daemon.pid, "VmHWM:"),
        parts.join(", "),
    );
    println!("    {rest}");
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
    // The start-up's writing (the baseline poll) is the bench's setup:
    // copied into the database file here, not on the first events' bill.
    checkpoint(dir.path(), "TRUNCATE");
    kintone.set_webhook(Some(format!(
        "http://{}/kintone/webhook/{HOOK_TOKEN}",
        daemon.addr
    )));
    let mut counter = CardCounter::default();
    let mut each = Vec::new();
    for k in 0..ISOLATED {
        written_back(dir.path());
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
    keep_state(dir.path(), "notifications");
    println!("    {}", checkpoint_share(dir.path(), ISOLATED));
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
    println!(
        "    {}",
        checkpoint_share(dir.path(), CHANGE_BURST as usize)
    );
}

/// Writes back whatever of the store's files is still dirty in the page
/// cache, as the kernel's flusher does within 30 s: an event on its own in
/// an office comes minutes after the last, so it finds every block clean,
/// and a block it writes again (the WAL's last, the WAL index) counts again.
/// The bytes were charged to the daemon when it dirtied them, not here.
fn written_back(dir: &std::path::Path) {
    for name in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
        if let Ok(f) = std::fs::File::open(dir.join("state").join(name)) {
            let _ = f.sync_all();
        }
    }
}

/// What the events just measured still owe the database file: a checkpoint
/// copies each page the WAL holds into it. SQLite runs one once the WAL
/// holds 4 MiB (a few hundred events on their own); the bench runs it now,
/// from its own connection, and counts what that connection wrote, per
/// event. The WAL held only these events (and, after a burst, what the
/// daemon's own checkpoint in it left), so this is the share each carries,
/// or a little more: over a longer WAL, a page they share (an index's last
/// leaf) is copied once for more events.
fn checkpoint_share(dir: &std::path::Path, events: usize) -> String {
    written_back(dir);
    let before = sample(std::process::id()).written;
    let frames = checkpoint(dir, "PASSIVE");
    let copied = sample(std::process::id()).written.saturating_sub(before);
    format!(
        "+ copying them into the database file (a checkpoint of {frames} WAL frames): {} each ({} in all)",
        kib(copied / events.max(1) as u64),
        kib(copied),
    )
}

/// `PRAGMA wal_checkpoint(mode)` on the daemon's store, from the bench's
/// own connection (built with the daemon's SQLite flags, so it finds the
/// WAL index where the daemon keeps it); the frames it copied. A checkpoint
/// the daemon's connections kept from finishing (SQLite's busy flag, or
/// frames left behind a reader's snapshot) is run again, so that nothing
/// of the setup is left on the events' bill and nothing of theirs unseen.
fn checkpoint(dir: &std::path::Path, mode: &str) -> i64 {
    let c = rusqlite::Connection::open(dir.join("state").join("gateway.db")).expect("the store");
    let mut copied = 0;
    for _ in 0..50 {
        let (busy, log, frames): (i64, i64, i64) = c
            .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("checkpoint");
        copied = copied.max(frames);
        if busy == 0 && frames >= log {
            return copied;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the daemon kept the checkpoint from finishing for a second");
}

/// With `KLG_BENCH_KEEP_STATE=dir`: a copy of the daemon's store and WAL
/// after the isolated events, in `dir/part`, to see which pages each commit
/// wrote (the WAL's frame headers name them).
fn keep_state(from: &std::path::Path, part: &str) {
    let Some(to) = std::env::var_os("KLG_BENCH_KEEP_STATE") else {
        return;
    };
    let to = std::path::Path::new(&to).join(part);
    std::fs::create_dir_all(&to).expect("a folder for the store's copy");
    for f in ["gateway.db", "gateway.db-wal"] {
        std::fs::copy(from.join("state").join(f), to.join(f)).expect("copy the store");
    }
    println!("  (store and WAL copied to {})", to.display());
}

//! `cargo bench --bench gateway [-- ack|flood|notify|pacing|burst|pubsub|retain|wear|ui]`: the real daemon binary, as a
//! separate process, against the in-process LINE and kintone simulators.
//! Prints figures; asserts nothing. Every byte goes over 127.0.0.1.
//!
//! The gateway runs in its own process so that its peak RSS (`VmHWM`) and
//! CPU time (`utime + stime`) are its own, not the load generator's or the
//! simulators'. Both share this machine's cores, so the figures are for the
//! whole system on one box, as on a Pi that also runs its simulators.

#![expect(
    clippy::disallowed_methods,
    reason = "the bench measures the daemon in real time"
)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kintone_line_gateway::notify::poll::{daily_requests, DAILY_LIMIT};
use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN, HOOK_TOKEN};
use serde_json::{json, Value};

#[path = "gateway/pubsub.rs"]
mod pubsub;
#[path = "gateway/retain.rs"]
mod retain;
#[path = "gateway/ui.rs"]
mod ui;
#[path = "gateway/wear.rs"]
mod wear;

const USER: &str = "U0123456789abcdef0123456789abcdef";

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "kintone-line-gateway benchmark — {} core(s); gateway = the release binary in its own process",
        cores()
    );
    if run("ack") {
        rt.block_on(ack_loop());
    }
    if run("flood") {
        rt.block_on(flood());
    }
    if run("pubsub") {
        rt.block_on(pubsub::pubsub());
    }
    if run("retain") {
        rt.block_on(retain::retain());
    }
    if run("wear") {
        let parts: Vec<String> = which
            .iter()
            .filter(|w| ["idle", "acks", "notifications"].contains(&w.as_str()))
            .cloned()
            .collect();
        rt.block_on(wear::wear(&parts));
    }
    if run("ui") {
        rt.block_on(ui::ui());
    }
    if run("notify") {
        rt.block_on(notify_loop());
    } else if run("pacing") {
        // The pacing figures alone; their configs set no `[notify]` keys, so
        // an older daemon (KLG_BENCH_BIN) runs them at its own defaults.
        rt.block_on(pacing());
    } else if run("burst") {
        // The polled 1,000-change burst alone (its peak RSS; with
        // KLG_BENCH_RSS_TRACE=file, a trace of it).
        rt.block_on(burst(1000, Duration::from_millis(50)));
    }
}

// ---------------------------------------------------------------- the daemon

struct Daemon {
    child: Child,
    addr: SocketAddr,
    pid: u32,
}

impl Daemon {
    async fn start(site: &Site, dir: &Path) -> Daemon {
        Daemon::start_with(site, dir, &[]).await
    }

    /// [`Daemon::start`] with these environment variables set (the systemd
    /// stand-in's `NOTIFY_SOCKET` and `WATCHDOG_USEC`, for one).
    async fn start_with(site: &Site, dir: &Path, env: &[(&str, String)]) -> Daemon {
        let mut site = site.clone();
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        site.listen = Some(addr);
        let config = site.write(dir).expect("site");
        // KLG_BENCH_BIN: another build of the daemon, for A/B comparisons on
        // this noisy machine (run both in turns, compare the spread).
        let bin = std::env::var_os("KLG_BENCH_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_kintone-line-gateway").into());
        let child = Command::new(bin)
            .args(["run", "--config"])
            .arg(&config)
            .env_remove("NOTIFY_SOCKET")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(daemon_stderr())
            .spawn()
            .expect("the daemon starts");
        let pid = child.id();
        let daemon = Daemon { child, addr, pid };
        let http = reqwest::Client::new();
        for _ in 0..500 {
            if http
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return daemon;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the daemon did not become healthy");
    }

    /// User + system CPU time so far.
    fn cpu(&self) -> Duration {
        process_cpu(&self.pid.to_string())
    }

    /// Context switches so far, by thread name: each is a thread that slept
    /// (or was preempted) and ran again — the price of a hand-off.
    fn switches(&self) -> std::collections::BTreeMap<String, u64> {
        let mut by_name = std::collections::BTreeMap::new();
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else {
            return by_name;
        };
        for t in tasks.flatten() {
            let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            let n: u64 = status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            *by_name.entry(name.trim().to_owned()).or_default() += n;
        }
        by_name
    }

    /// Peak resident set size in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if std::env::var_os(DAEMON_STDERR).is_some() {
            // Stopped as systemd stops it, so what it prints at exit (e.g.
            // mimalloc's statistics with MIMALLOC_SHOW_STATS=1) is written.
            let _ = Command::new("kill")
                .args(["-TERM", &self.pid.to_string()])
                .status();
            for _ in 0..500 {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `KLG_BENCH_DAEMON_STDERR=file`: the daemon's standard error appended to
/// `file` (its log, and anything printed at exit), and the daemon stopped
/// with SIGTERM rather than killed. Unset, it goes nowhere.
const DAEMON_STDERR: &str = "KLG_BENCH_DAEMON_STDERR";

fn daemon_stderr() -> Stdio {
    let Some(path) = std::env::var_os(DAEMON_STDERR) else {
        return Stdio::null();
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// User + system CPU time so far of process `pid` (`self` for this one).
fn process_cpu(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / clock_ticks())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn site(line: &FakeLine, kintone: &FakeKintone, app: &str, tail: &str) -> Site {
    Site::for_fakes(line, kintone, app, tail)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while !f() {
        if Instant::now() > end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}

// ------------------------------------------------------ acknowledgement loop

const RECORDS: u64 = 1000;
/// Postbacks sent before anything is measured (connections, caches, the
/// profile lookup).
const WARM_UP: usize = 200;

async fn ack_loop() {
    println!("\n== Acknowledgement loop: signed postback → ingress → durable inbox → kintone comment → Reply");
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    kintone.add_records(1, RECORDS, "Needs approval");
    let dir = tempfile::tempdir().expect("temp dir");
    let app = "poll = false\n[kintone.apps.ack]\nmethod = \"comment\"\ncomment = \"Acknowledged by {{name}} at {{time}}\"\n";
    let daemon = Daemon::start(&site(&line, &kintone, app, ""), dir.path()).await;
    // Only a notification's recipients may acknowledge it: every tap below
    // answers a notification pushed to the tapping user.
    seed_notifications(
        dir.path(),
        &[(WARM_UP, 0), (20_000, 1_000_000), (5000, 2_000_000)],
    );
    let url = format!("http://{}/line/webhook", daemon.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");

    // Warm-up: connections, caches, the profile lookup.
    send_all(&http, &url, bodies(&line, WARM_UP, 0), 16).await;
    wait_until(Duration::from_secs(20), || line.reply_count() >= WARM_UP).await;

    // 1. Throughput: as fast as 32 connections can send.
    let n = 20_000;
    let batch = bodies(&line, n, 1_000_000);
    let replies0 = line.reply_count();
    let cpu0 = daemon.cpu();
    let switches0 = daemon.switches();
    let bench_cpu0 = process_cpu("self");
    let t0 = Instant::now();
    let lat = send_all(&http, &url, batch, 32).await;
    let ingested = t0.elapsed();
    let done = wait_until(Duration::from_secs(60), || {
        line.reply_count() >= replies0 + n
    })
    .await;
    let end_to_end = t0.elapsed();
    let cpu = daemon.cpu() - cpu0;
    let switches1 = daemon.switches();
    let bench_cpu = process_cpu("self") - bench_cpu0;
    let replied = line.reply_count() - replies0;
    let mut sorted = lat;
    sorted.sort();
    println!("  throughput, {n} postbacks over 32 connections:");
    println!(
        "    ingest (200 after fsync): {:.0} events/s; latency p50 {} p99 {}",
        n as f64 / ingested.as_secs_f64(),
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.99))
    );
    println!(
        "    end to end (reply seen at LINE): {:.0} events/s ({replied}/{n} replied{})",
        replied as f64 / end_to_end.as_secs_f64(),
        if done { "" } else { ", TIMED OUT" }
    );
    let per_event = |k: &str| {
        let before = switches0.get(k).copied().unwrap_or(0);
        switches1
            .get(k)
            .copied()
            .unwrap_or(0)
            .saturating_sub(before) as f64
            / n as f64
    };
    let total: f64 = switches1.keys().map(|k| per_event(k)).sum();
    let threads: Vec<String> = switches1
        .keys()
        .map(|k| format!("{k} {:.1}", per_event(k)))
        .collect();
    println!(
        "    gateway CPU: {:.0} µs per event (user+system); {total:.1} context switches per event ({})",
        cpu.as_secs_f64() * 1e6 / n as f64,
        threads.join(", ")
    );
    // The machine's whole budget at a rate r is cores / r per event; the
    // sender and both simulators take their share of it out of this process.
    println!(
        "    load generator + LINE and kintone simulators (this process) CPU: {:.0} µs per event; \
         {} cores give {:.0} µs per event in all at 10,000/s",
        bench_cpu.as_secs_f64() * 1e6 / n as f64,
        cores(),
        cores() as f64 * 1e6 / 10_000.0
    );
    let comments = kintone.comment_texts().len();
    let taps = WARM_UP + n; // one record comment each
    println!(
        "    kintone comments written: {comments} for {taps} taps ({})",
        match comments.cmp(&taps) {
            std::cmp::Ordering::Equal => "one each: none lost, none doubled".to_owned(),
            std::cmp::Ordering::Greater => format!("{} DOUBLED", comments - taps),
            std::cmp::Ordering::Less => format!("{} MISSING", taps - comments),
        }
    );

    // 2. Latency at a steady 1,000/s (open loop, timed from the schedule).
    let rate = 1000;
    let n = 5000;
    let batch = bodies(&line, n, 2_000_000);
    let lat = open_loop(&http, &url, batch, rate).await;
    let mut sorted = lat;
    sorted.sort();
    println!(
        "  ingest latency at {rate}/s ({n} postbacks): p50 {} p99 {} max {}",
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.99)),
        ms(*sorted.last().unwrap_or(&Duration::ZERO))
    );
    wait_until(Duration::from_secs(30), || {
        line.reply_count() >= replies0 + 20_000 + n
    })
    .await;
    println!(
        "  gateway peak RSS: {:.1} MiB",
        daemon.peak_rss_kib() as f64 / 1024.0
    );
}

/// Taps while kintone or LINE answers slowly: how many requests the gateway
/// keeps in flight at once (the tests check only the upper bound, the
/// clients' own limits; how close to it the gateway gets is this figure).
async fn flood() {
    println!("\n== Flood: taps while kintone or LINE answers slowly (requests in flight at once)");
    let app = "poll = false\n[kintone.apps.ack]\nmethod = \"comment\"\ncomment = \"Acknowledged by {{name}}\"\n";
    for (slow, taps, delay) in [("kintone", 200, 300), ("LINE", 100, 200)] {
        let line = FakeLine::start().await.expect("fake LINE");
        let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
        kintone.add_records(1, RECORDS, "Needs approval");
        let delay = Duration::from_millis(delay);
        if slow == "kintone" {
            kintone.delay_comments(delay);
        } else {
            line.delay_requests(delay);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let daemon = Daemon::start(&site(&line, &kintone, app, ""), dir.path()).await;
        seed_notifications(dir.path(), &[(taps, 3_000_000)]);
        let url = format!("http://{}/line/webhook", daemon.addr);
        let http = reqwest::Client::new();
        send_all(&http, &url, bodies(&line, taps, 3_000_000), 16).await;
        let done = wait_until(Duration::from_secs(60), || line.reply_count() >= taps).await;
        let (most, limit, refused) = if slow == "kintone" {
            let st = kintone.state.lock().expect("lock");
            let limit = kintone_line_gateway::kintone::client::MAX_IN_FLIGHT;
            (
                st.max_in_flight,
                limit,
                format!("; {} refused with 429", st.too_many),
            )
        } else {
            let limit = kintone_line_gateway::line::client::MAX_IN_FLIGHT;
            (line.max_in_flight(), limit, String::new())
        };
        println!(
            "  {slow} answering in {} ms, {taps} taps: at most {most} {slow} requests in flight \
             (the client's limit {limit}{refused}){}",
            delay.as_millis(),
            if done { "" } else { ", TIMED OUT" }
        );
    }
}

/// The record tap `i` of a batch acknowledges.
fn record_of(i: usize) -> u64 {
    (i as u64 % RECORDS) + 1
}

/// Stores the notifications `bodies(_, n, salt)` answer, for each `(n,
/// salt)`, as if each had been pushed to `USER`. Written straight into the
/// running gateway's database, as another process would, in one
/// transaction: the schema is the gateway's own, so the same bench can
/// measure an older binary (`KLG_BENCH_BIN`) on the same work.
fn seed_notifications(dir: &Path, batches: &[(usize, usize)]) {
    use kintone_line_gateway::store::notifications::{seed_in, Seed};
    let mut c = rusqlite::Connection::open(dir.join("state").join("gateway.db")).expect("store");
    c.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    let tx = c.transaction().expect("transaction");
    let now = kintone_line_gateway::clock::now_ms();
    for &(n, salt) in batches {
        for i in 0..n {
            let seed = Seed {
                id: format!("b{}", salt + i),
                app: 1,
                record: i64::try_from(record_of(i)).expect("record id"),
                rule: "r".into(),
                title: String::new(),
                created_ms: now,
                recipients: vec![USER.into()],
            };
            seed_in(&tx, &seed).expect("seeding a notification");
        }
    }
    tx.commit().expect("seeded");
}

/// `n` signed webhook bodies, one postback each, with fresh reply tokens.
fn bodies(line: &FakeLine, n: usize, salt: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let record = record_of(i);
            let data = format!("ack:v1::1:{record}:b{}", salt + i);
            let event = line.postback_event(USER, &data);
            line.webhook(&[event])
        })
        .collect()
}

async fn post(http: &reqwest::Client, url: &str, body: String, sig: String) -> bool {
    http.post(url)
        .header("content-type", "application/json")
        .header("x-line-signature", sig)
        .body(body)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Sends everything over `conns` connections, each request after the last.
async fn send_all(
    http: &reqwest::Client,
    url: &str,
    batch: Vec<(String, String)>,
    conns: usize,
) -> Vec<Duration> {
    let batch = Arc::new(Mutex::new(batch.into_iter()));
    let lat = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (batch, lat, failures) = (batch.clone(), lat.clone(), failures.clone());
        let (http, url) = (http.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            loop {
                let next = batch.lock().expect("lock").next();
                let Some((body, sig)) = next else { break };
                let t = Instant::now();
                if !post(&http, &url, body, sig).await {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                lat.lock().expect("lock").push(t.elapsed());
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let f = failures.load(Ordering::Relaxed);
    if f > 0 {
        println!("    ({f} requests failed)");
    }
    Arc::try_unwrap(lat)
        .map(|m| m.into_inner().unwrap_or_default())
        .unwrap_or_default()
}

/// Sends at a fixed rate regardless of answers; latency from the schedule.
async fn open_loop(
    http: &reqwest::Client,
    url: &str,
    batch: Vec<(String, String)>,
    rate: u64,
) -> Vec<Duration> {
    let start = tokio::time::Instant::now();
    let period = Duration::from_secs_f64(1.0 / rate as f64);
    let mut tasks = Vec::with_capacity(batch.len());
    for (i, (body, sig)) in batch.into_iter().enumerate() {
        let due = start + period * u32::try_from(i).unwrap_or(u32::MAX);
        tokio::time::sleep_until(due).await;
        let (http, url) = (http.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            post(&http, &url, body, sig).await;
            due.elapsed()
        }));
    }
    let mut lat = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(d) = t.await {
            lat.push(d);
        }
    }
    lat
}

// --------------------------------------------------------- notification loop

async fn notify_loop() {
    println!("\n== Notification loop: kintone webhook → re-read → field state → rule → outbox → LINE Push");
    let records: u64 = 2000;

    // 1. Pipeline latency with pacing off: no debounce, no ceiling.
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    kintone.add_records(1, records, "Open");
    let dir = tempfile::tempdir().expect("temp dir");
    let app = "webhook_token = { file = \"hook-token\" }";
    let tail = format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n\n[notify]\ndebounce = \"0s\"\nprompt_per_minute = 1000000\n"
    );
    let daemon = Daemon::start(&site(&line, &kintone, app, &tail), dir.path()).await;
    wait_until(Duration::from_secs(10), || {
        kintone.calls("GET", "/k/v1/records.json") >= 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hook = format!("http://{}/kintone/webhook/{HOOK_TOKEN}", daemon.addr);
    let http = reqwest::Client::new();
    let n = 500u64;
    let rate = 50.0;
    let mut sent: HashMap<u64, Instant> = HashMap::new();
    let start = tokio::time::Instant::now();
    for id in 1..=n {
        let due = start + Duration::from_secs_f64((id - 1) as f64 / rate);
        tokio::time::sleep_until(due).await;
        kintone.set_record(id, 2, "Needs approval");
        let record = kintone.record(id).unwrap_or(Value::Null);
        let body = json!({"id": format!("bench-{id}"), "type": "UPDATE_STATUS",
            "app": {"id": "1", "name": "Repairs"}, "record": record,
            "recordTitle": "", "url": ""});
        sent.insert(id, due.into_std());
        let http = http.clone();
        let hook = hook.clone();
        tokio::spawn(async move {
            let _ = http.post(&hook).json(&body).send().await;
        });
    }
    let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
    let mut counter = CardCounter::default();
    wait_until(Duration::from_secs(30), || counter.count(&line) >= n_usize).await;
    let mut lat = Vec::new();
    for push in line.accepted() {
        for id in card_records(&push.body) {
            if let Some(t) = sent.get(&id) {
                lat.push(push.at.saturating_duration_since(*t));
            }
        }
    }
    lat.sort();
    println!(
        "  change → push request latency at {rate:.0} changes/s ({n} changes, pacing off): p50 {} p99 {} ({} push requests)",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        line.accepted().len()
    );
    println!(
        "  gateway peak RSS: {:.1} MiB",
        daemon.peak_rss_kib() as f64 / 1024.0
    );
    drop(daemon);

    pacing().await;

    // 2. kintone's daily request budget at the default settings.
    let per_day = daily_requests(Duration::from_secs(60));
    println!(
        "  kintone API requests per app per day at the default 60 s poll: {per_day} ({}% of {DAILY_LIMIT}), plus one re-read per webhook and 1–3 per acknowledgement",
        per_day * 100 / DAILY_LIMIT
    );
}

/// A LINE user id for person `k`.
fn person(k: usize) -> String {
    format!("U{k:032x}")
}

/// One rule per person: a record moved to "Step k" notifies person k alone.
fn rules_per_person(people: usize) -> String {
    (0..people)
        .map(|k| {
            format!(
                "[[rules]]\nname = \"step-{k}\"\napp = 1\nto = [\"Step {k}\"]\nrecipients = [\"{}\"]\n\n",
                person(k)
            )
        })
        .collect()
}

/// The fakes and a daemon whose baseline poll has run, with kintone's
/// webhooks pointed at it.
async fn paced_daemon(
    records: u64,
    tail: &str,
) -> (FakeLine, FakeKintone, Daemon, tempfile::TempDir) {
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    kintone.add_records(1, records, "Open");
    let dir = tempfile::tempdir().expect("temp dir");
    let app = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"5s\"\nallow_over_budget = true";
    let daemon = Daemon::start(&site(&line, &kintone, app, tail), dir.path()).await;
    let pages = usize::try_from(records.div_ceil(500)).unwrap_or(usize::MAX);
    wait_until(Duration::from_secs(10), || {
        kintone.calls("GET", "/k/v1/records.json") >= pages
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    kintone.set_webhook(Some(format!(
        "http://{}/kintone/webhook/{HOOK_TOKEN}",
        daemon.addr
    )));
    (line, kintone, daemon, dir)
}

/// When each record's card was accepted by LINE (its first card).
fn accepted_at(line: &FakeLine) -> HashMap<u64, Instant> {
    let mut at = HashMap::new();
    for push in line.accepted() {
        for id in card_records(&push.body) {
            at.entry(id).or_insert(push.at);
        }
    }
    at
}

fn latencies(changed: &HashMap<u64, Instant>, line: &FakeLine) -> Vec<Duration> {
    let at = accepted_at(line);
    let mut lat: Vec<Duration> = changed
        .iter()
        .filter_map(|(id, t)| Some(at.get(id)?.saturating_duration_since(*t)))
        .collect();
    lat.sort();
    lat
}

fn dropped(kintone: &FakeKintone) -> u64 {
    kintone.state.lock().map_or(0, |s| s.webhooks_dropped)
}

/// Isolated changes: each to a person who has had nothing for a while, one
/// every 0.5 s (60 in 30 s: within kintone's 60 webhooks a minute).
async fn isolated_changes() {
    let n = 60;
    let (line, kintone, daemon, _dir) = paced_daemon(n, &rules_per_person(60)).await;
    let mut changed = HashMap::new();
    for i in 0..n {
        changed.insert(i + 1, Instant::now());
        kintone.user_sets_status(i + 1, &format!("Step {i}"));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let total = usize::try_from(n).unwrap_or(usize::MAX);
    wait_until(Duration::from_secs(30), || {
        accepted_at(&line).len() >= total
    })
    .await;
    let lat = latencies(&changed, &line);
    println!(
        "  isolated change → push accepted by LINE ({} changes, each to its own person, by kintone's webhook): p50 {} p99 {} max {}{}",
        lat.len(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO)),
        if dropped(&kintone) > 0 { " (WEBHOOKS DROPPED)" } else { "" }
    );
    drop(daemon);
}

/// A person gets a push; 10 s later a second change: measured is the
/// second one. 20 people, staggered by 0.5 s.
async fn second_change_after_a_push() {
    let people = 20;
    let (line, kintone, daemon, _dir) = paced_daemon(2 * people, &rules_per_person(20)).await;
    for k in 0..people {
        kintone.user_sets_status(k + 1, &format!("Step {k}"));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let firsts = usize::try_from(people).unwrap_or(usize::MAX);
    wait_until(Duration::from_secs(30), || {
        accepted_at(&line).len() >= firsts
    })
    .await;
    let first_at = accepted_at(&line);
    let mut changed = HashMap::new();
    let mut order: Vec<(Instant, u64)> = (0..people)
        .filter_map(|k| Some((*first_at.get(&(k + 1))? + Duration::from_secs(10), k)))
        .collect();
    order.sort();
    for (due, k) in order {
        tokio::time::sleep_until(due.into()).await;
        let id = people + k + 1;
        changed.insert(id, Instant::now());
        kintone.user_sets_status(id, &format!("Step {k}"));
    }
    wait_until(Duration::from_secs(60), || {
        accepted_at(&line).len() >= 2 * firsts
    })
    .await;
    let lat = latencies(&changed, &line);
    println!(
        "  second change 10 s after a push to the same person → push accepted ({} people): p50 {} p99 {} max {}{}",
        lat.len(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO)),
        if dropped(&kintone) > 0 { " (WEBHOOKS DROPPED)" } else { "" }
    );
    drop(daemon);
}

/// `n` changes to one person, one every `gap`: kintone announces the
/// first 60 by webhook, the 5 s poll finds the rest.
async fn burst(n: u64, gap: Duration) {
    let tail =
        format!("[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n");
    let (line, kintone, daemon, _dir) = paced_daemon(n, &tail).await;
    let t0 = Instant::now();
    let trace = RssTrace::start(&daemon, &line, &kintone, t0);
    for id in 1..=n {
        kintone.user_sets_status(id, "Needs approval");
        if !gap.is_zero() {
            tokio::time::sleep(gap).await;
        }
    }
    let spread = t0.elapsed();
    let total = usize::try_from(n).unwrap_or(usize::MAX);
    let mut counter = CardCounter::default();
    let delivered = wait_until(Duration::from_secs(90), || counter.count(&line) >= total).await;
    let last = line
        .accepted()
        .last()
        .map(|p| p.at.saturating_duration_since(t0 + spread));
    let sizes: Vec<String> = line
        .accepted()
        .iter()
        .map(|p| card_records(&p.body).len().to_string())
        .collect();
    println!(
        "  {n} changes to one person in {:.1} s ({} by webhook, the rest by the 5 s poll): {} push requests, {} messages counted, last card {:.1} s after the last change{}",
        spread.as_secs_f64(),
        kintone.state.lock().map_or(0, |s| s.webhooks_sent),
        line.accepted().len(),
        line.usage(),
        last.unwrap_or_default().as_secs_f64(),
        if delivered { "" } else { " (NOT ALL DELIVERED)" }
    );
    println!("    cards per request: {}", sizes.join(" "));
    trace.finish().await;
    println!(
        "  gateway peak RSS: {:.1} MiB",
        daemon.peak_rss_kib() as f64 / 1024.0
    );
    drop(daemon);
}

/// Pacing at the defaults (debounce 1 s, max wait 20 s, two prompt
/// part-filled requests per person per minute), with kintone's own webhooks
/// (at most 60 a minute; the fake drops more, as kintone does) and the 5 s
/// poll for the rest.
async fn pacing() {
    println!("\n== Pacing (when each person's pushes go), at the daemon's defaults");
    isolated_changes().await;
    second_change_after_a_push().await;
    burst(1000, Duration::from_millis(50)).await;
    burst(200, Duration::ZERO).await;
}

fn card_records(push: &Value) -> Vec<u64> {
    let text = push.to_string();
    text.split("ack:v1::1:")
        .skip(1)
        .filter_map(|p| p.split(':').next().and_then(|n| n.parse().ok()))
        .collect()
}

/// Counts the cards LINE has accepted, looking only at pushes it has not
/// counted yet: polling every few milliseconds must not re-serialise every
/// body each time, or the bench's own CPU use shows up as gateway latency.
#[derive(Default)]
struct CardCounter {
    pushes: usize,
    cards: usize,
}

impl CardCounter {
    fn count(&mut self, line: &FakeLine) -> usize {
        let new = line.accepted_from(self.pushes);
        self.pushes += new.len();
        self.cards += new
            .iter()
            .map(|p| card_records(&p.body).len())
            .sum::<usize>();
        self.cards
    }
}

/// With `KLG_BENCH_RSS_TRACE=file`: the daemon's `VmRSS` every 10 ms during a
/// burst, with the push requests LINE has seen and kintone's page reads so
/// far, written to the file as `ms rss_kib pushes pages` lines.
struct RssTrace {
    task: Option<(
        tokio::task::JoinHandle<Vec<String>>,
        Arc<AtomicUsize>,
        String,
    )>,
}

impl RssTrace {
    fn start(daemon: &Daemon, line: &FakeLine, kintone: &FakeKintone, t0: Instant) -> RssTrace {
        let Some(path) = std::env::var_os("KLG_BENCH_RSS_TRACE") else {
            return RssTrace { task: None };
        };
        let stop = Arc::new(AtomicUsize::new(0));
        let (pid, line, kintone, stop2) = (
            daemon.pid,
            line.state.clone(),
            kintone.state.clone(),
            stop.clone(),
        );
        let task = tokio::spawn(async move {
            let mut lines = Vec::new();
            while stop2.load(Ordering::Relaxed) == 0 {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                let rss = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next())
                    .unwrap_or("0")
                    .to_owned();
                let pushes = line.lock().map_or(0, |s| s.pushes.len());
                let pages = kintone.lock().map_or(0, |s| {
                    s.requests
                        .iter()
                        .filter(|r| r.path == "/k/v1/records.json")
                        .count()
                });
                lines.push(format!(
                    "{} {rss} {pushes} {pages}",
                    t0.elapsed().as_millis()
                ));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            lines
        });
        RssTrace {
            task: Some((task, stop, path.to_string_lossy().into_owned())),
        }
    }

    async fn finish(self) {
        let Some((task, stop, path)) = self.task else {
            return;
        };
        stop.store(1, Ordering::Relaxed);
        if let Ok(lines) = task.await {
            let _ = std::fs::write(&path, lines.join("\n") + "\n");
        }
    }
}

//! Hostile traffic against the release binary in its own process: the
//! figures of issue #15 §1, printed. `cargo bench --bench hostile`
//! (`-- flood`, `-- idle`, `-- healthz` for one part).
//!
//! - flood: 800 connections at once, each sending a 1 MiB body the gateway
//!   must refuse (a quarter unsigned, a quarter to a guessed kintone token,
//!   half with a wrong signature), and a signed webhook meanwhile: peak RSS,
//!   how the requests were answered, the signed one's attempts and time.
//! - idle: 1,100 idle sockets (more than systemd's default `nofile`): the
//!   daemon's descriptors, and how long `/healthz` then takes.
//! - healthz: `/healthz` back to back for 5 s from 8 clients: calls, store
//!   probes and bytes the process wrote (`/proc/PID/io`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

const MIB: usize = 1024 * 1024;
const USER: &str = "U0123456789abcdef0123456789abcdef";

struct Daemon {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    async fn start(line: &FakeLine, kintone: &FakeKintone, dir: &std::path::Path) -> Daemon {
        let mut site = Site::for_fakes(
            line,
            kintone,
            "webhook_token = { file = \"hook-token\" }",
            "",
        );
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        site.listen = Some(addr);
        let config = site.write(dir).expect("site");
        let child = Command::new(env!("CARGO_BIN_EXE_kintone-line-gateway"))
            .args(["run", "--config"])
            .arg(&config)
            .env_remove("NOTIFY_SOCKET")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the daemon starts");
        let daemon = Daemon { child, addr };
        for _ in 0..500 {
            if reqwest::get(format!("http://{addr}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return daemon;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the daemon did not become healthy");
    }

    fn proc(&self, file: &str, key: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/{file}", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).map_or(0, Iterator::count)
    }

    async fn metric(&self, name: &str) -> u64 {
        let text = reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// Sends a request with `body`; the status answered, if any.
async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(format!("{head}\r\nHost: gateway\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let _ = s.write_all(body).await;
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

async fn flood(line: &FakeLine, d: &Daemon) {
    static BODY: [u8; MIB] = [b'x'; MIB];
    let idle = d.proc("status", "VmHWM:");
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..800 {
        let head = match i % 4 {
            0 => format!("POST /line/webhook HTTP/1.1\r\nContent-Length: {MIB}"),
            1 => format!("POST /kintone/webhook/guessed HTTP/1.1\r\nContent-Length: {MIB}"),
            _ => format!("POST /line/webhook HTTP/1.1\r\nContent-Length: {MIB}\r\nx-line-signature: bm90IGl0"),
        };
        let addr = d.addr;
        set.spawn(async move { raw(addr, &head, &BODY).await });
    }
    let url = format!("http://{}/line/webhook", d.addr);
    let tap = line.postback_event(USER, "ack:v1::1:5:abc123");
    let (mut attempts, signed) = (0, Instant::now());
    loop {
        attempts += 1;
        match line.deliver(&url, std::slice::from_ref(&tap)).await {
            Ok((200, _)) => break,
            _ if attempts < 50 => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("the signed webhook: {other:?}"),
        }
    }
    let signed = signed.elapsed();
    let mut statuses = BTreeMap::new();
    while let Some(r) = set.join_next().await {
        *statuses
            .entry(
                r.ok()
                    .flatten()
                    .map_or_else(|| "none".to_owned(), |s| s.to_string()),
            )
            .or_insert(0) += 1;
    }
    println!(
        "flood: 800 x 1 MiB in {:.1} s; answers {statuses:?}; signed webhook 200 after {attempts} attempt(s), {:.0} ms; peak RSS {} KiB (idle {idle} KiB)",
        start.elapsed().as_secs_f64(),
        signed.as_secs_f64() * 1000.0,
        d.proc("status", "VmHWM:"),
    );
}

async fn idle(d: &Daemon) {
    let before = d.fds();
    let mut sockets = Vec::new();
    for _ in 0..1100 {
        match TcpStream::connect(d.addr).await {
            Ok(s) => sockets.push(s),
            Err(e) => {
                println!("idle: connect failed after {}: {e}", sockets.len());
                break;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = d.fds();
    let start = Instant::now();
    let health = reqwest::get(format!("http://{}/healthz", d.addr))
        .await
        .map(|r| r.status().as_u16());
    println!(
        "idle: {} idle sockets; daemon descriptors {before} -> {held}; /healthz {health:?} after {:.1} s (waits for a connection permit: idle ones are cut after 10 s)",
        sockets.len(),
        start.elapsed().as_secs_f64(),
    );
}

async fn healthz(d: &Daemon) {
    let (probes, written) = (
        d.metric("klg_health_store_probes_total").await,
        d.proc("io", "write_bytes:"),
    );
    let url = format!("http://{}/healthz", d.addr);
    let end = Instant::now() + Duration::from_secs(5);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let url = url.clone();
        set.spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0u64;
            while Instant::now() < end {
                if http.get(&url).send().await.is_ok() {
                    n += 1;
                }
            }
            n
        });
    }
    let mut calls = 0;
    while let Some(n) = set.join_next().await {
        calls += n.unwrap_or(0);
    }
    println!(
        "healthz: {calls} calls in 5 s ({} /s); store probes {}; bytes written {}",
        calls / 5,
        d.metric("klg_health_store_probes_total")
            .await
            .saturating_sub(probes),
        d.proc("io", "write_bytes:").saturating_sub(written),
    );
}

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
    rt.block_on(async {
        let line = FakeLine::start().await.expect("fake LINE");
        let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
        for (name, part) in [("flood", 0), ("idle", 1), ("healthz", 2)] {
            if !run(name) {
                continue;
            }
            let dir = tempfile::tempdir().expect("tempdir");
            let d = Daemon::start(&line, &kintone, dir.path()).await;
            match part {
                0 => flood(&line, &d).await,
                1 => idle(&d).await,
                _ => healthz(&d).await,
            }
        }
    });
}

//! `-- pubsub`: postbacks pulled from the Pub/Sub emulator into the
//! acknowledgement loop. A backlog is published while the daemon is off (as
//! when the board was unplugged); the daemon starts and drains it: pull →
//! signature → durable inbox → kintone comment → Reply → acknowledge.
//!
//! The emulator is the one `PUBSUB_EMULATOR_HOST` names, or else one started
//! (and stopped) through `.ci/pubsub-emulator`. It is a Java process on the
//! same cores as everything else, so it sets the ceiling here, not the
//! gateway; its CPU time is printed when this bench started it.

use base64::Engine as _;

use super::*;

const PROJECT: &str = "klg-test";
const BACKLOG: usize = 5000;

struct Emulator {
    host: String,
    /// The process group `.ci/pubsub-emulator` started (we stop it).
    group: Option<i32>,
}

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/pubsub-emulator")
}

fn emulator() -> Result<Emulator, String> {
    if let Ok(host) = std::env::var("PUBSUB_EMULATOR_HOST") {
        return Ok(Emulator { host, group: None });
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pubsub-emulator-bench");
    let out = Command::new(script())
        .args(["start"])
        .arg(&dir)
        .output()
        .map_err(|e| format!("cannot run .ci/pubsub-emulator: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let host = text
        .trim()
        .strip_prefix("export PUBSUB_EMULATOR_HOST=")
        .ok_or_else(|| format!("{}{}", text, String::from_utf8_lossy(&out.stderr)))?;
    let group = std::fs::read_to_string(dir.join("pid"))
        .ok()
        .and_then(|p| p.trim().parse().ok());
    Ok(Emulator {
        host: host.to_owned(),
        group,
    })
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if self.group.is_some() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pubsub-emulator-bench");
            let _ = Command::new(script()).arg("stop").arg(dir).status();
        }
    }
}

/// CPU time of every process in the emulator's group (the wrapper and Java).
fn group_cpu(group: i32) -> Duration {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    let mut total = Duration::ZERO;
    for p in procs.flatten() {
        let name = p.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(p.path().join("stat")) else {
            continue;
        };
        // Fields after the command's closing parenthesis: state ppid pgrp …
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let pgrp: Option<i32> = rest.split_whitespace().nth(2).and_then(|v| v.parse().ok());
        if pgrp == Some(group) && name.chars().all(|c| c.is_ascii_digit()) {
            total += process_cpu(&name);
        }
    }
    total
}

async fn call(http: &reqwest::Client, host: &str, path: &str, body: Value) {
    let url = format!("http://{host}/v1/projects/{PROJECT}/{path}");
    let method = if path.contains(':') {
        reqwest::Method::POST
    } else {
        reqwest::Method::PUT
    };
    let resp = http.request(method, url).json(&body).send().await;
    match resp {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => panic!("{path}: {}", r.status()),
        Err(e) => panic!("{path}: {e}"),
    }
}

/// Publishes each signed body as the relay does (data + attributes).
async fn publish(http: &reqwest::Client, host: &str, topic: &str, bodies: Vec<(String, String)>) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let messages: Vec<Value> = bodies
        .into_iter()
        .map(|(body, sig)| {
            json!({"data": b64.encode(body), "attributes": {
                "source": "line", "signature": sig, "site": "",
                "content_type": "application/json; charset=utf-8",
                "received_ms": kintone_line_gateway::clock::now_ms().to_string()}})
        })
        .collect();
    for chunk in messages.chunks(1000) {
        let path = format!("topics/{topic}:publish");
        call(http, host, &path, json!({ "messages": chunk })).await;
    }
}

pub async fn pubsub() {
    println!("\n== Pub/Sub: a backlog of signed postbacks pulled from the emulator → durable inbox → kintone comment → Reply → acknowledge");
    let emu = match emulator() {
        Ok(e) => e,
        Err(why) => {
            println!("  the Pub/Sub emulator is needed: {why}");
            return;
        }
    };
    for max_messages in [100, 1000] {
        drain(&emu, max_messages).await;
    }
}

async fn drain(emu: &Emulator, max_messages: u32) {
    let line = FakeLine::start().await.expect("fake LINE");
    // The backlog's tokens are minted before it waits: keep them good.
    line.set_reply_ttl(Duration::from_secs(600));
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    kintone.add_records(1, RECORDS, "Needs approval");
    let http = reqwest::Client::new();
    let name = format!("bench-{}-{max_messages}", std::process::id());
    let (topic, sub) = (format!("{name}-topic"), format!("{name}-sub"));
    call(&http, &emu.host, &format!("topics/{topic}"), json!({})).await;
    let subscription =
        json!({"topic": format!("projects/{PROJECT}/topics/{topic}"), "ackDeadlineSeconds": 60});
    call(
        &http,
        &emu.host,
        &format!("subscriptions/{sub}"),
        subscription,
    )
    .await;
    let app = "poll = false\n[kintone.apps.ack]\nmethod = \"comment\"\ncomment = \"Acknowledged by {{name}}\"\n";
    let tail = format!(
        "[ingress]\nmode = \"pubsub\"\n\n[ingress.pubsub]\nproject = \"{PROJECT}\"\nsubscription = \"{sub}\"\napi_base = \"http://{}\"\nmax_messages = {max_messages}\n",
        emu.host
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let site = site(&line, &kintone, app, &tail);
    // Started once for its schema (without pulling: a pull still open at
    // the kill would lease messages to nobody until their ack deadline),
    // then killed: the board is off.
    drop(Daemon::start(&self::site(&line, &kintone, app, ""), dir.path()).await);
    let salt = 5_000_000 + max_messages as usize * 10_000;
    seed_notifications(dir.path(), &[(BACKLOG, salt)]);
    let t = Instant::now();
    publish(&http, &emu.host, &topic, bodies(&line, BACKLOG, salt)).await;
    let published = t.elapsed();

    let emu_cpu0 = emu.group.map(group_cpu);
    let bench_cpu0 = process_cpu("self");
    let t0 = Instant::now();
    let daemon = Daemon::start(&site, dir.path()).await;
    // The count under the lock: copying 5,000 comments every 5 ms would
    // take a core from the daemon.
    let written = || kintone.state.lock().map_or(0, |s| s.comments.len());
    let done = wait_until(Duration::from_secs(300), || written() >= BACKLOG).await;
    let elapsed = t0.elapsed();
    let cpu = daemon.cpu();
    let bench_cpu = process_cpu("self") - bench_cpu0;
    wait_until(Duration::from_secs(30), || line.reply_count() >= BACKLOG).await;
    let comments = kintone.comment_texts().len();
    println!(
        "  {BACKLOG} postbacks waiting (published in {:.1} s), max_messages = {max_messages}: \
         all written back in {:.1} s from the daemon's start: {:.0} postbacks/s{}",
        published.as_secs_f64(),
        elapsed.as_secs_f64(),
        comments.min(BACKLOG) as f64 / elapsed.as_secs_f64(),
        if done { "" } else { " (TIMED OUT)" }
    );
    let emulator = match (emu.group, emu_cpu0) {
        (Some(g), Some(c0)) => format!(
            "; the emulator (Java) {:.0} µs",
            (group_cpu(g) - c0).as_secs_f64() * 1e6 / BACKLOG as f64
        ),
        _ => String::new(),
    };
    println!(
        "    CPU per postback: gateway {:.0} µs{emulator}; simulators (this process) {:.0} µs; \
         {comments} comments, {} replies for {BACKLOG} taps; gateway peak RSS {:.1} MiB",
        cpu.as_secs_f64() * 1e6 / BACKLOG as f64,
        bench_cpu.as_secs_f64() * 1e6 / BACKLOG as f64,
        line.reply_count(),
        daemon.peak_rss_kib() as f64 / 1024.0
    );
}

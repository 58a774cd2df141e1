//! `kintone-line-gateway demo`: the whole system on one machine, no accounts.
//!
//! A simulated kintone domain (an app with process management) and a
//! simulated LINE platform run in-process — the same fakes the tests use —
//! and the real gateway sits between them with its real HTTP paths,
//! signatures, store, retries and batching. The scenario is narrated with
//! timings: a record changes status, the push arrives (rendered), a staff
//! member taps Acknowledge, the comment lands on the record, the reply
//! arrives; then a redelivery, a forgery, and a burst that shows coalescing.
//! `--interactive` then keeps everything up for a person to play with.

#![expect(
    clippy::disallowed_methods,
    reason = "the narration times real steps for a person"
)]

use std::io::BufRead as _;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

use crate::clock::now_ms;
use crate::config::setup::Setup;
use crate::daemon::Gateway;
use crate::sim::fakes::{FakeKintone, FakeLine};
use crate::sim::site::{Site, APP_TOKEN, HOOK_TOKEN};

/// Taro's LINE user id in the simulated LINE.
const TARO: &str = "U0123456789abcdef0123456789abcdef";
/// Records in the simulated app: #345 and a block for the burst.
const RECORD: u64 = 345;
const BURST_FIRST: u64 = 400;
const BURST: u64 = 30;

/// Everything the demo runs.
struct Demo {
    line: FakeLine,
    kintone: FakeKintone,
    gateway: Gateway,
    dir: std::path::PathBuf,
    started: Instant,
}

/// Runs the scenario to the end; with `interactive`, then keeps running.
///
/// # Errors
/// A simulator or the gateway could not start, or a step did not complete in time.
pub async fn run(interactive: bool) -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let result = demo.scenario().await;
    if result.is_ok() && interactive {
        demo.interactive().await?;
    }
    demo.gateway.stop().await;
    let _ = std::fs::remove_dir_all(&demo.dir);
    result?;
    println!("\nDone in {:.1} s.", demo.started.elapsed().as_secs_f64());
    Ok(())
}

impl Demo {
    async fn start() -> anyhow::Result<Demo> {
        let started = Instant::now();
        let line = FakeLine::start().await?;
        let kintone = FakeKintone::start(APP_TOKEN).await?;
        kintone.set_record(RECORD, 1, "Open");
        kintone.add_records(BURST_FIRST, BURST, "Open");
        let dir = private_dir()?;
        let app = r#"webhook_token = { file = "hook-token" }
poll_interval = "60s"
[kintone.apps.ack]
method = "comment"
comment = "Acknowledged by {{name}} via {{via}} at {{time}}"
reply = "✓ Recorded — #{{record}} {{title}}"
"#;
        let tail = format!(
            r#"[[rules]]
app = 1
to = ["Needs approval"]
recipients = ["{TARO}"]
show = ["Assignee"]

[notify]
debounce = "1s"

# The office panel, drawn in the terminal: LED ●/○, buzzer 🔔.
[indicator]
backend = "terminal"
"#
        );
        let path = Site::for_fakes(&line, &kintone, app, &tail).write(&dir)?;
        let setup = Setup::load(&path)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("▶ office panel (drawn here; on a board an LED and a buzzer): start-up self-test");
        let gateway = Gateway::start(setup, listener).await?;
        // Let the self-test (three flashes, one beep) finish before the story.
        tokio::time::sleep(crate::indicator::actor::SELF_TEST_STEP * 7).await;
        kintone.set_webhook(Some(format!(
            "http://{}/kintone/webhook/{HOOK_TOKEN}",
            gateway.addr()
        )));
        println!("▶ simulated LINE platform at {}", line.server.base_url());
        println!(
            "▶ simulated kintone at {} — app 1 \"Repairs\", process management",
            kintone.server.base_url()
        );
        println!(
            "▶ gateway at http://{} (state in {})",
            gateway.addr(),
            dir.display()
        );
        let demo = Demo {
            line,
            kintone,
            gateway,
            dir,
            started,
        };
        // The first look at the app sets the baseline: nothing existing notifies.
        wait(|| demo.kintone.calls("GET", "/k/v1/records.json") > 0)
            .await
            .context("the gateway never read the app")?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        println!(
            "▶ baseline: {} existing records seen, none notified",
            1 + BURST
        );
        Ok(demo)
    }

    fn webhook_url(&self) -> String {
        format!("http://{}/line/webhook", self.gateway.addr())
    }

    async fn scenario(&self) -> anyhow::Result<()> {
        println!(
            "\n1. A clerk moves record #{RECORD} “Fix the roof” to “Needs approval” in kintone."
        );
        let t0 = Instant::now();
        self.kintone.user_sets_status(RECORD, "Needs approval");
        wait(|| !self.line.pushes().is_empty())
            .await
            .context("no push reached LINE")?;
        println!(
            "   kintone → webhook → gateway (re-reads the record, compares with the last status it saw) → LINE Push after {} ms:",
            t0.elapsed().as_millis()
        );
        let push = self.line.pushes().remove(0);
        for l in render_push(&push) {
            println!("      │ {l}");
        }
        println!(
            "   cost: {} message counted against the monthly quota",
            self.line.usage()
        );

        println!("\n2. Taro taps “Acknowledge” in LINE.");
        let data = ack_data(&push).context("the card has no Acknowledge button")?;
        let tap = self.line.postback_event(TARO, &data);
        let t0 = Instant::now();
        let (status, _) = self
            .line
            .deliver(&self.webhook_url(), std::slice::from_ref(&tap))
            .await?;
        println!(
            "   LINE → gateway: signed webhook answered {status} in {} ms (verified, stored durably first)",
            t0.elapsed().as_millis()
        );
        wait(|| !self.kintone.comment_texts().is_empty())
            .await
            .context("no comment reached kintone")?;
        println!(
            "   gateway → kintone after {} ms — comment on #{RECORD}:",
            t0.elapsed().as_millis()
        );
        for l in self.kintone.comment_texts()[0].lines() {
            println!("      │ {l}");
        }
        wait(|| !self.line.replies().is_empty())
            .await
            .context("no reply reached LINE")?;
        let reply = self.line.replies().remove(0);
        println!(
            "   gateway → LINE Reply (free, single-use token) after {} ms: 💬 {}",
            t0.elapsed().as_millis(),
            reply["messages"][0]["text"].as_str().unwrap_or("")
        );

        println!("\n3. LINE redelivers the same event (same webhookEventId).");
        let mut again = tap;
        again["deliveryContext"]["isRedelivery"] = Value::Bool(true);
        let (status, body) = self.line.deliver(&self.webhook_url(), &[again]).await?;
        println!("   answered {status}: {body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        println!(
            "   comments on #{RECORD}: {} (not doubled); Reply calls: {}",
            self.kintone.comment_texts().len(),
            self.line.reply_calls()
        );

        println!("\n4. Someone forges a webhook without the channel secret.");
        let resp = crate::outbound::client(Duration::from_secs(10))?
            .post(self.webhook_url())
            .header("x-line-signature", "Zm9yZ2VkIHNpZ25hdHVyZQ==")
            .body(r#"{"destination":"U","events":[]}"#)
            .send()
            .await?;
        println!("   answered {} — nothing stored", resp.status());

        println!(
            "\n5. A burst: {BURST} records move to “Needs approval” within a second (all for Taro)."
        );
        let before = (self.line.accepted().len(), self.line.usage());
        let t0 = Instant::now();
        for id in BURST_FIRST..BURST_FIRST + BURST {
            self.kintone.user_sets_status(id, "Needs approval");
        }
        wait_for(Duration::from_secs(20), || {
            cards(&self.line.pushes()) > usize::try_from(BURST).unwrap_or(usize::MAX)
        })
        .await
        .context("the burst was not delivered")?;
        let accepted = self.line.accepted();
        for (i, p) in accepted.iter().enumerate().skip(before.0) {
            let n = cards(std::slice::from_ref(&p.body));
            println!(
                "   push request {}: {n} card(s) in {} message object(s), {} message counted",
                i + 1 - before.0,
                p.body["messages"].as_array().map_or(0, Vec::len),
                p.counted
            );
        }
        println!(
            "   {BURST} changes → {} push requests, {} messages counted (without batching: {BURST}) — in {:.1} s",
            accepted.len() - before.0,
            self.line.usage() - before.1,
            t0.elapsed().as_secs_f64()
        );

        let acks = self.gateway.store.acks_since(0).await?;
        println!("\nAudit log: {} acknowledgement(s)", acks.len());
        for a in &acks {
            println!(
                "   #{} by {} — {} / {}",
                a.record, a.actor, a.outcome, a.reply
            );
        }
        Ok(())
    }

    /// Keeps the simulators and gateway up for a person to play with.
    async fn interactive(&self) -> anyhow::Result<()> {
        println!(
            "\nInteractive mode. Commands:\n  \
             status <record> <status>   change a record's status in kintone (e.g. status 401 Open)\n  \
             cards                      list the cards Taro has received\n  \
             tap <n>                    Taro taps Acknowledge on card n\n  \
             comments <record>          show a record's comments\n  \
             press                      short press of the panel button (silences the buzzer)\n  \
             hold                       long press: acknowledges everything pending as \"office panel\"\n  \
             quit"
        );
        let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(16);
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            print!("> ");
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            let Some(line) = rx.recv().await else {
                return Ok(());
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["quit" | "exit"] => return Ok(()),
                ["status", id, status @ ..] if !status.is_empty() => {
                    let status = status.join(" ");
                    match id
                        .parse::<u64>()
                        .ok()
                        .and_then(|id| self.kintone.user_sets_status(id, &status))
                    {
                        Some(rev) => println!("record #{id} is now “{status}” (revision {rev})"),
                        None => println!("no record #{id}"),
                    }
                }
                ["cards"] => {
                    for (i, data) in all_ack_data(&self.line.pushes()).iter().enumerate() {
                        println!("  {}: {data}", i + 1);
                    }
                }
                ["tap", n] => {
                    let cards = all_ack_data(&self.line.pushes());
                    match n
                        .parse::<usize>()
                        .ok()
                        .and_then(|n| cards.get(n.wrapping_sub(1)))
                    {
                        Some(data) => {
                            let replies = self.line.replies().len();
                            let tap = self.line.postback_event(TARO, data);
                            let (status, _) =
                                self.line.deliver(&self.webhook_url(), &[tap]).await?;
                            println!("LINE → gateway: {status}");
                            if wait(|| self.line.replies().len() > replies).await.is_ok() {
                                let r = self.line.replies().pop().unwrap_or_default();
                                println!("💬 {}", r["messages"][0]["text"].as_str().unwrap_or(""));
                            }
                        }
                        None => println!("no card {n}; try `cards`"),
                    }
                }
                ["press" | "hold"] => {
                    let held = if words[0] == "hold" {
                        // The demo's panel uses the default long press (2 s).
                        Duration::from_millis(2_100)
                    } else {
                        Duration::from_millis(200)
                    };
                    self.gateway.indicator.button(true).await;
                    tokio::time::sleep(held).await;
                    self.gateway.indicator.button(false).await;
                    println!("button released after {} ms", held.as_millis());
                }
                ["comments", id] => {
                    let id: u64 = id.parse().unwrap_or(0);
                    let st = self
                        .kintone
                        .state
                        .lock()
                        .map_err(|_| anyhow::anyhow!("simulator state poisoned"))?;
                    for c in st.comments.iter().filter(|c| c.record == id) {
                        println!("  #{}: {}", c.id, c.text.replace('\n', " ⏎ "));
                    }
                }
                [] => {}
                _ => println!("unknown command"),
            }
        }
    }
}

/// The texts of a push, card by card: header, body, and buttons.
fn render_push(push: &Value) -> Vec<String> {
    let mut out = vec![format!("to {}", push["to"].as_str().unwrap_or("(several)"))];
    for m in push["messages"].as_array().into_iter().flatten() {
        if let Some(alt) = m["altText"].as_str() {
            out.push(format!("notification text: {alt}"));
        }
        let bubbles: Vec<&Value> = match m["contents"]["type"].as_str() {
            Some("carousel") => m["contents"]["contents"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            _ => vec![&m["contents"]],
        };
        for b in bubbles {
            for part in ["header", "body", "footer"] {
                let mut texts = Vec::new();
                collect_texts(&b[part], &mut texts);
                if !texts.is_empty() {
                    out.push(format!("[{part}] {}", texts.join(" · ")));
                }
            }
        }
    }
    out
}

fn collect_texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(t) = o.get("text").and_then(Value::as_str) {
                out.push(t.to_owned());
            }
            if let Some(label) = o.get("action").and_then(|a| a["label"].as_str()) {
                out.push(format!("[ {label} ]"));
            }
            for c in o
                .get("contents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                collect_texts(c, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_texts(c, out)),
        _ => {}
    }
}

/// Every Acknowledge postback's data in `pushes`, in order.
fn all_ack_data(pushes: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for p in pushes {
        let text = p.to_string();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("\"data\":\"ack:v1:") {
            let tail = &rest[i + 8..];
            let end = tail.find('"').unwrap_or(tail.len());
            out.push(tail[..end].to_owned());
            rest = &tail[end..];
        }
    }
    out
}

fn ack_data(push: &Value) -> Option<String> {
    all_ack_data(std::slice::from_ref(push)).into_iter().next()
}

fn cards(pushes: &[Value]) -> usize {
    all_ack_data(pushes).len()
}

fn private_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("klg-demo-{}-{}", std::process::id(), now_ms()));
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

async fn wait(f: impl FnMut() -> bool) -> anyhow::Result<()> {
    wait_for(Duration::from_secs(10), f).await
}

async fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> anyhow::Result<()> {
    let end = Instant::now() + limit;
    while !f() {
        anyhow::ensure!(
            Instant::now() < end,
            "timed out after {} s",
            limit.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_scenario_runs_to_the_end() {
        run(false).await.expect("demo scenario");
    }
}

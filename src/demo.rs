//! `kintone-line-gateway demo`: the acknowledgement loop on one machine, no
//! accounts. A simulated LINE platform and kintone domain run in-process; the
//! real gateway sits between them with its real HTTP ingress, signature
//! check, durable store, write-back and Reply. The scenario is narrated with
//! timings so a newcomer can follow one tap from LINE to kintone and back.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::daemon::Gateway;
use crate::line::signature::ChannelSecret;
use crate::secret::Secret;
use crate::setup::Setup;
use crate::sim::fakes::{FakeKintone, FakeLine};
use crate::store::now_ms;

const SECRET: &str = "demo-channel-secret-0123456789ab";
const APP_TOKEN: &str = "demo-app-token";
const USER: &str = "U0123456789abcdef0123456789abcdef";

fn write_secret(dir: &Path, name: &str, value: &str) -> anyhow::Result<()> {
    let p = dir.join(name);
    std::fs::write(&p, value)?;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// Runs the scenario to the end.
///
/// # Errors
/// A simulator or the gateway could not start, or a step did not complete in time.
pub async fn run() -> anyhow::Result<()> {
    let started = Instant::now();
    let line = FakeLine::start().await?;
    let kintone = FakeKintone::start(APP_TOKEN).await?;
    let dir = tempfile_dir()?;
    write_secret(&dir, "channel-secret", SECRET)?;
    write_secret(&dir, "access-token", "demo-access-token")?;
    write_secret(&dir, "app-token", APP_TOKEN)?;
    let config = format!(
        r#"state_dir = "{state}"
[server]
listen = "127.0.0.1:0"
[line]
api_base = "{line}"
channel_secret = {{ file = "channel-secret" }}
access_token = {{ file = "access-token" }}
[kintone]
base_url = "{kintone}"
[[kintone.apps]]
id = 1
name = "Repairs"
api_token = {{ file = "app-token" }}
poll = false
[kintone.apps.ack]
method = "comment"
comment = "Acknowledged by {{{{name}}}} via LINE at {{{{time}}}}"
reply = "✓ Recorded — #{{{{record}}}}"
# The office panel drawn in the terminal: its start-up self-test shows below.
[indicator]
backend = "terminal"
"#,
        state = dir.join("state").display(),
        line = line.server.base_url(),
        kintone = kintone.server.base_url(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, config)?;
    let setup = Setup::load(&path)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gateway = Gateway::start(setup, listener).await?;
    let url = format!("http://{}/line/webhook", gateway.addr());
    println!(
        "▶ simulated LINE at {}, simulated kintone at {}",
        line.server.base_url(),
        kintone.server.base_url()
    );
    println!(
        "▶ gateway listening at http://{} (state in {})",
        gateway.addr(),
        dir.display()
    );

    println!("▶ office panel self-test (the terminal backend draws the LED and buzzer):");
    tokio::time::sleep(Duration::from_millis(1_000)).await;

    println!("\n1. Taro taps “Acknowledge” on the card for record #345.");
    let body = serde_json::json!({"destination": "Ubot", "events": [{
        "type": "postback", "mode": "active", "timestamp": now_ms(), "webhookEventId": "01DEMOEVENT0001",
        "deliveryContext": {"isRedelivery": false},
        "source": {"type": "user", "userId": USER},
        "replyToken": "demo-reply-token-1",
        "postback": {"data": "ack:v1::1:345:demo1"}
    }]})
    .to_string();
    let signature = ChannelSecret::new(Secret::new(SECRET)).sign(body.as_bytes());
    let http = reqwest::Client::new();
    let t0 = Instant::now();
    let resp = http
        .post(&url)
        .header("x-line-signature", &signature)
        .body(body.clone())
        .send()
        .await?;
    println!(
        "   LINE → gateway: signed webhook answered {} in {} ms (stored durably first)",
        resp.status(),
        t0.elapsed().as_millis()
    );

    wait(|| !kintone.comment_texts().is_empty())
        .await
        .context("no comment reached kintone")?;
    println!(
        "   gateway → kintone after {} ms: comment on #345:",
        t0.elapsed().as_millis()
    );
    for l in kintone
        .comment_texts()
        .first()
        .into_iter()
        .flat_map(|c| c.lines().map(str::to_owned).collect::<Vec<_>>())
    {
        println!("      │ {l}");
    }
    wait(|| !line.replies().is_empty())
        .await
        .context("no reply reached LINE")?;
    let reply = line.replies().first().cloned().unwrap_or_default();
    println!(
        "   gateway → LINE Reply (free) after {} ms: 💬 {}",
        t0.elapsed().as_millis(),
        reply["messages"][0]["text"].as_str().unwrap_or("")
    );

    println!("\n2. LINE redelivers the same event (same webhookEventId).");
    let resp = http
        .post(&url)
        .header("x-line-signature", &signature)
        .body(body)
        .send()
        .await?;
    println!(
        "   answered {}: {}",
        resp.status(),
        resp.text().await.unwrap_or_default()
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    println!(
        "   comments on #345: {} (not doubled), Reply calls: {}",
        kintone.comment_texts().len(),
        line.reply_calls()
    );

    println!("\n3. Someone forges a webhook without the channel secret.");
    let forged = r#"{"destination":"Ubot","events":[]}"#;
    let resp = http
        .post(&url)
        .header("x-line-signature", "AAAA")
        .body(forged)
        .send()
        .await?;
    println!("   answered {} — nothing stored", resp.status());

    let acks = gateway.store.acks_since(0).await?;
    println!(
        "\nAudit log ({} row): {:?}",
        acks.len(),
        acks.first()
            .map(|a| (&a.actor, a.record, &a.outcome, &a.reply))
    );
    gateway.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("klg-demo-{}-{}", std::process::id(), now_ms()));
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

async fn wait(mut f: impl FnMut() -> bool) -> anyhow::Result<()> {
    let end = Instant::now() + Duration::from_secs(10);
    while !f() {
        anyhow::ensure!(Instant::now() < end, "timed out after 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

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

mod interactive;
mod render;
mod script;
mod words;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::clock::now_ms;
use crate::config::setup::Setup;
use crate::daemon::Gateway;
use crate::sim::fakes::{FakeKintone, FakeLine};
use crate::sim::site::{Site, APP_TOKEN, HOOK_TOKEN};
use crate::text::Language;

/// Taro's LINE user id in the simulated LINE.
const TARO: &str = "U0123456789abcdef0123456789abcdef";
/// Hanako's: the escalation reaches her.
const HANAKO: &str = "U0123456789abcdef0123456789abcdee";
/// Records in the simulated app: #345, #346 (nobody acknowledges it) and a
/// block for the burst.
const RECORD: u64 = 345;
const UNANSWERED: u64 = 346;
const BURST_FIRST: u64 = 400;
const BURST: u64 = 30;

/// Everything the demo runs.
struct Demo {
    line: FakeLine,
    kintone: FakeKintone,
    gateway: Gateway,
    dir: std::path::PathBuf,
    started: Instant,
    /// What the narration and the site speak.
    language: Language,
    /// The gateway's clock, fast-forwarded to show reminders.
    clock: crate::clock::Clock,
}

/// Runs the scenario to the end; with `interactive`, then keeps running.
///
/// # Errors
/// A simulator or the gateway could not start, or a step did not complete in time.
pub async fn run(interactive: bool, language: Language) -> anyhow::Result<()> {
    let demo = Demo::start(language, interactive).await?;
    let result = demo.scenario().await;
    if result.is_ok() && interactive {
        demo.interactive().await?;
    }
    demo.gateway.stop().await;
    let _ = std::fs::remove_dir_all(&demo.dir);
    result?;
    let s = format!("{:.1}", demo.started.elapsed().as_secs_f64());
    println!("\n{}", words::DONE.fill(language, &[("s", &s)]));
    Ok(())
}

impl Demo {
    async fn start(language: Language, interactive: bool) -> anyhow::Result<Demo> {
        let started = Instant::now();
        let line = FakeLine::start().await?;
        let kintone = FakeKintone::start(APP_TOKEN).await?;
        // The app as an office in this language builds it (修理依頼 in Japanese).
        let app = words::app(language);
        if language == Language::Ja {
            kintone.japanese_form();
        }
        kintone.set_titled_record(RECORD, 1, app.open, app.title);
        let unanswered = format!("{} {UNANSWERED}", app.job);
        kintone.set_titled_record(UNANSWERED, 1, app.open, &unanswered);
        for id in BURST_FIRST..BURST_FIRST + BURST {
            kintone.set_titled_record(id, 1, app.open, &format!("{} {id}", app.job));
        }
        let dir = private_dir()?;
        let (app, tail) = site_config(app.waiting, kintone.form().assignee, interactive);
        let mut site = Site::for_fakes(&line, &kintone, app, &tail);
        // The site speaks the demo's language, in Japan's zone.
        site.language = language;
        site.top = "time_zone = \"Asia/Tokyo\"\n".to_owned();
        let path = site.write(&dir)?;
        let mut setup = Setup::load(&path)?;
        let clock = crate::clock::Clock::system();
        setup.clock = clock.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("{}", words::PANEL.in_(language));
        let gateway = Gateway::start(setup, listener).await?;
        // Let the self-test (three flashes, one beep) finish before the story.
        tokio::time::sleep(crate::indicator::actor::SELF_TEST_STEP * 7).await;
        kintone.set_webhook(Some(format!(
            "http://{}/kintone/webhook/{HOOK_TOKEN}",
            gateway.addr()
        )));
        narrate_addresses(language, &line, &kintone, &gateway, &dir);
        let demo = Demo {
            line,
            kintone,
            gateway,
            dir,
            started,
            language,
            clock,
        };
        // The first look at the app sets the baseline: nothing existing notifies.
        wait(|| demo.kintone.calls("GET", "/k/v1/records.json") > 0)
            .await
            .context("the gateway never read the app")?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let seen = (2 + BURST).to_string();
        println!("{}", words::BASELINE.fill(language, &[("n", &seen)]));
        Ok(demo)
    }

    fn webhook_url(&self) -> String {
        format!("http://{}/line/webhook", self.gateway.addr())
    }
}

/// The demo site's app section and the rest of its config: one rule that
/// pushes to Taro (reminded at 15 minutes, escalated to Hanako at 30), a
/// short debounce, the panel drawn in the terminal and the web page.
/// The comment and the reply are the language's defaults.
fn site_config(waiting: &str, assignee: &str, interactive: bool) -> (&'static str, String) {
    let app = r#"webhook_token = { file = "hook-token" }
poll_interval = "60s"
[kintone.apps.ack]
method = "comment"
"#;
    let tail = format!(
        r#"[[rules]]
app = 1
to = ["{waiting}"]
recipients = ["{TARO}"]
show = ["{assignee}"]
remind = "15m"
remind_max = 1
escalate = [{{ after = "30m", to = ["{HANAKO}"] }}]

[notify]
debounce = "1s"

# A LINE Notify–compatible token for the monitoring script (step 6).
[[notify_api.tokens]]
name = "monitoring"
token = {{ file = "notify-token" }}
to = ["{TARO}"]

# The office panel, drawn in the terminal: LED ●/○, buzzer 🔔.
[indicator]
backend = "terminal"

# The web page, open on this machine only (no password needed there).
[ui]
listen = "{page}"
"#,
        page = page_listen(interactive)
    );
    (app, tail)
}

fn narrate_addresses(
    language: Language,
    line: &FakeLine,
    kintone: &FakeKintone,
    gateway: &Gateway,
    dir: &std::path::Path,
) {
    let url = line.server.base_url();
    println!("{}", words::SIM_LINE.fill(language, &[("url", &url)]));
    let url = kintone.server.base_url();
    let app = kintone.form().app_name;
    let said = words::SIM_KINTONE.fill(language, &[("url", &url), ("app", app)]);
    println!("{said}");
    let (addr, dir) = (gateway.addr().to_string(), dir.display().to_string());
    let said = words::GATEWAY_AT.fill(language, &[("addr", &addr), ("dir", &dir)]);
    println!("{said}");
    if let Some(page) = gateway.ui_addr() {
        let url = format!("http://{page}/ui/now");
        println!("{}", words::PAGE_AT.fill(language, &[("url", &url)]));
    }
}

/// Interactive, the page's usual address when it is free; else any free
/// port (the tests run demos side by side).
fn page_listen(interactive: bool) -> &'static str {
    if interactive && std::net::TcpListener::bind(crate::config::ui::DEFAULT_UI_LISTEN).is_ok() {
        crate::config::ui::DEFAULT_UI_LISTEN
    } else {
        "127.0.0.1:0"
    }
}

/// A new owner-only directory: two demos started in the same millisecond
/// (the tests run the English and the Japanese one at once) get two.
fn private_dir() -> anyhow::Result<std::path::PathBuf> {
    static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "klg-demo-{}-{}-{run}",
        std::process::id(),
        now_ms()
    ));
    std::fs::create_dir(&dir)?;
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
        run(false, Language::En).await.expect("demo scenario");
    }

    /// 修理依頼, its Japanese field codes and statuses, and the Japanese texts.
    #[tokio::test]
    async fn the_japanese_scenario_runs_to_the_end() {
        run(false, Language::Ja).await.expect("demo scenario");
    }
}

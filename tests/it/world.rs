//! The world an end-to-end test runs in: the fake LINE platform, the fake
//! kintone domain, and the real gateway on port 0 between them, on a store in
//! a temporary directory that survives a restart of the gateway.

use std::time::Duration;

use kintone_line_gateway::clock::Clock;
use kintone_line_gateway::config::setup::Setup;
use kintone_line_gateway::config::template::Template;
use kintone_line_gateway::config::ACK_PLACEHOLDERS;
use kintone_line_gateway::daemon::Gateway;
use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN, HOOK_TOKEN};
use kintone_line_gateway::store::audit::AckRecord;
use kintone_line_gateway::store::inbox::{slim, EventEnvelope};
use kintone_line_gateway::store::Store;
use kintone_line_gateway::text::{Catalogue, Language};
use serde_json::Value;

/// A staff member's LINE user id.
pub const USER: &str = "U1111111111111111111111111111aaaa";

/// App settings for the acknowledgement loop: comment write-back, no polling.
pub const COMMENT_ACK: &str = r#"poll = false
[kintone.apps.ack]
method = "comment"
comment = "Acknowledged by {{name}}"
reply = "✓ Recorded — #{{record}}"
"#;

pub struct World {
    pub line: FakeLine,
    pub kintone: FakeKintone,
    pub dir: tempfile::TempDir,
    pub gateway: Option<Gateway>,
    pub site: Site,
    /// Register the gateway's kintone webhook URL with the fake kintone.
    webhooks: bool,
    /// The gateway's clocks, from the next [`World::boot`] on.
    pub clock: Clock,
}

impl World {
    /// Starts the fakes and the gateway with `app` lines for app 1 and a
    /// config `tail` (rules, notify…); `setup` puts records in the fake
    /// kintone before the gateway first looks (so they form its baseline).
    pub async fn start_with(app: &str, tail: &str, setup: impl FnOnce(&FakeKintone)) -> World {
        Self::start_site(String::new(), app, tail, setup).await
    }

    /// Like [`World::start_with`], with extra `[server]` lines.
    pub async fn start_site(
        server: String,
        app: &str,
        tail: &str,
        setup: impl FnOnce(&FakeKintone),
    ) -> World {
        Self::start_tuned(|s| s.server = server, app, tail, setup).await
    }

    /// Like [`World::start_with`], with the site changed by `tune` first
    /// (extra `[server]` or `[line]` lines).
    pub async fn start_tuned(
        tune: impl FnOnce(&mut Site),
        app: &str,
        tail: &str,
        setup: impl FnOnce(&FakeKintone),
    ) -> World {
        let line = FakeLine::start().await.expect("fake LINE");
        let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
        setup(&kintone);
        let mut site = Site::for_fakes(&line, &kintone, app, tail);
        tune(&mut site);
        let mut w = World {
            line,
            kintone,
            dir: tempfile::tempdir().expect("temp dir"),
            gateway: None,
            webhooks: app.contains("webhook_token"),
            site,
            clock: Clock::system(),
        };
        w.boot().await;
        w
    }

    /// Like [`World::start_with`], the gateway speaking `language`.
    pub async fn start_in(
        language: Language,
        app: &str,
        tail: &str,
        setup: impl FnOnce(&FakeKintone),
    ) -> World {
        Self::start_tuned(|s| s.language = language, app, tail, setup).await
    }

    /// The texts the gateway speaks in (the site's `language`).
    pub fn texts(&self) -> &'static Catalogue {
        self.site.language.catalogue()
    }

    /// The default Reply to a recorded acknowledgement of `record` titled
    /// `title`, in the site's language (worlds with [`COMMENT_ACK`] set
    /// their own).
    pub fn recorded(&self, record: u64, title: &str) -> String {
        recorded(self.site.language, record, title)
    }

    /// Writes the config and starts the gateway on the same store.
    pub async fn boot(&mut self) {
        let path = self.config_path();
        let mut setup = Setup::load(&path).unwrap_or_else(|e| panic!("{e}"));
        setup.clock = self.clock.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        self.gateway = Some(Gateway::start(setup, listener).await.expect("gateway"));
        if self.webhooks {
            self.kintone.set_webhook(Some(self.kintone_webhook_url()));
        }
    }

    /// Writes the secrets and config (again) and returns the config's path.
    pub fn config_path(&self) -> std::path::PathBuf {
        self.site.write(self.dir.path()).expect("writing the site")
    }

    /// Stops the gateway (graceful).
    pub async fn stop(&mut self) {
        if let Some(gw) = self.gateway.take() {
            gw.stop().await;
        }
    }

    pub fn gateway(&self) -> &Gateway {
        self.gateway.as_ref().expect("gateway running")
    }

    pub fn store(&self) -> Store {
        self.gateway().store.clone()
    }

    pub fn line_webhook_url(&self) -> String {
        format!("http://{}/line/webhook", self.gateway().addr())
    }

    pub fn kintone_webhook_url(&self) -> String {
        format!(
            "http://{}/kintone/webhook/{HOOK_TOKEN}",
            self.gateway().addr()
        )
    }

    /// Delivers events to the gateway as LINE does (signed).
    pub async fn deliver(&self, events: &[Value]) -> (u16, String) {
        self.line
            .deliver(&self.line_webhook_url(), events)
            .await
            .expect("gateway reachable")
    }

    /// Posts `body` to the LINE webhook with the given signature header.
    pub async fn send(&self, body: &str, signature: Option<&str>) -> (u16, String) {
        let mut req = reqwest::Client::new()
            .post(self.line_webhook_url())
            .body(body.to_owned());
        if let Some(s) = signature {
            req = req.header("x-line-signature", s);
        }
        let resp = req.send().await.expect("gateway reachable");
        (
            resp.status().as_u16(),
            resp.text().await.unwrap_or_default(),
        )
    }
}

/// Waits until the baseline poll has run (the first records.json answer)
/// and the app's baseline is stored: a change from now on is judged, not
/// taken as a first sight.
pub async fn baseline(w: &World) {
    eventually(30, || w.kintone.calls("GET", "/k/v1/records.json") > 0).await;
    let store = w.store();
    // Judging a first page takes seconds on a loaded machine.
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::time::Instant::now() < end {
        let done: i64 = store
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM app_baseline", [], |r| r.get(0))?))
            .await
            .expect("read");
        if done > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the baseline was not stored");
}

/// Waits until the audit log holds at least `n` acknowledgements; returns
/// them, oldest first.
pub async fn acks_eventually(w: &World, n: usize) -> Vec<AckRecord> {
    let store = w.store();
    for _ in 0..250 {
        let acks = store.acks_since(0).await.expect("audit");
        if acks.len() >= n {
            return acks;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} audit rows");
}

/// Waits up to `secs` for the answer of `f` (a read of the store, the
/// metrics…) to be true; fails the test naming `what` otherwise.
pub async fn until<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(tokio::time::Instant::now() < end, "{what}: not in {secs}s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The count a `SELECT COUNT(*) …` over the gateway's store answers.
pub async fn rows(w: &World, sql: &'static str) -> i64 {
    w.store()
        .read(move |c| Ok(c.query_row(sql, [], |r| r.get(0))?))
        .await
        .expect("read")
}

/// Waits until no LINE event in the inbox is still to be handled: every
/// event stored so far has been written back, answered or refused.
pub async fn inbox_drained(w: &World) {
    until(10, "every LINE event handled", move || async move {
        rows(w, "SELECT COUNT(*) FROM inbox_queue").await == 0
    })
    .await;
}

/// Waits until at least `n` kintone changes were taken in and none is still
/// to be judged (a judged change leaves the queue with its verdict stored).
pub async fn changes_judged(w: &World, n: i64) {
    until(10, "every kintone change judged", move || async move {
        rows(w, "SELECT COUNT(*) FROM changes").await >= n
            && rows(w, "SELECT COUNT(*) FROM changes WHERE state = 'pending'").await == 0
    })
    .await;
}

/// Waits up to `secs` for `f` to hold; fails the test otherwise.
pub async fn eventually(secs: u64, mut f: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(
            tokio::time::Instant::now() < end,
            "condition not met in {secs}s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Checks every write the gateway sent to kintone against the official
/// kintone REST API description.
pub fn kintone_writes_match_the_spec(kintone: &FakeKintone) {
    let spec = crate::openapi::kintone_rest_api();
    let mut checked = 0;
    for req in kintone.requests() {
        let (path, method) = (req.path.as_str(), req.method.as_str().to_lowercase());
        if method == "get" {
            continue;
        }
        let pointer = format!(
            "#/paths/{}/{method}/requestBody/content/application~1json/schema",
            path.replace('~', "~0").replace('/', "~1")
        );
        let body = req.json().expect("kintone request bodies are JSON");
        if let Err(errors) = spec.validate(&pointer, &body) {
            panic!("{method} {path} does not match the kintone spec: {errors:#?}\n{body:#}");
        }
        checked += 1;
    }
    assert!(checked > 0, "no kintone write to check");
}

/// The default Reply to a recorded acknowledgement of `record` titled
/// `title` in `language`: the catalogue's template, rendered as the gateway
/// does.
pub fn recorded(language: Language, record: u64, title: &str) -> String {
    let reply = Template::parse(language.catalogue().default_reply, ACK_PLACEHOLDERS)
        .expect("the default reply parses");
    let text = reply.render(|k| match k {
        "record" => Some(record.to_string()),
        "title" => Some(title.to_owned()),
        _ => Some(String::new()),
    });
    text.trim().to_owned()
}

/// The LINE event `ev` as the gateway stores it: its reply token beside its
/// JSON, not in it, and the JSON without what the columns keep.
pub fn stored_event(ev: &Value) -> EventEnvelope {
    let mut json = ev.clone();
    let reply_token = slim(&mut json);
    EventEnvelope {
        id: ev["webhookEventId"].as_str().unwrap_or_default().to_owned(),
        timestamp_ms: ev["timestamp"].as_i64().unwrap_or(0),
        redelivery: false,
        kind: ev["type"].as_str().unwrap_or_default().to_owned(),
        json: json.to_string(),
        reply_token,
    }
}

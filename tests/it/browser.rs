//! The web page in a real browser: Debian's headless Chromium driven by
//! ChromeDriver over WebDriver's HTTP protocol (plain JSON with reqwest, no
//! browser library), against the real gateway and the fakes. It logs in,
//! sees a notification appear on *Now* after a kintone change (the page's
//! own refresh brings it), sees it leave after a tap, and sees today's bar
//! on *Cost* grow, finds it in *Audit*, makes an invite (*Staff*, with its
//! QR code) and sees the rule's card (*Rules*). Screenshots go to `target/ui-screenshots/` (not kept in
//! git; the README's pictures are copies of them).
//!
//! Ignored without `chromium` and `chromedriver`; `.ci/run` installs both
//! and runs it (`cargo test --all-features --test it browser:: -- --ignored`).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::daemon::free_port;
use crate::ui::{ack_data, locked_world, page, PASSWORD};
use crate::world::{baseline, USER};

/// ChromeDriver on a free loopback port, stopped on drop.
struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    /// Ends chromedriver and the Chromium it started, which would outlive a
    /// killed chromedriver: they share its process group.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = free_port().port();
        let child = Command::new("chromedriver")
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            // A group of its own, for Drop to end with the browser.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium-driver)");
        let http = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..100 {
            let status = http.get(format!("{url}/status")).send().await;
            if let Ok(r) = status {
                let body: Value = r.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    ready = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not become ready");
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            // Nothing but this machine: every other name fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=420,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}});
        let resp: Value = http
            .post(format!("{url}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("json");
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {resp}"))
            .to_owned();
        Driver {
            child,
            url,
            http,
            session,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.url, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Element ids matching a CSS selector (none: empty).
    async fn find_all(&self, css: &str) -> Vec<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_object()?.values().next()?.as_str().map(str::to_owned))
            .collect()
    }

    async fn one(&self, css: &str) -> String {
        self.find_all(css)
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {css} on the page"))
    }

    async fn attribute(&self, element: &str, name: &str) -> Option<String> {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/attribute/{name}"),
                None,
            )
            .await;
        v.as_str().map(str::to_owned)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.one(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let e = self.one(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Waits (the page refreshes itself every 5 s) until `css` matches
    /// `present` elements or not.
    async fn until(&self, css: &str, present: bool, what: &str) {
        for _ in 0..100 {
            if self.find_all(css).await.is_empty() != present {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let source = self.call(reqwest::Method::GET, "/source", None).await;
        self.screenshot("failed").await;
        panic!("{what}: not within 20 s; the page:\n{source}");
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64 PNG"))
            .expect("PNG");
        let dir = screenshots();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot");
        path
    }

    async fn bar_today(&self) -> i64 {
        let bars = self.find_all("g.day").await;
        let last = bars.last().expect("a bar per day");
        self.attribute(last, "data-count")
            .await
            .and_then(|c| c.parse().ok())
            .expect("data-count")
    }
}

/// `target/ui-screenshots/`.
fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("ui-screenshots")
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs it"]
async fn in_a_browser_log_in_watch_a_notification_come_and_go_and_the_cost_grow() {
    let w = locked_world().await;
    baseline(&w).await;
    let b = Driver::start().await;
    let t = w.site.language.page();

    b.go(&page(&w, "/ui/now")).await;
    assert!(
        b.current_url().await.ends_with("/ui/login"),
        "no session: the login form"
    );
    b.screenshot("login").await;
    b.type_into("#password", "not the password").await;
    b.click("button[type=submit]").await;
    b.until("#login-error", true, "a wrong password is told")
        .await;
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.until("#indicator", true, "signed in: Now").await;
    b.until("#open-none", true, "nothing waits yet").await;

    b.go(&page(&w, "/ui/cost")).await;
    let before = b.bar_today().await;

    b.go(&page(&w, "/ui/now")).await;
    w.kintone.user_sets_status(5, "Needs approval");
    b.until(
        "tr.open[data-record='5']",
        true,
        "the notification appears on Now",
    )
    .await;
    let link = b.one("tr.open a").await;
    let href = b.attribute(&link, "href").await.expect("href");
    assert!(href.ends_with("/k/1/show#record=5"), "{href}");
    b.until("#indicator[data-state='on']", true, "the panel light is on")
        .await;
    b.screenshot("now").await;

    w.deliver(&[w.line.postback_event(USER, &ack_data(&w))])
        .await;
    b.until(
        "tr.open",
        false,
        "the notification leaves Now after the tap",
    )
    .await;
    b.until(
        "tr.ack[data-record='5']",
        true,
        "the acknowledgement is listed",
    )
    .await;
    b.screenshot("now-acknowledged").await;

    b.go(&page(&w, "/ui/cost")).await;
    assert_eq!(
        b.bar_today().await,
        before + 1,
        "today's bar grew by the one push"
    );
    b.screenshot("cost").await;
    b.go(&page(&w, "/ui/health")).await;
    b.until(
        "tr[data-service='line'][data-state='ok']",
        true,
        "LINE answered",
    )
    .await;
    b.screenshot("health").await;

    b.go(&page(&w, "/ui/audit?record=5")).await;
    b.until(
        "#found tr.ack[data-record='5']",
        true,
        "the audit finds the acknowledgement",
    )
    .await;
    b.screenshot("audit").await;
    b.go(&page(&w, "/ui/staff")).await;
    b.type_into("input[name=name]", "山田 花子").await;
    b.click("#invite").await;
    b.until("#new-invite svg.qr", true, "the invite with its QR code")
        .await;
    b.screenshot("staff").await;
    b.go(&page(&w, "/ui/rules")).await;
    b.until(
        "section.rule[data-preview='last'] .fx-bubble",
        true,
        "the rule's card as pushed",
    )
    .await;
    b.screenshot("rules").await;
    assert!(!t.title.is_empty());
}

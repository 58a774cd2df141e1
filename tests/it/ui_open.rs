//! The page open on this machine (no password): what it shows follows a
//! kintone change and a tap, and only requests addressed to this machine by
//! number get it; beyond this machine a password is required.

use serde_json::Value;

use crate::ui::{client, page, tail, PASSWORD};
use crate::world::{baseline, until, World, USER};

const APP: &str = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";

async fn api(w: &World, what: &str) -> Value {
    let resp = client()
        .get(page(w, &format!("/ui/api/{what}")))
        .send()
        .await
        .expect("api");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("json")
}

fn open_records(now: &Value) -> Vec<i64> {
    now["open"]
        .as_array()
        .expect("open")
        .iter()
        .filter_map(|o| o["record"].as_i64())
        .collect()
}

#[tokio::test]
async fn open_on_this_machine_the_page_follows_a_change_and_a_tap() {
    let w = World::start_with(APP, &tail(""), |k| k.set_record(5, 1, "Open")).await;
    baseline(&w).await;
    assert!(open_records(&api(&w, "now").await).is_empty());
    let before = api(&w, "cost").await["counted"].as_i64().expect("counted");

    w.kintone.user_sets_status(5, "Needs approval");
    until(10, "the notification on the page", || async {
        open_records(&api(&w, "now").await) == [5]
    })
    .await;
    let now = api(&w, "now").await;
    let open = &now["open"][0];
    assert_eq!(
        open["url"],
        format!("{}/k/1/show#record=5", w.kintone.server.base_url())
    );
    assert_eq!(open["status"], "Needs approval");
    let html = client()
        .get(page(&w, "/ui/now"))
        .send()
        .await
        .expect("now")
        .text()
        .await
        .expect("html");
    assert!(html.contains("data-record=\"5\""), "{html}");
    assert!(html.contains(w.site.language.page().open_in_kintone));

    until(10, "the push counted on the cost page", || async {
        api(&w, "cost").await["counted"].as_i64() == Some(before + 1)
    })
    .await;
    let cost = api(&w, "cost").await;
    let today = cost["days"]
        .as_array()
        .expect("days")
        .last()
        .expect("today")
        .clone();
    assert_eq!(today["counted"], 1);
    let svg = client()
        .get(page(&w, "/ui/cost"))
        .send()
        .await
        .expect("cost")
        .text()
        .await
        .expect("html");
    assert!(
        svg.contains(&format!(
            "data-date=\"{}\" data-count=\"1\"",
            today["date"].as_str().expect("date")
        )),
        "{svg}"
    );

    let data = crate::ui::ack_data(&w);
    w.deliver(&[w.line.postback_event(USER, &data)]).await;
    until(10, "the notification leaves Now", || async {
        open_records(&api(&w, "now").await).is_empty()
    })
    .await;
    let now = api(&w, "now").await;
    assert_eq!(now["acks"][0]["record"], 5);
    let health = api(&w, "health").await;
    let line = &health["services"][0];
    assert_eq!(
        (line["service"].as_str(), line["state"].as_str()),
        (Some("line"), Some("ok"))
    );
}

/// Open without a password, the page answers only requests addressed to
/// this machine by number (or `localhost`): a site whose own name resolves
/// to 127.0.0.1 (DNS rebinding) gets nothing.
#[tokio::test]
async fn open_on_this_machine_another_host_name_gets_nothing() {
    let w = World::start_with(APP, &tail(""), |_| {}).await;
    let addr = w.gateway().ui_addr().expect("page");
    for (host, status) in [
        (format!("127.0.0.1:{}", addr.port()), 200),
        (format!("localhost:{}", addr.port()), 200),
        (format!("evil.example:{}", addr.port()), 421),
        ("evil.example".to_owned(), 421),
    ] {
        let resp = client()
            .get(page(&w, "/ui/api/now"))
            .header("host", &host)
            .send()
            .await
            .expect("page");
        assert_eq!(resp.status(), status, "Host: {host}");
    }
}

/// Beyond this machine the page needs a password: `check-config` says so
/// with the key and exits 64; `ui-password` writes a hash that makes the
/// same config good.
#[test]
fn on_the_lan_a_password_is_required_and_ui_password_writes_one() {
    use std::io::Write as _;
    use std::process::Stdio;

    use kintone_line_gateway::sim::site::Site;
    let dir = tempfile::tempdir().unwrap();
    let mut site = Site {
        line: "https://api.line.me".into(),
        channel_secret: "a-channel-secret".into(),
        kintone: "https://example.cybozu.com".into(),
        tail: "[ui]\nlisten = \"0.0.0.0:8081\"\n".into(),
        ..Site::default()
    };
    let check = |site: &Site| {
        let path = site.write(dir.path()).unwrap();
        let out = crate::daemon::gateway()
            .args(["check-config", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, said) = check(&site);
    assert_eq!(code, Some(64), "{said}");
    assert!(
        said.contains("ui.password") && said.contains("ui-password"),
        "{said}"
    );

    let file = dir.path().join("ui-password");
    let mut child = crate::daemon::gateway()
        .arg("ui-password")
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No config to read a language from: Japanese, the default.
    let told = String::from_utf8_lossy(&out.stdout);
    assert!(
        told.contains("書き込みました") && told.contains("[ui]"),
        "{told}"
    );
    let hash = std::fs::read_to_string(&file).unwrap();
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains(PASSWORD),
        "{hash}"
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    site.tail
        .push_str("password = { file = \"ui-password\" }\n");
    site.secrets.push(("ui-password".into(), hash));
    let (code, said) = check(&site);
    assert_eq!(code, Some(0), "{said}");
}

/// The daemon binary measures the state directory's disk for *Health*
/// (`statvfs` through `main.rs`'s hook).
#[tokio::test]
async fn the_daemon_binary_shows_the_room_left_on_its_disk() {
    use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
    use kintone_line_gateway::sim::site::{Site, APP_TOKEN};
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    let ui = crate::daemon::free_port();
    let site = Site::for_fakes(
        &line,
        &kintone,
        "poll = false",
        &format!("[ui]\nlisten = \"{ui}\"\n"),
    );
    let dir = tempfile::tempdir().expect("dir");
    let daemon = crate::daemon::Daemon::start(&site, dir.path(), 1).await;
    let health: Value = client()
        .get(format!("http://{ui}/ui/api/health"))
        .send()
        .await
        .expect("page")
        .json()
        .await
        .expect("json");
    let disk = &health["disk"];
    let (free, total) = (
        disk["free_bytes"].as_u64().expect("free"),
        disk["total_bytes"].as_u64().expect("total"),
    );
    assert!(free > 0 && free <= total, "{health}\n{}", daemon.log());
    let html = client()
        .get(format!("http://{ui}/ui/health"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("id=\"disk\""), "{html}");
}

/// Health has a row per kintone app from that app's own calls: app 1,
/// polled, answered; app 2, never called, says so (one shared observation
/// would call it ok).
#[tokio::test]
async fn health_shows_each_kintone_app_from_its_own_calls() {
    let second = "[[kintone.apps]]\nid = 2\nname = \"Other\"\napi_token = { file = \"app-token\" }\npoll = false\n";
    let w = World::start_with(APP, &format!("{second}{}", tail("")), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    let health = api(&w, "health").await;
    let state = |service: &str| {
        health["services"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["service"] == service)
            .and_then(|s| s["state"].as_str())
            .map(str::to_owned)
    };
    assert_eq!(state("kintone:1").as_deref(), Some("ok"), "{health}");
    assert_eq!(state("kintone:2").as_deref(), Some("never"), "{health}");
}

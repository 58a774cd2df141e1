//! `-- ui`: what the web page (`[ui]`) adds to the daemon's memory. The
//! release binary runs idle three ways, in turns (this machine is noisy):
//! without `[ui]`; with the page open on loopback after 60 page views
//! (*Now*, *Health*, *Cost* and their JSON, 10 rounds); and with a password
//! after one login (argon2id, 7 MiB) and the same views. Printed: `VmRSS`
//! after the daemon settled (3 s idle), again 12 s later, and `VmHWM`, per run.

use super::*;

const ROUNDS: usize = 3;
const SETTLE: Duration = Duration::from_secs(3);
/// Then again later: pooled threads and the allocator's caches have let go.
const LATER: Duration = Duration::from_secs(12);

fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (kib("VmRSS:"), kib("VmHWM:"))
}

fn free() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// 10 rounds of every page and its JSON, with `cookie` when given.
async fn views(page: SocketAddr, cookie: Option<&str>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for _ in 0..10 {
        for path in ["now", "health", "cost", "api/now", "api/health", "api/cost"] {
            let mut req = http.get(format!("http://{page}/ui/{path}"));
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let status = req.send().await.expect("page").status();
            assert_eq!(status, 200, "/ui/{path}");
        }
    }
}

/// Logs in with `password`; the session cookie.
async fn log_in(page: SocketAddr, password: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = http
        .get(format!("http://{page}/ui/login"))
        .send()
        .await
        .expect("form");
    let cookie = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|h| {
                h.split(';')
                    .next()?
                    .strip_prefix(&format!("{name}="))
                    .map(str::to_owned)
            })
    };
    let token = cookie(&form, "klg_login").expect("login cookie");
    let resp = http
        .post(format!("http://{page}/ui/login"))
        .header("cookie", format!("klg_login={token}"))
        .form(&[("csrf", token.as_str()), ("password", password)])
        .send()
        .await
        .expect("login");
    format!(
        "klg_session={}",
        cookie(&resp, "klg_session").expect("signed in")
    )
}

pub(super) async fn ui() {
    println!("\n== Web page: idle RSS without [ui], with the page open, with a password (after 60 views)");
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    let password = "bench-password-2026";
    let hash = kintone_line_gateway::ui::hash_password(password).expect("hash");
    for round in 1..=ROUNDS {
        for variant in ["without [ui]", "[ui] open", "[ui] password"] {
            let dir = tempfile::tempdir().expect("temp dir");
            let page = free();
            let tail = match variant {
                "without [ui]" => String::new(),
                "[ui] open" => format!("[ui]\nlisten = \"{page}\"\n"),
                _ => {
                    format!("[ui]\nlisten = \"{page}\"\npassword = {{ file = \"ui-password\" }}\n")
                }
            };
            let mut s = site(&line, &kintone, "poll = false", &tail);
            s.secrets.push(("ui-password".into(), hash.clone()));
            let daemon = Daemon::start(&s, dir.path()).await;
            match variant {
                "[ui] open" => views(page, None).await,
                "[ui] password" => views(page, Some(&log_in(page, password).await)).await,
                _ => {}
            }
            tokio::time::sleep(SETTLE).await;
            let (now, peak) = rss(daemon.pid);
            tokio::time::sleep(LATER).await;
            let (later, _) = rss(daemon.pid);
            println!(
                "  round {round}, {variant:<14} VmRSS {:>6.2} MiB (after {} s more: {:>6.2} MiB), VmHWM {:>6.2} MiB",
                now as f64 / 1024.0,
                LATER.as_secs(),
                later as f64 / 1024.0,
                peak as f64 / 1024.0
            );
        }
    }
}

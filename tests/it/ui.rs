//! The board's web page (`[ui]`) against the real gateway and the fakes:
//! no session, no page; a form without its CSRF token is refused; repeated
//! wrong passwords lock the address out; every action is audited; nothing
//! of the page is on the webhook listener; and what the page shows follows
//! a kintone change and a tap.

use crate::world::{World, USER};
use kintone_line_gateway::ui::hash_password;

pub const PASSWORD: &str = "office-board-2026";

/// Webhooks on, the poller only sets the baseline.
const APP: &str = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";

/// A rule for [`USER`] on record status "Needs approval", and the page on
/// a free port with `ui` lines.
pub fn tail(ui: &str) -> String {
    format!(
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\"]\n\n\
         [notify]\ndebounce = \"0s\"\n\n[ui]\nlisten = \"127.0.0.1:0\"\n{ui}\n"
    )
}

/// A world whose page needs [`PASSWORD`], locking out after three wrong ones.
pub async fn locked_world() -> World {
    let hash = hash_password(PASSWORD).expect("hash");
    World::start_tuned(
        |s| s.secrets.push(("ui-password".into(), hash)),
        APP,
        &tail("password = { file = \"ui-password\" }\nlockout_after = 3"),
        |k| k.set_record(5, 1, "Open"),
    )
    .await
}

pub fn page(w: &World, path: &str) -> String {
    let addr = w.gateway().ui_addr().expect("the page is on");
    format!("http://{addr}{path}")
}

/// A client that shows redirects instead of following them and keeps no cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of `name=` in the response's `Set-Cookie` headers, with the
/// whole header.
fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<(String, String)> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| {
            let value = h.split(';').next()?.strip_prefix(&format!("{name}="))?;
            Some((value.to_owned(), h.to_owned()))
        })
}

/// The hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().expect("value").to_owned()
}

/// Logs in with `password`: the status and the session cookie, if one was set.
pub async fn log_in(w: &World, password: &str) -> (u16, Option<String>) {
    let http = client();
    let form = http
        .get(page(w, "/ui/login"))
        .send()
        .await
        .expect("login form");
    let (login, _) = set_cookie(&form, "klg_login").expect("the form's cookie");
    let csrf = csrf_of(&form.text().await.expect("html"));
    assert_eq!(
        csrf, login,
        "double submit: the form carries its cookie's token"
    );
    let resp = http
        .post(page(w, "/ui/login"))
        .header("cookie", format!("klg_login={login}"))
        .form(&[("csrf", csrf.as_str()), ("password", password)])
        .send()
        .await
        .expect("login");
    let session = set_cookie(&resp, "klg_session").map(|(v, _)| v);
    (resp.status().as_u16(), session)
}

async fn audit(w: &World) -> Vec<(String, String)> {
    w.store()
        .page_actions(100)
        .await
        .expect("audit")
        .into_iter()
        .rev()
        .map(|a| (a.action, a.actor))
        .collect()
}

#[tokio::test]
async fn without_a_session_there_is_no_page_and_no_data() {
    let w = locked_world().await;
    let http = client();
    let resp = http.get(page(&w, "/ui/now")).send().await.expect("page");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/ui/login");
    for path in ["/ui/api/now", "/ui/api/health", "/ui/api/cost"] {
        let resp = http.get(page(&w, path)).send().await.expect("api");
        assert_eq!(resp.status(), 401, "{path}");
    }
    let forged = http
        .get(page(&w, "/ui/api/now"))
        .header("cookie", "klg_session=0123456789abcdef")
        .send()
        .await
        .expect("api");
    assert_eq!(forged.status(), 401, "a made-up session is no session");
}

#[tokio::test]
async fn a_session_sees_the_page_and_forms_need_their_csrf_token() {
    let w = locked_world().await;
    let http = client();
    let (status, session) = log_in(&w, PASSWORD).await;
    assert_eq!(status, 303);
    let session = session.expect("a session cookie");
    let cookie = format!("klg_session={session}");
    let now = http
        .get(page(&w, "/ui/now"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("now");
    assert_eq!(now.status(), 200);
    let html = now.text().await.expect("html");
    let texts = w.site.language.page();
    assert!(html.contains(texts.now_none), "{html}");
    let csrf = csrf_of(&html);

    // The log-out form without (or with a wrong) token: 403, still signed in.
    for form in [vec![], vec![("csrf", "0".repeat(64))]] {
        let resp = http
            .post(page(&w, "/ui/logout"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .expect("logout");
        assert_eq!(resp.status(), 403);
    }
    let api = http
        .get(page(&w, "/ui/api/now"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), 200, "a refused form changed nothing");
    // A login form without its token: 403 before the password is looked at.
    let resp = http
        .post(page(&w, "/ui/login"))
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 403);

    let resp = http
        .post(page(&w, "/ui/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(resp.status(), 303);
    let after = http
        .get(page(&w, "/ui/api/now"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("api");
    assert_eq!(after.status(), 401, "the session ended");
    let actions: Vec<String> = audit(&w).await.into_iter().map(|(a, _)| a).collect();
    assert_eq!(actions, ["ui-login", "ui-logout"]);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_strict() {
    let w = locked_world().await;
    let http = client();
    let form = http.get(page(&w, "/ui/login")).send().await.expect("form");
    let (login, _) = set_cookie(&form, "klg_login").expect("cookie");
    let csrf = csrf_of(&form.text().await.expect("html"));
    let resp = http
        .post(page(&w, "/ui/login"))
        .header("cookie", format!("klg_login={login}"))
        .form(&[("csrf", csrf.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    let (_, header) = set_cookie(&resp, "klg_session").expect("session");
    assert!(
        header.contains("; HttpOnly") && header.contains("; SameSite=Strict"),
        "{header}"
    );
    assert!(!header.contains("Secure"), "no TLS here: {header}");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_address_out_even_for_the_right_one() {
    let w = locked_world().await;
    for _ in 0..3 {
        assert_eq!(log_in(&w, "guess").await, (401, None));
    }
    let (status, session) = log_in(&w, PASSWORD).await;
    assert_eq!(
        (status, session),
        (429, None),
        "locked out: the right password is refused too"
    );
    let actions: Vec<String> = audit(&w).await.into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        actions,
        [
            "ui-login-refused",
            "ui-login-refused",
            "ui-login-refused",
            "ui-locked-out",
            "ui-login-refused"
        ]
    );
    assert!(audit(&w)
        .await
        .iter()
        .all(|(_, actor)| actor == "page:127.0.0.1"));
}

#[tokio::test]
async fn nothing_of_the_page_is_on_the_webhook_listener() {
    let w = locked_world().await;
    let http = client();
    let (_, session) = log_in(&w, PASSWORD).await;
    let cookie = format!("klg_session={}", session.expect("session"));
    // The page answers on its own listener …
    let ok = http
        .get(page(&w, "/ui/api/now"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("api");
    assert_eq!(ok.status(), 200);
    // … and none of it on the webhook one, session or not.
    let hooks = w.gateway().addr();
    assert_ne!(Some(hooks), w.gateway().ui_addr());
    for path in [
        "/",
        "/ui",
        "/ui/now",
        "/ui/login",
        "/ui/api/now",
        "/ui/style.css",
    ] {
        let resp = http
            .get(format!("http://{hooks}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("webhook listener");
        assert_eq!(resp.status(), 404, "{path} on the webhook listener");
    }
    let resp = http
        .post(format!("http://{hooks}/ui/login"))
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .expect("webhook listener");
    assert_eq!(resp.status(), 404);
}

/// The Acknowledge button's data on the last card pushed.
pub fn ack_data(w: &World) -> String {
    let pushes = w.line.pushes();
    let text = pushes.last().expect("a push").to_string();
    let start = text.find("ack:v1:").expect("an Acknowledge button");
    text[start..].split('"').next().expect("data").to_owned()
}

/// `[ui]` is read at start: a reload names a changed key as needing a
/// restart, and the page goes on as it was.
#[tokio::test]
async fn a_reload_names_a_changed_ui_key_as_needing_a_restart() {
    let mut w = locked_world().await;
    w.site.tail = w
        .site
        .tail
        .replace("lockout_after = 3", "lockout_after = 9");
    let done = w.gateway().reload(&w.config_path()).expect("reload");
    assert!(
        done.restart.iter().any(|k| k == "ui.lockout_after"),
        "{done:?}"
    );
    for _ in 0..3 {
        assert_eq!(log_in(&w, "guess").await, (401, None));
    }
    assert_eq!(
        log_in(&w, PASSWORD).await.0,
        429,
        "still three until a restart"
    );
}

/// Wrong passwords sent all at once are checked one at a time: the lockout
/// still stops them after three.
#[tokio::test]
async fn a_burst_of_wrong_passwords_is_checked_one_at_a_time_and_locked_out() {
    let w = locked_world().await;
    let g = "guess";
    let (a, b, c, d, e, f) = tokio::join!(
        log_in(&w, g),
        log_in(&w, g),
        log_in(&w, g),
        log_in(&w, g),
        log_in(&w, g),
        log_in(&w, g)
    );
    let mut statuses: Vec<u16> = [a, b, c, d, e, f].iter().map(|r| r.0).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
}

//! The web page's *Audit*, *Staff* and *Rules* tabs against the real
//! gateway and the fakes (open on this machine: no password).

use serde_json::Value;

use crate::ui::{ack_data, client, locked_world, log_in, page, tail, PASSWORD};
use crate::world::{baseline, until, World, USER};

const APP: &str = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";

async fn get(w: &World, path: &str) -> reqwest::Response {
    let resp = client().get(page(w, path)).send().await.expect("page");
    assert_eq!(resp.status(), 200, "{path}");
    resp
}

async fn json(w: &World, path: &str) -> Value {
    get(w, path).await.json().await.expect("json")
}

fn records(v: &Value) -> Vec<i64> {
    v["acks"]
        .as_array()
        .expect("acks")
        .iter()
        .filter_map(|a| a["record"].as_i64())
        .collect()
}

/// A world with one acknowledged notification (record 5).
async fn acknowledged() -> World {
    let w = World::start_with(APP, &tail(""), |k| k.set_record(5, 1, "Open")).await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    until(10, "a push", || async { !w.line.pushes().is_empty() }).await;
    w.deliver(&[w.line.postback_event(USER, &ack_data(&w))])
        .await;
    until(10, "the acknowledgement", || async {
        records(&json(&w, "/ui/api/audit").await) == [5]
    })
    .await;
    w
}

#[tokio::test]
async fn the_audit_finds_acknowledgements_by_record_person_and_date_and_exports_csv() {
    let w = acknowledged().await;
    let all = json(&w, "/ui/api/audit").await;
    let actor = all["acks"][0]["actor"].as_str().expect("actor").to_owned();
    let part: String = actor.chars().take(3).collect();
    let w = &w;
    let q =
        |query: String| async move { records(&json(w, &format!("/ui/api/audit?{query}")).await) };
    assert_eq!(q("record=5".into()).await, [5]);
    assert_eq!(q("record=%236".into()).await, Vec::<i64>::new());
    let by_person = form_urlencoded::Serializer::new(String::new())
        .append_pair("person", &part)
        .finish();
    assert_eq!(q(by_person).await, [5], "a part of {actor:?}");
    assert_eq!(q("person=nobody-like-this".into()).await, Vec::<i64>::new());
    let now =
        jiff::Timestamp::from_millisecond(kintone_line_gateway::clock::now_ms()).expect("now");
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::system()).date();
    let (yesterday, tomorrow) = (
        today.yesterday().expect("day"),
        today.tomorrow().expect("day"),
    );
    assert_eq!(q(format!("from={yesterday}&to={tomorrow}")).await, [5]);
    assert_eq!(q(format!("from={tomorrow}")).await, Vec::<i64>::new());
    assert_eq!(
        q(format!("to={}", yesterday.yesterday().expect("day"))).await,
        Vec::<i64>::new()
    );

    let csv = get(w, "/ui/audit.csv?record=5").await;
    assert!(csv.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/csv"));
    let text = csv.text().await.expect("csv");
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "a header and one row: {text}");
    assert!(
        lines[1].contains("\"5\"") && lines[1].contains(&actor),
        "{text}"
    );
    let html = get(w, "/ui/audit?record=5")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("tr class=\"ack\" data-record=\"5\""),
        "{html}"
    );
    let actions = w.store().page_actions(10).await.expect("audit");
    assert_eq!(actions[0].action, "ui-export", "the export is audited");
}

/// Every form that changes something posts its CSRF token.
#[tokio::test]
async fn every_posting_form_carries_its_csrf_token() {
    let w = locked_world().await;
    let (_, session) = log_in(&w, PASSWORD).await;
    let cookie = format!("klg_session={}", session.expect("session"));
    let mut posting = 0;
    for path in ["/ui/now", "/ui/health", "/ui/cost", "/ui/audit"] {
        let resp = client()
            .get(page(&w, path))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("page");
        let html = resp.text().await.expect("html");
        for form in html.split("<form").skip(1) {
            let form = form.split("</form>").next().unwrap_or("");
            if form.contains("method=\"post\"") {
                posting += 1;
                assert!(form.contains("name=\"csrf\" value=\""), "{path}: {form}");
            }
        }
    }
    assert!(posting >= 4, "each page has at least its log-out form");
}

/// The page's session cookie and CSRF token (open on this machine: the
/// first page makes a session).
async fn signed(w: &World, path: &str) -> (String, String) {
    let resp = get(w, path).await;
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| {
            h.split(';')
                .next()
                .filter(|c| c.starts_with("klg_session="))
                .map(str::to_owned)
        })
        .expect("a session");
    let html = resp.text().await.expect("html");
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    (
        cookie,
        html[at..].split('"').next().expect("csrf").to_owned(),
    )
}

async fn post(w: &World, cookie: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(page(w, path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .expect("post")
}

/// Reads the QR code the page drew (`svg.qr`, one `rect.m` per dark
/// module) back with a QR decoder.
fn decode_qr(html: &str) -> String {
    let svg = &html[html.find("<svg class=\"qr\"").expect("a QR code")..];
    let svg = &svg[..svg.find("</svg>").expect("end")];
    let view = svg.split("viewBox=\"0 0 ").nth(1).expect("viewBox");
    let side: usize = view
        .split(' ')
        .next()
        .expect("side")
        .parse()
        .expect("number");
    let mut dark = vec![false; side * side];
    for rect in svg.split("<rect class=\"m\" ").skip(1) {
        let num = |name: &str| -> usize {
            let v = rect.split(&format!("{name}=\"")).nth(1).expect(name);
            v.split('"').next().expect(name).parse().expect(name)
        };
        dark[num("y") * side + num("x")] = true;
    }
    const SCALE: usize = 4;
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(side * SCALE, side * SCALE, |x, y| {
            if dark[(y / SCALE) * side + x / SCALE] {
                0
            } else {
                255
            }
        });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("a readable QR code").1
}

#[tokio::test]
async fn staff_invites_show_a_qr_code_of_the_add_friend_link_and_are_revoked_and_unlinked() {
    let w = World::start_with(APP, &tail(""), |_| {}).await;
    let (cookie, csrf) = signed(&w, "/ui/staff").await;

    // Without the token nothing is made.
    let refused = post(&w, &cookie, "/ui/staff/invite", &[("name", "山田 花子")]).await;
    assert_eq!(refused.status(), 403);
    assert!(json(&w, "/ui/api/staff").await["invites"]
        .as_array()
        .expect("invites")
        .is_empty());

    let made = post(
        &w,
        &cookie,
        "/ui/staff/invite",
        &[("csrf", &csrf), ("name", "山田 花子")],
    )
    .await;
    assert_eq!(made.status(), 303);
    let location = made.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let code = location
        .strip_prefix("/ui/staff?invite=")
        .expect("the new code")
        .to_owned();
    let html = client()
        .get(page(&w, &location))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("staff")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("id=\"new-invite\" data-code=\"{code}\"")),
        "{html}"
    );
    assert_eq!(
        decode_qr(&html),
        "https://line.me/R/ti/p/%40fake",
        "the bot's add-friend link (basicId @fake)"
    );

    // The code works in LINE until it is revoked.
    let invites = json(&w, "/ui/api/staff").await["invites"].clone();
    assert_eq!(invites[0]["code"], code.as_str());
    assert_eq!(
        post(
            &w,
            &cookie,
            "/ui/staff/revoke",
            &[("csrf", &csrf), ("code", &code)]
        )
        .await
        .status(),
        303
    );
    assert!(json(&w, "/ui/api/staff").await["invites"]
        .as_array()
        .expect("invites")
        .is_empty());
    let normal = kintone_line_gateway::store::staff::normalise_code(&code).expect("code");
    let redeemed = w
        .store()
        .invite_redeem(USER.into(), normal, 1)
        .await
        .expect("redeem");
    assert_eq!(
        redeemed,
        kintone_line_gateway::store::staff::Redeem::Unknown,
        "a revoked code links no one"
    );

    // Someone linked is unlinked from the page.
    let invite = w
        .store()
        .invite_create("Taro".into(), None, 0, i64::MAX)
        .await
        .expect("invite");
    let normal = kintone_line_gateway::store::staff::normalise_code(&invite.code).expect("code");
    w.store()
        .invite_redeem(USER.into(), normal, 1)
        .await
        .expect("link");
    assert_eq!(
        json(&w, "/ui/api/staff").await["staff"][0]["line_user_id"],
        USER
    );
    assert_eq!(
        post(
            &w,
            &cookie,
            "/ui/staff/unlink",
            &[("csrf", &csrf), ("line_user_id", USER)]
        )
        .await
        .status(),
        303
    );
    assert!(json(&w, "/ui/api/staff").await["staff"]
        .as_array()
        .expect("staff")
        .is_empty());
    let actions: Vec<String> = w
        .store()
        .page_actions(10)
        .await
        .expect("audit")
        .into_iter()
        .rev()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["ui-invite", "ui-revoke", "ui-unlink"]);
}

#[tokio::test]
async fn each_rule_shows_its_card_from_sample_values_and_then_as_last_pushed() {
    let w = World::start_with(APP, &tail(""), |k| {
        k.set_titled_record(5, 1, "Open", "屋根の修理")
    })
    .await;
    baseline(&w).await;
    let texts = w.texts();
    let rules = json(&w, "/ui/api/rules").await;
    assert_eq!(rules[0]["preview"], "sample");
    assert_eq!(rules[0]["card"]["type"], "bubble");
    let html = get(&w, "/ui/rules").await.text().await.expect("html");
    assert!(html.contains("data-preview=\"sample\""), "{html}");
    assert!(
        html.contains(&format!(">{}</div>", texts.card_acknowledge)),
        "the Acknowledge button: {html}"
    );

    w.kintone.user_sets_status(5, "Needs approval");
    until(10, "a push", || async { !w.line.pushes().is_empty() }).await;
    let pushed = w.line.pushes()[0]["messages"][0]["contents"].clone();
    until(10, "the card last pushed", || async {
        json(&w, "/ui/api/rules").await[0]["preview"] == "last"
    })
    .await;
    let rules = json(&w, "/ui/api/rules").await;
    assert_eq!(
        rules[0]["card"], pushed,
        "the preview is the pushed Flex JSON"
    );
    let html = get(&w, "/ui/rules").await.text().await.expect("html");
    assert!(
        html.contains("屋根の修理") && html.contains("fx-bubble"),
        "{html}"
    );
}

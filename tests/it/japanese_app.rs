//! An app as a Japanese office builds it: field codes 件名, ステータス,
//! 担当者, statuses 処理中 → 承認待ち → 確認済み, and the action 確認する
//! (the fake kintone's [`FakeKintone::japanese_form`]). Rules, `show`, the
//! card, the write-back templates, the poll query and `doctor` all work
//! with those codes and values, end to end.

use kintone_line_gateway::sim::fakes::FakeKintone;
use kintone_line_gateway::sim::site::Site;
use serde_json::Value;

use crate::doctor::doctor;
use crate::world::{acks_eventually, baseline, eventually, World, USER};

/// The record's title, with a quote and a backslash the card and the
/// comment must keep as they are.
const TITLE: &str = r#"屋根の"雨漏り"修理 \ 至急"#;

fn japanese(k: &FakeKintone) {
    k.japanese_form();
    k.set_titled_record(5, 3, "処理中", TITLE);
}

/// Webhooks on; the poller only sets the baseline.
fn webhook_app(ack: &str) -> String {
    format!(
        "webhook_token = {{ file = \"hook-token\" }}\npoll_interval = \"60s\"\n[kintone.apps.ack]\n{ack}\n"
    )
}

const COMMENT: &str =
    "method = \"comment\"\ncomment = \"{{name}}さんが確認しました：{{title}}\"\nreply = \"記録しました：#{{record}}\"";

/// The rule watches the default field, `STATUS`: the status field, which this
/// app calls ステータス.
fn rules(show: &str) -> String {
    format!(
        "[[rules]]\nname = \"承認\"\napp = 1\nto = [\"承認待ち\"]\n\
         recipients = [\"{USER}\"]\nshow = {show}\n\n[notify]\ndebounce = \"0s\"\n"
    )
}

/// The Acknowledge button's postback data on the one card pushed so far.
fn ack_data(w: &World) -> String {
    let pushes = w.line.pushes();
    assert_eq!(pushes.len(), 1, "{pushes:#?}");
    let text = pushes[0].to_string();
    let start = text.find("ack:v1:").expect("an Acknowledge button");
    text[start..].split('"').next().unwrap().to_owned()
}

/// Every text of the pushed card's bubble, in order.
fn card_texts(push: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(t)) = m.get("text") {
                    out.push(t.clone());
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&push["messages"][0]["contents"], &mut out);
    out
}

/// 処理中 → 承認待ち by a person: one card with 件名 and 担当者 shown.
async fn notified(ack: &str) -> World {
    let w = World::start_with(&webhook_app(ack), &rules(r#"["件名", "担当者"]"#), japanese).await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "承認待ち").expect("record 5");
    eventually(10, || !w.line.pushes().is_empty()).await;
    let texts = card_texts(&w.line.pushes()[0]);
    assert!(texts.iter().any(|t| t == TITLE), "{texts:?}");
    assert!(texts.iter().any(|t| t == "山田 太郎"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("承認待ち")), "{texts:?}");
    w
}

#[tokio::test]
async fn a_japanese_status_change_notifies_and_the_comment_names_the_title() {
    let w = notified(COMMENT).await;
    let data = ack_data(&w);
    let (status, _) = w.deliver(&[w.line.postback_event(USER, &data)]).await;
    assert_eq!(status, 200);
    eventually(10, || w.line.replies().len() == 1).await;
    let comments = w.kintone.comment_texts();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].starts_with(&format!("Taro Yamadaさんが確認しました：{TITLE}")),
        "{comments:?}"
    );
    assert_eq!(
        w.line.replies()[0]["messages"][0]["text"],
        "記録しました：#5"
    );
}

#[tokio::test]
async fn a_japanese_status_action_moves_the_record_on() {
    let w = notified("method = \"status\"\naction = \"確認する\"").await;
    let data = ack_data(&w);
    let (status, _) = w.deliver(&[w.line.postback_event(USER, &data)]).await;
    assert_eq!(status, 200);
    eventually(10, || w.line.replies().len() == 1).await;
    let record = w.kintone.record(5).unwrap();
    assert_eq!(record["ステータス"]["value"], "確認済み");
    let acks = acks_eventually(&w, 1).await;
    assert_eq!(acks[0].outcome, "written");
}

/// No webhooks: the poll's query (`更新日時 >= "…" and $id > …`) is read by
/// the fake as kintone reads it — a quoted or English code would be refused.
#[tokio::test]
async fn a_poll_only_app_finds_the_japanese_change() {
    let w = World::start_with(
        "poll_interval = \"5s\"\nallow_over_budget = true",
        &rules(r#"["件名"]"#),
        japanese,
    )
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "承認待ち").expect("record 5");
    eventually(30, || !w.line.pushes().is_empty()).await;
    let texts = card_texts(&w.line.pushes()[0]);
    assert!(texts.iter().any(|t| t == TITLE), "{texts:?}");
    let queries: Vec<String> = w
        .kintone
        .requests()
        .iter()
        .filter(|r| r.path == "/k/v1/records.json")
        .filter_map(|r| r.query_param("query"))
        .collect();
    assert!(
        queries.iter().any(|q| q.starts_with("更新日時 >= \"")),
        "{queries:?}"
    );
}

/// `doctor` reads the Japanese form: the codes it has pass, and a code it
/// lacks is named as written, with where the config uses it.
#[tokio::test]
async fn doctor_names_a_missing_japanese_field_code() {
    let line = kintone_line_gateway::sim::fakes::FakeLine::start()
        .await
        .unwrap();
    let kintone = FakeKintone::start(kintone_line_gateway::sim::site::APP_TOKEN)
        .await
        .unwrap();
    kintone.japanese_form();
    let dir = tempfile::tempdir().unwrap();
    let site = |show: &str| Site::for_fakes(&line, &kintone, &webhook_app(COMMENT), &rules(show));

    let good = site(r#"["件名", "担当者"]"#).write(dir.path()).unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&good))
        .await
        .unwrap();
    assert!(
        text.contains("[正常] kintone アプリ 1「修理依頼」：トークンを受け付けました"),
        "{code:?}\n{text}"
    );

    let bad = site(r#"["件名X"]"#).write(dir.path()).unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&bad))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("フォームにフィールド 件名X（ルール「承認」の show）がありません"),
        "{text}"
    );
}

/// A card template names Japanese field codes bare (`{{件名}}`); doctor
/// flags a placeholder that is no field of the form (`{{field.件名}}`
/// would render as `-`).
const CARD: &str = r#"{"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [
  {"type": "text", "text": "{{status}}：{{件名}}", "wrap": true},
  {"type": "text", "text": "担当：{{担当者}}"},
  {"type": "button", "action": {"type": "postback", "label": "確認", "data": "{{ack_data}}"}}
]}}"#;

fn with_template(dir: &std::path::Path, card: &str) -> String {
    std::fs::write(dir.join("card.json"), card).unwrap();
    rules("[]").replace("show = []", "template = \"card.json\"")
}

#[tokio::test]
async fn a_card_template_shows_japanese_fields() {
    let files = tempfile::tempdir().unwrap();
    let tail = with_template(files.path(), CARD).replace(
        "template = \"card.json\"",
        &format!(
            "template = \"{}\"",
            files.path().join("card.json").display()
        ),
    );
    let w = World::start_with(&webhook_app(COMMENT), &tail, japanese).await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "承認待ち").expect("record 5");
    eventually(10, || !w.line.pushes().is_empty()).await;
    let texts = card_texts(&w.line.pushes()[0]);
    assert!(texts.contains(&format!("承認待ち：{TITLE}")), "{texts:?}");
    assert!(texts.contains(&"担当：山田 太郎".to_owned()), "{texts:?}");
}

#[tokio::test]
async fn doctor_flags_a_template_placeholder_the_form_lacks() {
    let line = kintone_line_gateway::sim::fakes::FakeLine::start()
        .await
        .unwrap();
    let kintone = FakeKintone::start(kintone_line_gateway::sim::site::APP_TOKEN)
        .await
        .unwrap();
    kintone.japanese_form();
    let dir = tempfile::tempdir().unwrap();
    let tail = with_template(dir.path(), &CARD.replace("{{件名}}", "{{field.件名}}"));
    let config = Site::for_fakes(&line, &kintone, &webhook_app(COMMENT), &tail)
        .write(dir.path())
        .unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&config))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("フォームにフィールド field.件名（ルール「承認」の template）がありません"),
        "{text}"
    );
}

/// `{{field.件名}}` in a write-back template: refused at load, naming the key
/// and the placeholders that are allowed there.
#[test]
fn check_config_explains_a_field_code_in_an_ack_template() {
    let dir = tempfile::tempdir().unwrap();
    let site = crate::daemon::offline_site(
        "[kintone.apps.ack]\ncomment = \"{{name}}：{{field.件名}}\"",
        &rules("[]"),
    );
    let (code, _, err) = crate::daemon::check_config(&site.write(dir.path()).unwrap());
    assert_eq!(code, Some(64), "{err}");
    assert!(
        err.contains(
            "ack.comment：ここではフィールドの値は使えません：{{field.件名}}。使えるのは name, "
        ),
        "{err}"
    );
}

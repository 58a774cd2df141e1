//! Flex messages the gateway builds, checked against LINE's official OpenAPI
//! description as the body of a push request.
//!
//! The rule kept here: whatever `line::flex` produces — a single card, a
//! carousel, a rendered template — is a `PushMessageRequest` LINE accepts
//! by shape; and the check itself can fail.

use kintone_line_gateway::line::flex::{alt_text, pack, FlexTemplate, NotificationCard};
use kintone_line_gateway::line::message::Message;
use kintone_line_gateway::text::Language;
use serde_json::{json, Value};

use crate::openapi::line_messaging_api;

fn card(record_id: u64) -> NotificationCard {
    NotificationCard {
        app_name: "修繕依頼".into(),
        status: "承認待ち".into(),
        previous: Some("下書き".into()),
        title: "屋根の修理".into(),
        record_id,
        fields: vec![
            ("金額".into(), "120,000".into()),
            ("担当者".into(), "山田".into()),
            ("Notes".into(), "Leaks when it rains\nsecond floor".into()),
        ],
        ack_data: Some(format!("ack:v1::7:{record_id}:01hx")),
        open_url: Some(format!(
            "https://example.cybozu.com/k/7/show#record={record_id}"
        )),
        language: Language::Ja,
    }
}

fn push(messages: &[Message]) -> Value {
    json!({"to": "U4af4980629a0bd3cd2ca7d1b1e1cd4f4", "messages": messages})
}

fn cards(n: u64) -> Vec<(kintone_line_gateway::line::flex::Bubble, String)> {
    (1..=n)
        .map(|id| {
            let c = card(id);
            (c.to_bubble().unwrap(), alt_text(&c))
        })
        .collect()
}

fn assert_valid(body: &Value) {
    if let Err(errors) = line_messaging_api().validate("PushMessageRequest", body) {
        panic!(
            "LINE would refuse this push:\n{}\n{body:#}",
            errors.join("\n")
        );
    }
}

fn single_card_request() -> Value {
    let requests = pack(cards(1)).unwrap();
    assert_eq!(requests.len(), 1);
    push(&requests[0])
}

#[test]
fn single_card_is_a_valid_push() {
    let body = single_card_request();
    assert_eq!(body["messages"][0]["contents"]["type"], "bubble");
    assert_eq!(
        body["messages"][0]["altText"],
        "【修繕依頼】#1 承認待ち：屋根の修理"
    );
    assert_valid(&body);
}

#[test]
fn carousels_are_valid_pushes() {
    let requests = pack(cards(61)).unwrap();
    assert_eq!(requests.len(), 2);
    for messages in &requests {
        let body = push(messages);
        assert_eq!(body["messages"][0]["contents"]["type"], "carousel");
        assert_valid(&body);
    }
}

const TEMPLATE: &str = r##"{
  "type": "bubble",
  "size": "kilo",
  "hero": {"type": "image", "url": "https://example.com/roof.png", "size": "full",
           "aspectRatio": "20:13", "aspectMode": "cover"},
  "header": {"type": "box", "layout": "horizontal", "backgroundColor": "#F5F5F5", "paddingAll": "md",
    "contents": [
      {"type": "text", "text": "{{app_name}}", "size": "sm", "color": "#888888", "flex": 3},
      {"type": "filler"},
      {"type": "text", "contents": [
         {"type": "span", "text": "{{previous}} → "},
         {"type": "span", "text": "{{status}}", "weight": "bold", "color": "#06C755"}]}
    ]},
  "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
    {"type": "text", "text": "#{{record_id}} {{title}}", "wrap": true, "size": "lg", "weight": "bold"},
    {"type": "separator", "margin": "md"},
    {"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
      {"type": "icon", "url": "https://example.com/person.png", "size": "sm"},
      {"type": "text", "text": "{{担当者}}", "size": "sm", "flex": 5}
    ]}
  ]},
  "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
    {"type": "button", "style": "primary", "height": "sm",
     "action": {"type": "postback", "label": "確認しました", "data": "{{ack_data}}", "displayText": "確認 #{{record_id}}"}},
    {"type": "button", "style": "link", "action": {"type": "uri", "label": "kintoneで開く", "uri": "{{url}}"}}
  ]},
  "styles": {"footer": {"separator": true}}
}"##;

#[test]
fn rendered_template_is_a_valid_push() {
    let template = FlexTemplate::parse(TEMPLATE).unwrap();
    let c = card(345);
    let lookup = |name: &str| match name {
        "担当者" => Some("山田".to_owned()),
        other => c.lookup(other),
    };
    let bubble = template.render(&lookup).unwrap();
    assert_eq!(bubble["body"]["contents"][0]["text"], "#345 屋根の修理");
    let requests = pack(vec![(bubble.clone(), alt_text(&c))]).unwrap();
    assert_valid(&push(&requests[0]));

    // Mixed with built-in cards (another size): two carousels in one request.
    let mut items: Vec<(kintone_line_gateway::line::flex::Contents, String)> =
        cards(2).into_iter().map(|(b, a)| (b.into(), a)).collect();
    items.push((bubble.into(), alt_text(&c)));
    let requests = pack(items).unwrap();
    assert_eq!(requests[0].len(), 2);
    assert_valid(&push(&requests[0]));
}

/// The validator must be able to say no, or the tests above prove nothing.
fn refused(mutate: impl FnOnce(&mut Value)) -> String {
    let mut body = single_card_request();
    mutate(&mut body);
    match line_messaging_api().validate("PushMessageRequest", &body) {
        Ok(()) => panic!("the validator accepted a broken push: {body:#}"),
        Err(errors) => errors.join("\n"),
    }
}

#[test]
fn unknown_component_type_is_refused() {
    let e =
        refused(|b| b["messages"][0]["contents"]["body"]["contents"][0]["type"] = json!("chart"));
    assert!(
        e.contains("$.messages[0].contents.body.contents[0]: unknown type \"chart\""),
        "{e}"
    );
}

#[test]
fn missing_required_fields_are_refused() {
    let e = refused(|b| {
        b["messages"][0]["contents"]["body"]
            .as_object_mut()
            .unwrap()
            .remove("layout");
    });
    assert!(
        e.contains("$.messages[0].contents.body: required property `layout` is missing"),
        "{e}"
    );
    let e = refused(|b| {
        b["messages"][0].as_object_mut().unwrap().remove("altText");
    });
    assert!(e.contains("required property `altText` is missing"), "{e}");
    let e = refused(|b| {
        b.as_object_mut().unwrap().remove("to");
    });
    assert!(e.contains("$: required property `to` is missing"), "{e}");
}

#[test]
fn limits_and_keywords_are_refused() {
    let e = refused(|b| {
        b["messages"][0]["contents"]["footer"]["contents"][0]["action"]["data"] =
            json!("x".repeat(301))
    });
    assert!(
        e.contains("action.data: 301 characters, at most 300 allowed"),
        "{e}"
    );
    let e = refused(|b| b["messages"][0]["contents"]["size"] = json!("340px"));
    assert!(
        e.contains("$.messages[0].contents.size: \"340px\" is not one of"),
        "{e}"
    );
    let e = refused(|b| {
        b["messages"][0]["contents"]["footer"]["contents"][1]["action"]["type"] = json!("teleport")
    });
    assert!(e.contains("unknown type \"teleport\""), "{e}");
    let e = refused(|b| {
        let m = b["messages"][0].clone();
        b["messages"] = json!([m.clone(), m.clone(), m.clone(), m.clone(), m.clone(), m]);
    });
    assert!(e.contains("$.messages: 6 items, at most 5 allowed"), "{e}");
}

#[test]
fn deep_problems_inside_a_carousel_are_refused() {
    let requests = pack(cards(3)).unwrap();
    let mut body = push(&requests[0]);
    assert_valid(&body);
    // Third bubble, body, field table, first row, value text.
    let text = &mut body["messages"][0]["contents"]["contents"][2]["body"]["contents"][2]
        ["contents"][0]["contents"][1];
    assert_eq!(text["text"], "120,000");
    text["weight"] = json!("heavy");
    let errors = line_messaging_api()
        .validate("PushMessageRequest", &body)
        .unwrap_err();
    assert_eq!(
        errors,
        [
            r#"$.messages[0].contents.contents[2].body.contents[2].contents[0].contents[1].weight: "heavy" is not one of ["regular","bold"]"#
        ]
    );
}

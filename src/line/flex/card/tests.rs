//! Unit tests of [`super`]: kept in their own file so the module stays readable.

use super::*;
use crate::text::Language;
use serde_json::{json, Value};

fn card() -> NotificationCard {
    NotificationCard {
        app_name: "Approvals".into(),
        status: "Needs approval".into(),
        previous: Some("Draft".into()),
        title: "Fix roof".into(),
        record_id: 345,
        fields: vec![
            ("Amount".into(), "120,000".into()),
            ("担当者".into(), "山田".into()),
        ],
        ack_data: Some("ack:v1::7:345:01h".into()),
        open_url: Some("https://example.cybozu.com/k/7/show#record=345".into()),
        language: Language::En,
    }
}

fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Object(m) if m.get("type") == Some(&json!("text")) => {
            vec![m["text"].as_str().unwrap().to_owned()]
        }
        Value::Object(m) => m.values().flat_map(texts).collect(),
        Value::Array(a) => a.iter().flat_map(texts).collect(),
        _ => vec![],
    }
}

#[test]
fn card_has_header_body_and_buttons() {
    let v = card().to_bubble().unwrap().to_json().unwrap();
    assert_eq!(
        texts(&v["header"]),
        ["Approvals", "Needs approval", "Draft → Needs approval"]
    );
    assert_eq!(
        texts(&v["body"]),
        ["#345 Fix roof", "Amount", "120,000", "担当者", "山田"]
    );
    assert_eq!(
        v["footer"]["contents"][0]["action"],
        json!({"type":"postback","label":"Acknowledge","data":"ack:v1::7:345:01h","displayText":"Acknowledge #345"})
    );
    assert_eq!(v["footer"]["contents"][0]["style"], "primary");
    assert_eq!(
        v["footer"]["contents"][1]["action"],
        json!({"type":"uri","label":"Open in kintone","uri":"https://example.cybozu.com/k/7/show#record=345"})
    );
    assert_eq!(
        v["body"]["contents"][2]["contents"][0]["layout"],
        "baseline"
    );
}

#[test]
fn no_buttons_means_no_footer() {
    let c = NotificationCard {
        ack_data: None,
        open_url: None,
        previous: None,
        fields: vec![],
        ..card()
    };
    let v = c.to_bubble().unwrap().to_json().unwrap();
    assert!(v.get("footer").is_none());
    assert_eq!(texts(&v["header"]), ["Approvals", "Needs approval"]);
    assert_eq!(texts(&v["body"]), ["#345 Fix roof"]);
}

#[test]
fn oversized_card_sheds_fields_from_the_end() {
    let fields: Vec<_> = (0..200)
        .map(|i| (format!("Field {i}"), "値".repeat(300)))
        .collect();
    let c = NotificationCard { fields, ..card() };
    let b = c.to_bubble().unwrap();
    assert!(b.json_bytes() <= MAX_BUBBLE_BYTES);
    let v = b.to_json().unwrap();
    let rows = v["body"]["contents"][2]["contents"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() < 200);
    assert_eq!(rows[0]["contents"][0]["text"], "Field 0");
    let last = rows.len() - 1;
    assert_eq!(rows[last]["contents"][0]["text"], format!("Field {last}"));
    assert_eq!(
        v["body"]["contents"][3]["text"],
        format!("+{} more in kintone", 200 - rows.len())
    );
    // Shedding keeps as many rows as fit: the next row would not.
    let next = super::super::bubble::json_bytes(&field_row(
        &format!("Field {}", rows.len()),
        &"値".repeat(300),
    ));
    assert!(b.json_bytes() + next + 1 > MAX_BUBBLE_BYTES);
}

#[test]
fn card_too_large_without_fields_is_an_error() {
    let c = NotificationCard {
        app_name: "\u{1}".repeat(2000), // escaped as \u0001: 6 bytes each
        status: "\u{1}".repeat(2000),
        previous: Some("\u{1}".repeat(2000)),
        title: "\u{1}".repeat(2000),
        ..card()
    };
    assert!(matches!(
        c.to_bubble(),
        Err(FlexError::BubbleTooLarge { .. })
    ));
}

#[test]
fn bad_button_inputs_are_errors() {
    let c = NotificationCard {
        ack_data: Some("x".repeat(301)),
        ..card()
    };
    assert!(matches!(
        c.to_bubble(),
        Err(FlexError::DataTooLong { len: 301, .. })
    ));
    let c = NotificationCard {
        open_url: Some("ftp://x".into()),
        ..card()
    };
    assert!(matches!(c.to_bubble(), Err(FlexError::BadUri { .. })));
}

#[test]
fn alt_text_reads_as_one_line() {
    assert_eq!(
        alt_text(&card()),
        "[Approvals] #345 Needs approval: Fix roof"
    );
    let c = NotificationCard {
        app_name: "".into(),
        title: "屋根の\n修理".into(),
        status: "承認待ち".into(),
        ..card()
    };
    assert_eq!(alt_text(&c), "#345 承認待ち: 屋根の 修理");
    let c = NotificationCard {
        title: "長".repeat(3000),
        ..card()
    };
    let alt = alt_text(&c);
    assert_eq!(alt.chars().count(), MAX_ALT_TEXT_CHARS);
    assert!(alt.ends_with("長…"));
}

#[test]
fn lookup_gives_builtin_placeholders() {
    let c = card();
    assert_eq!(c.lookup("record_id").as_deref(), Some("345"));
    assert_eq!(c.lookup("previous").as_deref(), Some("Draft"));
    assert_eq!(c.lookup("url"), c.open_url);
    assert_eq!(c.lookup("ack_data"), c.ack_data);
    assert_eq!(c.lookup("Amount"), None);
}

//! Unit tests of [`super`]: kept in their own file so the module stays readable.

use super::*;
use serde_json::json;

const TEMPLATE: &str = r##"{
  "type": "bubble",
  "size": "kilo",
  "header": {"type": "box", "layout": "vertical", "contents": [
    {"type": "text", "text": "{{app_name}}", "size": "sm", "color": "#888888"},
    {"type": "text", "text": "{{previous}} → {{status}}", "size": "xl", "weight": "bold", "wrap": true}
  ]},
  "body": {"type": "box", "layout": "vertical", "spacing": "md", "paddingAll": "lg", "contents": [
    {"type": "text", "text": "#{{record_id}} {{title}}", "wrap": true, "maxLines": 3},
    {"type": "text", "text": "{{担当者}}", "margin": "sm"}
  ]},
  "footer": {"type": "box", "layout": "vertical", "contents": [
    {"type": "button", "style": "primary",
     "action": {"type": "postback", "label": "OK {{title}}", "data": "{{ack_data}}", "displayText": "OK #{{record_id}}"}},
    {"type": "button", "style": "link", "action": {"type": "uri", "label": "Open", "uri": "{{url}}"}}
  ]}
}"##;

fn values(name: &str) -> Option<String> {
    Some(match name {
        "app_name" => "Approvals".into(),
        "status" => "Needs approval".into(),
        "previous" => "Draft".into(),
        "record_id" => "345".into(),
        "title" => "Fix roof".into(),
        "url" => "https://example.cybozu.com/k/7/show#record=345".into(),
        "ack_data" => "ack:v1::7:345:01h".into(),
        "担当者" => "山田".into(),
        _ => return None,
    })
}

fn with<'a>(over: &'a [(&'a str, Option<&'a str>)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| match over.iter().find(|(n, _)| *n == name) {
        Some((_, v)) => v.map(str::to_owned),
        None => values(name),
    }
}

fn parse_err(json: &str) -> String {
    FlexTemplate::parse(json).unwrap_err().to_string()
}

fn body_with(component: &str) -> String {
    format!(
        r#"{{"type":"bubble","body":{{"type":"box","layout":"vertical","contents":[{{"type":"text","text":"a"}},{component}]}}}}"#
    )
}

#[test]
fn renders_placeholders_everywhere() {
    let t = FlexTemplate::parse(TEMPLATE).unwrap();
    let names: Vec<_> = t.placeholders().into_iter().collect();
    assert_eq!(
        names,
        [
            "ack_data",
            "app_name",
            "previous",
            "record_id",
            "status",
            "title",
            "url",
            "担当者"
        ]
    );
    let v = t.render(&values).unwrap();
    assert_eq!(v["header"]["contents"][1]["text"], "Draft → Needs approval");
    assert_eq!(v["body"]["contents"][0]["text"], "#345 Fix roof");
    assert_eq!(v["body"]["contents"][1]["text"], "山田");
    assert_eq!(
        v["footer"]["contents"][0]["action"],
        json!({"type":"postback","label":"OK Fix roof","data":"ack:v1::7:345:01h","displayText":"OK #345"})
    );
    assert_eq!(
        v["footer"]["contents"][1]["action"]["uri"],
        "https://example.cybozu.com/k/7/show#record=345"
    );
    assert_eq!(v["size"], "kilo");
}

#[test]
fn rejects_pixels_with_the_json_path() {
    assert_eq!(
        parse_err(&body_with(r#"{"type":"text","text":"b","size":"18px"}"#)),
        r#"body.contents[1].size: "18px" is not allowed; use one of xxs…5xl"#
    );
    assert_eq!(
        parse_err(&body_with(
            r#"{"type":"box","layout":"vertical","paddingAll":"10%","contents":[]}"#
        )),
        r#"body.contents[1].paddingAll: "10%" is not allowed; use one of none…xxl"#
    );
    assert!(
        parse_err(&body_with(r#"{"type":"separator","margin":"4px"}"#))
            .starts_with("body.contents[1].margin: \"4px\"")
    );
    assert!(parse_err(&body_with(
        r#"{"type":"text","text":"b","offsetTop":"2px"}"#
    ))
    .starts_with("body.contents[1].offsetTop:"));
    assert!(parse_err(&body_with(
        r#"{"type":"box","layout":"vertical","width":"100px","contents":[]}"#
    ))
    .starts_with("body.contents[1].width: not allowed"));
    assert!(parse_err(r#"{"type":"bubble","size":"340px"}"#)
        .starts_with(r#"size: "340px" is not allowed; use one of nano…giga"#));
    assert!(parse_err(&body_with(
        r#"{"type":"text","text":"b","size":"{{size}}"}"#
    ))
    .starts_with("body.contents[1].size:"));
}

#[test]
fn rejects_what_line_would_refuse() {
    assert!(parse_err(r#"{"type":"carousel","contents":[]}"#)
        .starts_with(r#"type: "carousel" is not allowed"#));
    assert_eq!(parse_err("[1]"), "(bubble): expected an object");
    assert!(parse_err("{").starts_with("template is not valid JSON"));
    assert_eq!(
        parse_err(&body_with(r#"{"type":"chart"}"#)),
        r#"body.contents[1]: unknown component type "chart""#
    );
    assert_eq!(
        parse_err(&body_with(
            r##"{"type":"text","text":"b","colour":"#000000"}"##
        )),
        "body.contents[1].colour: unknown property"
    );
    assert_eq!(
        parse_err(&body_with(r#"{"type":"box","contents":[]}"#)),
        "body.contents[1].layout: required property is missing"
    );
    assert_eq!(
        parse_err(r#"{"type":"bubble","footer":{"type":"text","text":"x"}}"#),
        r#"footer: unknown component type "text""#
    );
    assert!(
        parse_err(&body_with(r#"{"type":"text","text":"b","color":"red"}"#))
            .starts_with("body.contents[1].color:")
    );
    assert!(parse_err(&body_with(
        r#"{"type":"button","action":{"type":"uri","uri":"https://x.jp"}}"#
    ))
    .starts_with("body.contents[1].action.label: required"));
    assert!(parse_err(&body_with(
        r#"{"type":"button","action":{"type":"camera","label":"c"}}"#
    ))
    .contains("unknown action type \"camera\""));
    assert!(parse_err(&body_with(
        r#"{"type":"button","action":{"type":"uri","label":"c","uri":"ftp://x"}}"#
    ))
    .starts_with("body.contents[1].action.uri:"));
}

#[test]
fn rejects_malformed_placeholders_and_fixed_overlong_values() {
    let err = parse_err(&body_with(r#"{"type":"text","text":"{{status"}"#));
    assert!(err.starts_with("body.contents[1].text: unclosed"), "{err}");
    let data = "d".repeat(301);
    let err = parse_err(&body_with(&format!(
        r#"{{"type":"button","action":{{"type":"postback","label":"x","data":"{data}"}}}}"#
    )));
    assert!(
        err.starts_with("body.contents[1].action.data: postback data is 301 characters"),
        "{err}"
    );
    let label = "l".repeat(41);
    let err = parse_err(&body_with(&format!(
        r#"{{"type":"button","action":{{"type":"postback","label":"{label}","data":"x"}}}}"#
    )));
    assert!(
        err.starts_with("body.contents[1].action.label: text is 41 characters"),
        "{err}"
    );
}

#[test]
fn rendered_values_keep_limits() {
    let t = FlexTemplate::parse(TEMPLATE).unwrap();
    let title = "屋根".repeat(40);
    let v = t.render(&with(&[("title", Some(&title))])).unwrap();
    let label = v["footer"]["contents"][0]["action"]["label"]
        .as_str()
        .unwrap();
    assert_eq!(label.chars().count(), 40);
    assert!(label.starts_with("OK 屋根") && label.ends_with('…'));
    let data = "a".repeat(301);
    let err = t.render(&with(&[("ack_data", Some(&data))])).unwrap_err();
    assert!(
        matches!(err, FlexError::DataTooLong { ref path, len: 301, .. } if path == "footer.contents[0].action.data")
    );
    let err = t
        .render(&with(&[("url", Some("javascript:alert(1)"))]))
        .unwrap_err();
    assert!(
        matches!(err, FlexError::BadUri { ref path, .. } if path == "footer.contents[1].action.uri")
    );
}

#[test]
fn missing_values_drop_buttons_and_empty_texts_show_a_dash() {
    let t = FlexTemplate::parse(TEMPLATE).unwrap();
    let v = t
        .render(&with(&[("ack_data", None), ("担当者", None)]))
        .unwrap();
    let buttons = v["footer"]["contents"].as_array().unwrap();
    assert_eq!(buttons.len(), 1);
    assert_eq!(buttons[0]["action"]["type"], "uri");
    assert_eq!(v["body"]["contents"][1]["text"], EMPTY_TEXT);
    let v = t
        .render(&with(&[
            ("ack_data", None),
            ("url", None),
            ("record_id", None),
        ]))
        .unwrap();
    assert!(v.get("footer").is_none(), "an emptied footer box goes: {v}");
    assert_eq!(v["body"]["contents"][0]["text"], "# Fix roof");
}

#[test]
fn empty_display_text_is_left_out() {
    let json = body_with(
        r#"{"type":"button","action":{"type":"postback","label":"x","data":"d","displayText":"{{nothing}}"}}"#,
    );
    let v = FlexTemplate::parse(&json).unwrap().render(&values).unwrap();
    assert_eq!(
        v["body"]["contents"][1]["action"],
        json!({"type":"postback","label":"x","data":"d"})
    );
}

#[test]
fn rendered_bubble_over_30_kb_is_an_error() {
    let texts: Vec<String> = (0..20)
        .map(|_| r#"{"type":"text","text":"{{title}}"}"#.to_owned())
        .collect();
    let json = format!(
        r#"{{"type":"bubble","body":{{"type":"box","layout":"vertical","contents":[{}]}}}}"#,
        texts.join(",")
    );
    let t = FlexTemplate::parse(&json).unwrap();
    let long = "x".repeat(1900);
    assert!(matches!(
        t.render(&with(&[("title", Some(&long))])),
        Err(FlexError::BubbleTooLarge { .. })
    ));
    assert!(t.render(&values).is_ok());
}

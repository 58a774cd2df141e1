//! What the demo shows of a push: its texts, and its Acknowledge buttons' data.

use serde_json::Value;

use super::words;
use crate::text::Language;

/// The texts of a push, card by card: header, body, and buttons; the
/// demo's own words in `language`.
pub(super) fn render_push(push: &Value, language: Language) -> Vec<String> {
    let several = words::PUSH_TO_SEVERAL.in_(language);
    let to = push["to"].as_str().unwrap_or(several);
    let mut out = vec![words::PUSH_TO.fill(language, &[("to", to)])];
    for m in push["messages"].as_array().into_iter().flatten() {
        if let Some(alt) = m["altText"].as_str() {
            out.push(words::ALT_TEXT.fill(language, &[("alt", alt)]));
        }
        let bubbles: Vec<&Value> = match m["contents"]["type"].as_str() {
            Some("carousel") => m["contents"]["contents"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            _ => vec![&m["contents"]],
        };
        for b in bubbles {
            for part in ["header", "body", "footer"] {
                let mut texts = Vec::new();
                collect_texts(&b[part], &mut texts);
                if !texts.is_empty() {
                    out.push(format!("[{part}] {}", texts.join(" · ")));
                }
            }
        }
    }
    out
}

fn collect_texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(t) = o.get("text").and_then(Value::as_str) {
                out.push(t.to_owned());
            }
            if let Some(label) = o.get("action").and_then(|a| a["label"].as_str()) {
                out.push(format!("[ {label} ]"));
            }
            for c in o
                .get("contents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                collect_texts(c, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_texts(c, out)),
        _ => {}
    }
}

/// Every Acknowledge postback's data in `pushes`, in order.
pub(super) fn all_ack_data(pushes: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for p in pushes {
        let text = p.to_string();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("\"data\":\"ack:v1:") {
            let tail = &rest[i + 8..];
            let end = tail.find('"').unwrap_or(tail.len());
            out.push(tail[..end].to_owned());
            rest = &tail[end..];
        }
    }
    out
}

pub(super) fn ack_data(push: &Value) -> Option<String> {
    all_ack_data(std::slice::from_ref(push)).into_iter().next()
}

pub(super) fn cards(pushes: &[Value]) -> usize {
    all_ack_data(pushes).len()
}

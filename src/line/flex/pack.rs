//! Packing bubbles into as few push requests as possible.
//!
//! The rule kept here: LINE bills one message per recipient per request,
//! however many message objects and bubbles the request holds. So bubbles go
//! into carousels (≤ 12 bubbles of one size, ≤ 50 KB) and carousels into
//! requests (≤ 5 messages): up to 60 notifications for the price of one.

use serde_json::{json, Value};

use super::bubble::{check_bubble_bytes, json_bytes, Bubble};
use super::card::collapse_whitespace;
use super::tokens::{self, BubbleSize};
use super::{
    FlexError, MAX_ALT_TEXT_CHARS, MAX_CAROUSEL_BUBBLES, MAX_CAROUSEL_BYTES,
    MAX_MESSAGES_PER_REQUEST,
};
use crate::line::message::{truncate_chars, Message};

/// `{"type":"carousel","contents":[` and `]}` around the bubbles.
const CAROUSEL_OVERHEAD: usize = r#"{"type":"carousel","contents":[]}"#.len();
/// What an empty altText becomes: LINE requires one.
const EMPTY_ALT: &str = "Update";

/// A bubble to pack: built with the typed builder or rendered from a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Contents {
    /// A typed bubble (boxed: it is large next to a `Value`).
    Bubble(Box<Bubble>),
    /// Bubble JSON, e.g. from [`FlexTemplate::render`](super::FlexTemplate::render).
    Json(Value),
}

impl From<Bubble> for Contents {
    fn from(b: Bubble) -> Contents {
        Contents::Bubble(Box::new(b))
    }
}

impl From<Value> for Contents {
    fn from(v: Value) -> Contents {
        Contents::Json(v)
    }
}

/// A bubble ready to pack.
struct Packed {
    json: Value,
    bytes: usize,
    size: BubbleSize,
    alt: String,
}

/// Packs `(bubble, altText)` pairs into requests: the result is one
/// `messages` array per push request. One bubble alone becomes one Flex
/// message with that bubble; more become carousels grouped by bubble size,
/// in first-seen order. No input, no requests.
///
/// # Errors
/// For a JSON item that is not a bubble, has an unknown `size`, or is over
/// 30 KB; the path names the item (`items[3]`).
pub fn pack<C: Into<Contents>>(items: Vec<(C, String)>) -> Result<Vec<Vec<Message>>, FlexError> {
    let mut packed = items
        .into_iter()
        .enumerate()
        .map(|(i, (contents, alt))| prepare(i, contents.into(), alt))
        .collect::<Result<Vec<_>, _>>()?;
    if packed.len() == 1 {
        let Packed { json, alt, .. } = packed.remove(0);
        return Ok(vec![vec![Message::Flex {
            alt_text: alt,
            contents: json,
        }]]);
    }
    let messages: Vec<Message> = group_by_size(packed)
        .into_iter()
        .flat_map(carousels)
        .collect();
    Ok(messages
        .chunks(MAX_MESSAGES_PER_REQUEST)
        .map(<[Message]>::to_vec)
        .collect())
}

fn prepare(index: usize, contents: Contents, alt: String) -> Result<Packed, FlexError> {
    let path = format!("items[{index}]");
    let alt = match collapse_whitespace(&alt) {
        a if a.is_empty() => EMPTY_ALT.to_owned(),
        a => truncate_chars(&a, MAX_ALT_TEXT_CHARS),
    };
    let (json, size) = match contents {
        Contents::Bubble(b) => {
            // Checked here first so the error names the item.
            check_bubble_bytes(&path, b.json_bytes())?;
            (b.to_json()?, b.effective_size())
        }
        Contents::Json(v) => {
            let size = json_size(&path, &v)?;
            (v, size)
        }
    };
    let bytes = json_bytes(&json);
    check_bubble_bytes(&path, bytes)?;
    Ok(Packed {
        json,
        bytes,
        size,
        alt,
    })
}

/// The bubble size of JSON contents, refusing anything but a bubble.
fn json_size(path: &str, v: &Value) -> Result<BubbleSize, FlexError> {
    let kind = v.get("type").unwrap_or(&Value::Null);
    if kind.as_str() != Some("bubble") {
        return Err(FlexError::NotAllowed {
            path: format!("{path}.type"),
            found: kind.to_string(),
            allowed: "bubble".into(),
        });
    }
    match v.get("size") {
        None => Ok(BubbleSize::DEFAULT),
        Some(s) => s
            .as_str()
            .and_then(BubbleSize::parse)
            .ok_or_else(|| FlexError::NotAllowed {
                path: format!("{path}.size"),
                found: s.to_string(),
                allowed: tokens::describe(BubbleSize::KEYWORDS),
            }),
    }
}

/// Splits bubbles by size (a carousel's bubbles must match), keeping order.
fn group_by_size(items: Vec<Packed>) -> Vec<Vec<Packed>> {
    let mut groups: Vec<Vec<Packed>> = Vec::new();
    for item in items {
        match groups.iter_mut().find(|g| g[0].size == item.size) {
            Some(group) => group.push(item),
            None => groups.push(vec![item]),
        }
    }
    groups
}

/// Fills carousels in order, starting a new one at 12 bubbles or 50 KB.
fn carousels(group: Vec<Packed>) -> Vec<Message> {
    let mut out = Vec::new();
    let mut current: Vec<Packed> = Vec::new();
    let mut bytes = CAROUSEL_OVERHEAD;
    for item in group {
        let full =
            current.len() == MAX_CAROUSEL_BUBBLES || bytes + 1 + item.bytes > MAX_CAROUSEL_BYTES;
        if !current.is_empty() && full {
            out.push(carousel(std::mem::take(&mut current)));
            bytes = CAROUSEL_OVERHEAD;
        }
        // One comma between bubbles.
        bytes += item.bytes + usize::from(!current.is_empty());
        current.push(item);
    }
    if !current.is_empty() {
        out.push(carousel(current));
    }
    out
}

fn carousel(items: Vec<Packed>) -> Message {
    let alt_text = summary(&items);
    let bubbles: Vec<Value> = items.into_iter().map(|p| p.json).collect();
    Message::Flex {
        alt_text,
        contents: json!({"type": "carousel", "contents": bubbles}),
    }
}

/// `3 updates: a / b / c`, cut to 1,500 characters; one item keeps its own.
fn summary(items: &[Packed]) -> String {
    if let [only] = items {
        return only.alt.clone();
    }
    let alts: Vec<&str> = items.iter().map(|p| p.alt.as_str()).collect();
    truncate_chars(
        &format!("{} updates: {}", items.len(), alts.join(" / ")),
        MAX_ALT_TEXT_CHARS,
    )
}

#[cfg(test)]
mod tests;

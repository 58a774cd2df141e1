//! Message objects as the Messaging API takes them (`messages` in push, reply
//! and multicast requests): text and Flex.

use serde::{Deserialize, Serialize};

/// One message object. Flex contents are built by [`super::flex`] and carried
/// here as JSON, already within LINE's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Message {
    Text {
        text: String,
    },
    Flex {
        #[serde(rename = "altText")]
        alt_text: String,
        contents: serde_json::Value,
    },
}

impl Message {
    /// A text message. LINE allows 5,000 characters; longer text is cut with `…`.
    pub fn text(text: impl Into<String>) -> Message {
        Message::Text {
            text: truncate_chars(&text.into(), 5000),
        }
    }
}

/// Cuts `s` to at most `max` characters (Unicode scalar values, which is how
/// LINE counts), ending with `…` when it had to cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_like_the_api() {
        let m = Message::text("hi");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({"type":"text","text":"hi"})
        );
        let f = Message::Flex {
            alt_text: "a".into(),
            contents: serde_json::json!({"type":"bubble"}),
        };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"type":"flex","altText":"a","contents":{"type":"bubble"}})
        );
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("あいうえお", 5), "あいうえお");
        assert_eq!(truncate_chars("あいうえおか", 5), "あいうえ…");
    }
}

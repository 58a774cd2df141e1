//! Message objects as the Messaging API takes them (`messages` in push, reply
//! and multicast requests): text, Flex, and the sticker and image messages
//! the LINE Notify–compatible endpoint sends.

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
    /// A sticker by its package and sticker ids (decimal strings).
    Sticker {
        #[serde(rename = "packageId")]
        package_id: String,
        #[serde(rename = "stickerId")]
        sticker_id: String,
    },
    /// An image by its https URLs: full size and preview.
    Image {
        #[serde(rename = "originalContentUrl")]
        original: String,
        #[serde(rename = "previewImageUrl")]
        preview: String,
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
        let s = Message::Sticker {
            package_id: "446".into(),
            sticker_id: "1988".into(),
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"type":"sticker","packageId":"446","stickerId":"1988"})
        );
        let i = Message::Image {
            original: "https://x/f.jpg".into(),
            preview: "https://x/t.jpg".into(),
        };
        assert_eq!(
            serde_json::to_value(&i).unwrap(),
            serde_json::json!({"type":"image","originalContentUrl":"https://x/f.jpg","previewImageUrl":"https://x/t.jpg"})
        );
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("あいうえお", 5), "あいうえお");
        assert_eq!(truncate_chars("あいうえおか", 5), "あいうえ…");
    }
}

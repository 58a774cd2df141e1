//! A Flex bubble: header, body and footer boxes plus size and styles.
//!
//! The rule kept here: a bubble leaves as JSON only when it is within
//! [`MAX_BUBBLE_BYTES`]; [`Bubble::to_json`] is the one way out.

use std::io;

use serde::Serialize;
use serde_json::Value;

use super::action::Action;
use super::color::Color;
use super::component::{Component, FlexBox};
use super::tokens::BubbleSize;
use super::{FlexError, MAX_BUBBLE_BYTES};

/// A bubble container (`{"type":"bubble",…}`). Its blocks are boxes; they
/// are held as [`Component`]s so they serialise with `"type":"box"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "type", rename = "bubble")]
pub struct Bubble {
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<BubbleSize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<Component>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Component>,
    #[serde(skip_serializing_if = "Option::is_none")]
    footer: Option<Component>,
    #[serde(skip_serializing_if = "Option::is_none")]
    styles: Option<BubbleStyles>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<Action>,
}

/// Per-block styles of a bubble.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BubbleStyles {
    /// Style of the header block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<BlockStyle>,
    /// Style of the body block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<BlockStyle>,
    /// Style of the footer block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<BlockStyle>,
}

/// Style of one block (header, body or footer).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStyle {
    /// Background colour of the block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<Color>,
    /// Draws a separator above the block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<bool>,
    /// Colour of that separator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator_color: Option<Color>,
}

impl Bubble {
    /// An empty bubble; add blocks with the setters.
    pub fn new() -> Bubble {
        Bubble::default()
    }
    /// Width of the bubble.
    pub fn size(mut self, size: BubbleSize) -> Bubble {
        self.size = Some(size);
        self
    }
    /// The header block.
    pub fn header(mut self, header: FlexBox) -> Bubble {
        self.header = Some(Component::Box(header));
        self
    }
    /// The body block.
    pub fn body(mut self, body: FlexBox) -> Bubble {
        self.body = Some(Component::Box(body));
        self
    }
    /// The footer block.
    pub fn footer(mut self, footer: FlexBox) -> Bubble {
        self.footer = Some(Component::Box(footer));
        self
    }
    /// Block styles.
    pub fn styles(mut self, styles: BubbleStyles) -> Bubble {
        self.styles = Some(styles);
        self
    }
    /// What tapping the bubble does.
    pub fn action(mut self, action: Action) -> Bubble {
        self.action = Some(action);
        self
    }
    /// The size LINE will render (`mega` when none is set). Carousels group
    /// bubbles by it.
    pub fn effective_size(&self) -> BubbleSize {
        self.size.unwrap_or(BubbleSize::DEFAULT)
    }
    /// Size of the compact JSON, in bytes.
    pub fn json_bytes(&self) -> usize {
        json_bytes(self)
    }
    /// The bubble as JSON.
    ///
    /// # Errors
    /// [`FlexError::BubbleTooLarge`] when over [`MAX_BUBBLE_BYTES`].
    pub fn to_json(&self) -> Result<Value, FlexError> {
        check_bubble_bytes("bubble", self.json_bytes())?;
        // A derived Serialize with string keys cannot fail to become a Value.
        Ok(serde_json::to_value(self).expect("a Bubble always serialises"))
    }
}

/// Errors when `bytes` is over [`MAX_BUBBLE_BYTES`].
pub(crate) fn check_bubble_bytes(path: &str, bytes: usize) -> Result<(), FlexError> {
    if bytes > MAX_BUBBLE_BYTES {
        return Err(FlexError::BubbleTooLarge {
            path: path.to_owned(),
            bytes,
            max: MAX_BUBBLE_BYTES,
        });
    }
    Ok(())
}

/// Length of `value` as compact JSON, counted without building the string.
pub(crate) fn json_bytes(value: &impl Serialize) -> usize {
    struct Count(usize);
    impl io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Only our own types and `Value`s come here; neither can fail to serialise.
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line::flex::text::FlexText;
    use serde_json::json;

    #[test]
    fn bubble_serialises_with_type_and_blocks() {
        let b = Bubble::new()
            .size(BubbleSize::Kilo)
            .body(FlexBox::vertical(vec![FlexText::new("hi").into()]))
            .styles(BubbleStyles {
                footer: Some(BlockStyle {
                    separator: Some(true),
                    ..BlockStyle::default()
                }),
                ..BubbleStyles::default()
            });
        let v = b.to_json().unwrap();
        assert_eq!(
            v,
            json!({"type":"bubble","size":"kilo",
                   "body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"hi"}]},
                   "styles":{"footer":{"separator":true}}})
        );
        assert_eq!(b.json_bytes(), serde_json::to_vec(&v).unwrap().len());
        assert_eq!(b.effective_size(), BubbleSize::Kilo);
        assert_eq!(Bubble::new().effective_size(), BubbleSize::Mega);
    }

    #[test]
    fn oversized_bubble_is_refused() {
        let texts = (0..20)
            .map(|_| FlexText::new(&"x".repeat(1999)).into())
            .collect();
        let b = Bubble::new().body(FlexBox::vertical(texts));
        assert!(matches!(
            b.to_json(),
            Err(FlexError::BubbleTooLarge {
                max: MAX_BUBBLE_BYTES,
                ..
            })
        ));
    }
}

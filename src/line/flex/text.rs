//! The text component.
//!
//! The rule kept here: a text is cut to [`MAX_TEXT_CHARS`] at a character
//! boundary, ending with `…`, and is never empty (LINE refuses empty text).

use serde::Serialize;

use super::color::Color;
use super::tokens::{Align, Decoration, Gravity, Spacing, TextSize, Weight};
use super::MAX_TEXT_CHARS;
use crate::line::message::truncate_chars;

/// What an empty text becomes: LINE refuses empty text components.
pub const EMPTY_TEXT: &str = "-";

/// A text component. Build with [`FlexText::new`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlexText {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    flex: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<TextSize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<Weight>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<Color>,
    #[serde(skip_serializing_if = "Option::is_none")]
    align: Option<Align>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gravity: Option<Gravity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decoration: Option<Decoration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    margin: Option<Spacing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wrap: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_lines: Option<u32>,
}

impl FlexText {
    /// A text, cut to [`MAX_TEXT_CHARS`]; an empty text becomes [`EMPTY_TEXT`].
    pub fn new(text: &str) -> FlexText {
        let text = if text.is_empty() {
            EMPTY_TEXT.to_owned()
        } else {
            truncate_chars(text, MAX_TEXT_CHARS)
        };
        FlexText {
            text,
            flex: None,
            size: None,
            weight: None,
            color: None,
            align: None,
            gravity: None,
            decoration: None,
            margin: None,
            wrap: None,
            max_lines: None,
        }
    }
    /// The text as it will be sent.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// Share of the parent box's space.
    pub fn flex(mut self, flex: u32) -> FlexText {
        self.flex = Some(flex);
        self
    }
    /// Font size.
    pub fn size(mut self, size: TextSize) -> FlexText {
        self.size = Some(size);
        self
    }
    /// Bold text.
    pub fn bold(mut self) -> FlexText {
        self.weight = Some(Weight::Bold);
        self
    }
    /// Text colour.
    pub fn color(mut self, color: Color) -> FlexText {
        self.color = Some(color);
        self
    }
    /// Horizontal alignment.
    pub fn align(mut self, align: Align) -> FlexText {
        self.align = Some(align);
        self
    }
    /// Vertical alignment.
    pub fn gravity(mut self, gravity: Gravity) -> FlexText {
        self.gravity = Some(gravity);
        self
    }
    /// Underline or strike through.
    pub fn decoration(mut self, decoration: Decoration) -> FlexText {
        self.decoration = Some(decoration);
        self
    }
    /// Space before this text in its parent.
    pub fn margin(mut self, margin: Spacing) -> FlexText {
        self.margin = Some(margin);
        self
    }
    /// Wraps long text onto further lines, showing at most `max_lines`
    /// (0 = no limit).
    pub fn wrap(mut self, max_lines: u32) -> FlexText {
        self.wrap = Some(true);
        self.max_lines = (max_lines > 0).then_some(max_lines);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_character_boundary() {
        let t = FlexText::new(&"屋根".repeat(1500));
        assert_eq!(t.text().chars().count(), MAX_TEXT_CHARS);
        assert!(t.text().ends_with('…'));
    }
}

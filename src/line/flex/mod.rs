//! Flex messages: typed components, the built-in notification card, user
//! templates, and packing many cards into as few pushes as possible.
//!
//! The rule this module keeps: whatever leaves it fits LINE's limits and uses
//! keyword tokens only. Text that is too long is cut at a character boundary
//! and ends with `…`; things that would break if cut (postback data, URIs)
//! are errors instead. Limits are checked where a value is built, so a
//! [`Bubble`] that exists is already sendable.
//!
//! - [`tokens`]: size, spacing and style keywords (no pixels, no percent).
//! - [`action`], [`component`], [`text`] and [`color`]: the typed building blocks.
//! - [`bubble`]: a bubble and its 30 KB check.
//! - [`card`]: the built-in [`NotificationCard`] and its `altText`.
//! - [`template`]: user-supplied bubble JSON with `{{name}}` placeholders.
//! - [`pack`](mod@pack): bubbles → carousels → requests of ≤ 5 messages.

pub mod action;
pub mod bubble;
pub mod card;
mod check;
pub mod color;
pub mod component;
pub mod pack;
pub(crate) mod placeholder;
mod rules;
pub mod template;
pub mod text;
pub mod tokens;

pub use action::Action;
pub use bubble::{BlockStyle, Bubble, BubbleStyles};
pub use card::{alt_text, NotificationCard};
pub use color::Color;
pub use component::{Component, FlexBox, FlexButton, FlexFiller, FlexSeparator};
pub use pack::{pack, Contents};
pub use template::FlexTemplate;
pub use text::FlexText;
pub use tokens::{
    Align, BubbleSize, ButtonHeight, ButtonStyle, Gravity, Layout, Spacing, TextSize, Weight,
};

use thiserror::Error;

/// Button (action) label, in characters.
pub const MAX_LABEL_CHARS: usize = 40;
/// Postback `data`, in characters. Never cut: the acknowledgement parser needs all of it.
pub const MAX_POSTBACK_DATA_CHARS: usize = 300;
/// Postback `displayText`, in characters.
pub const MAX_DISPLAY_TEXT_CHARS: usize = 300;
/// Flex message `altText`, in characters.
pub const MAX_ALT_TEXT_CHARS: usize = 1_500;
/// One text component, in characters. LINE sets no figure; more than this is
/// unreadable on a phone and eats the bubble's byte budget.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// URI action `uri`, in characters (LINE documentation).
pub const MAX_URI_CHARS: usize = 1_000;
/// Bubble JSON, in bytes. LINE says "30 KB"; 30,000 is the safe reading.
pub const MAX_BUBBLE_BYTES: usize = 30_000;
/// Carousel JSON, in bytes. LINE says "50 KB"; 50,000 is the safe reading.
pub const MAX_CAROUSEL_BYTES: usize = 50_000;
/// Bubbles in one carousel.
pub const MAX_CAROUSEL_BUBBLES: usize = 12;
/// Message objects in one push or reply request.
pub const MAX_MESSAGES_PER_REQUEST: usize = 5;

/// What is wrong with a Flex message, and where. `path` is a JSON path such
/// as `body.contents[1].size` (or the builder call, for typed values).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FlexError {
    /// Postback data longer than LINE allows. It is never cut, because a cut
    /// token could not be parsed when the user taps the button.
    #[error("{path}: postback data is {len} characters; LINE allows at most {max}, and data is never cut")]
    DataTooLong {
        path: String,
        len: usize,
        max: usize,
    },
    /// A fixed text in a template is longer than LINE allows.
    #[error("{path}: {what} is {len} characters; LINE allows at most {max}")]
    TooLong {
        path: String,
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// A value LINE requires is empty.
    #[error("{path}: {what} must not be empty")]
    Empty { path: String, what: &'static str },
    /// A URI LINE will not open (wrong scheme or empty).
    #[error("{path}: {value:?} is not a URI LINE opens; use http, https, line or tel")]
    BadUri { path: String, value: String },
    /// A colour that is not `#RRGGBB` or `#RRGGBBAA`.
    #[error("{path}: {value:?} is not a colour; use #RRGGBB or #RRGGBBAA")]
    BadColor { path: String, value: String },
    /// Bubble JSON over [`MAX_BUBBLE_BYTES`] even after shedding optional parts.
    #[error("{path}: bubble JSON is {bytes} bytes; LINE allows at most {max}")]
    BubbleTooLarge {
        path: String,
        bytes: usize,
        max: usize,
    },
    /// A value outside the allowed keywords, such as a pixel size.
    #[error("{path}: {found} is not allowed; use one of {allowed}")]
    NotAllowed {
        path: String,
        found: String,
        allowed: String,
    },
    /// A property this gateway refuses on purpose (pixel or percent widths).
    #[error("{path}: not allowed: {reason}")]
    Forbidden { path: String, reason: &'static str },
    /// A component, action or container `type` LINE does not know.
    #[error("{path}: unknown {what} type {found:?}")]
    UnknownType {
        path: String,
        what: &'static str,
        found: String,
    },
    /// A property LINE does not define for this object (often a typo).
    #[error("{path}: unknown property")]
    UnknownProperty { path: String },
    /// A property LINE requires is missing.
    #[error("{path}: required property is missing")]
    Missing { path: String },
    /// A value of the wrong JSON type.
    #[error("{path}: expected {expected}")]
    WrongType {
        path: String,
        expected: &'static str,
    },
    /// A `{{name}}` placeholder that is malformed or where none may be.
    #[error("{path}: {message}")]
    Placeholder { path: String, message: String },
    /// A template that is not JSON at all.
    #[error("template is not valid JSON: {0}")]
    Json(String),
}

//! The property tables templates are checked against: which properties each
//! Flex component and action has, and what each may hold.
//!
//! The rule kept here: every size, spacing, margin, padding, offset and
//! corner radius is a keyword list from [`tokens`](super::tokens); the few
//! properties that only take pixels or percentages (box width and height,
//! text line spacing) are refused outright. The tables follow the
//! `Flex*` and `*Action` schemas of LINE's `messaging-api.yml`.

use super::tokens::{
    Align, BorderWidth, BubbleSize, ButtonHeight, ButtonStyle, Decoration, FontStyle, Gravity,
    ImageSize, Layout, Spacing, TextSize, Weight,
};
use super::{MAX_DISPLAY_TEXT_CHARS, MAX_LABEL_CHARS, MAX_TEXT_CHARS};

/// How a string is rendered and what limit it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Cut to `max`; never empty (LINE refuses empty text and labels).
    Text { max: usize },
    /// Cut to `max`; left out when empty.
    Optional { max: usize },
    /// Postback data: an error when too long; when empty, its owner goes.
    Data,
    /// Action URI: must be one LINE opens; when empty, its owner goes.
    Uri,
    /// Image URL (https only); when empty, its owner goes.
    ImageUrl,
}

/// What a property may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    /// One of these keywords, literally (no placeholder).
    Keyword(&'static [&'static str]),
    /// A string that may hold placeholders.
    Str(Kind),
    /// A string sent as it is (aspect ratios, angles, dates).
    Literal,
    /// `#RRGGBB` or `#RRGGBBAA`, literally.
    Color,
    /// A non-negative integer.
    Int,
    /// `true` or `false`.
    Bool,
    /// Refused, with the reason.
    Forbidden(&'static str),
    /// A header, body or footer: a box.
    Block,
    /// The hero block, or a video's alternative content.
    Hero,
    /// A box's children.
    Contents,
    /// A text's spans.
    Spans,
    /// An action object.
    Action,
    /// A bubble's block styles.
    Styles,
    /// A box's background gradient.
    Background,
}

/// The rule of each property of one kind of object; `None` = unknown property.
pub(crate) type RuleFor = fn(&str) -> Option<Rule>;

/// Component types a box may hold.
pub(crate) const BOX_CHILDREN: &[&str] = &[
    "box",
    "button",
    "image",
    "icon",
    "text",
    "separator",
    "filler",
];
/// Component types of a hero block.
pub(crate) const HERO: &[&str] = &["box", "image", "video"];
/// Blocks of a bubble, for `styles`.
pub(crate) const BLOCKS: &[&str] = &["header", "hero", "body", "footer"];

const PIXELS: &str = "it takes only pixels or percentages, which render differently on every phone";
const TEXT: Kind = Kind::Text {
    max: MAX_TEXT_CHARS,
};

/// Properties of a bubble.
pub(crate) fn bubble(key: &str) -> Option<Rule> {
    Some(match key {
        "size" => Rule::Keyword(BubbleSize::KEYWORDS),
        "direction" => Rule::Keyword(&["ltr", "rtl"]),
        "header" | "body" | "footer" => Rule::Block,
        "hero" => Rule::Hero,
        "styles" => Rule::Styles,
        "action" => Rule::Action,
        _ => return None,
    })
}

/// Properties of one block's style.
pub(crate) fn block_style(key: &str) -> Option<Rule> {
    match key {
        "backgroundColor" | "separatorColor" => Some(Rule::Color),
        "separator" => Some(Rule::Bool),
        _ => None,
    }
}

/// Properties of a linear gradient background, and the required ones.
pub(crate) const BACKGROUND_REQUIRED: &[&str] = &["angle", "startColor", "endColor"];

/// Properties of a linear gradient background.
pub(crate) fn background(key: &str) -> Option<Rule> {
    match key {
        "startColor" | "endColor" | "centerColor" => Some(Rule::Color),
        "angle" | "centerPosition" => Some(Rule::Literal),
        _ => None,
    }
}

/// Required properties and property rules of a component type; a text with
/// spans needs no `text`. `None` for a type LINE does not have.
pub(crate) fn component(kind: &str, has_spans: bool) -> Option<(&'static [&'static str], RuleFor)> {
    Some(match kind {
        "box" => (&["layout", "contents"], box_rule),
        "text" if has_spans => (&[], text_rule),
        "text" => (&["text"], text_rule),
        "span" => (&["text"], span_rule),
        "button" => (&["action"], button_rule),
        "image" => (&["url"], image_rule),
        "icon" => (&["url"], icon_rule),
        "video" => (&["url", "previewUrl", "altContent"], video_rule),
        "separator" => (&[], |k| match k {
            "color" => Some(Rule::Color),
            "margin" => placement(k),
            _ => None,
        }),
        "filler" => (&[], |k| placement(k).filter(|_| k == "flex")),
        _ => return None,
    })
}

/// Required properties and property rules of an action type usable in Flex.
pub(crate) fn action(kind: &str) -> Option<(&'static [&'static str], RuleFor)> {
    Some(match kind {
        "postback" => (&["data"], |k| match k {
            "data" => Some(Rule::Str(Kind::Data)),
            "displayText" | "text" | "fillInText" => Some(Rule::Str(Kind::Optional {
                max: MAX_DISPLAY_TEXT_CHARS,
            })),
            "inputOption" => Some(Rule::Keyword(&[
                "closeRichMenu",
                "openRichMenu",
                "openKeyboard",
                "openVoice",
            ])),
            _ => label(k),
        }),
        "uri" => (&["uri"], |k| match k {
            "uri" => Some(Rule::Str(Kind::Uri)),
            _ => label(k),
        }),
        "message" => (&["text"], |k| match k {
            "text" => Some(Rule::Str(Kind::Text {
                max: MAX_DISPLAY_TEXT_CHARS,
            })),
            _ => label(k),
        }),
        "clipboard" => (&["clipboardText"], |k| match k {
            "clipboardText" => Some(Rule::Str(Kind::Text { max: 1_000 })),
            _ => label(k),
        }),
        "datetimepicker" => (&["data", "mode"], |k| match k {
            "data" => Some(Rule::Str(Kind::Data)),
            "mode" => Some(Rule::Keyword(&["date", "time", "datetime"])),
            "initial" | "max" | "min" => Some(Rule::Literal),
            _ => label(k),
        }),
        _ => return None,
    })
}

fn label(key: &str) -> Option<Rule> {
    (key == "label").then_some(Rule::Str(Kind::Text {
        max: MAX_LABEL_CHARS,
    }))
}

/// Where a component sits: shared by box, text, button and image.
fn placement(key: &str) -> Option<Rule> {
    Some(match key {
        "flex" => Rule::Int,
        "margin" | "offsetTop" | "offsetBottom" | "offsetStart" | "offsetEnd" => {
            Rule::Keyword(Spacing::KEYWORDS)
        }
        "position" => Rule::Keyword(&["relative", "absolute"]),
        _ => return None,
    })
}

fn box_rule(key: &str) -> Option<Rule> {
    Some(match key {
        "layout" => Rule::Keyword(Layout::KEYWORDS),
        "contents" => Rule::Contents,
        "spacing" | "cornerRadius" | "paddingAll" | "paddingTop" | "paddingBottom"
        | "paddingStart" | "paddingEnd" => Rule::Keyword(Spacing::KEYWORDS),
        "backgroundColor" | "borderColor" => Rule::Color,
        "borderWidth" => Rule::Keyword(BorderWidth::KEYWORDS),
        "width" | "maxWidth" | "height" | "maxHeight" => Rule::Forbidden(PIXELS),
        "justifyContent" => Rule::Keyword(&[
            "center",
            "flex-start",
            "flex-end",
            "space-between",
            "space-around",
            "space-evenly",
        ]),
        "alignItems" => Rule::Keyword(&["center", "flex-start", "flex-end"]),
        "background" => Rule::Background,
        "action" => Rule::Action,
        _ => return placement(key),
    })
}

fn span_rule(key: &str) -> Option<Rule> {
    Some(match key {
        "text" => Rule::Str(TEXT),
        "size" => Rule::Keyword(TextSize::KEYWORDS),
        "color" => Rule::Color,
        "weight" => Rule::Keyword(Weight::KEYWORDS),
        "style" => Rule::Keyword(FontStyle::KEYWORDS),
        "decoration" => Rule::Keyword(Decoration::KEYWORDS),
        _ => return None,
    })
}

fn text_rule(key: &str) -> Option<Rule> {
    Some(match key {
        "align" => Rule::Keyword(Align::KEYWORDS),
        "gravity" => Rule::Keyword(Gravity::KEYWORDS),
        "wrap" | "scaling" => Rule::Bool,
        "maxLines" => Rule::Int,
        "lineSpacing" => Rule::Forbidden(PIXELS),
        "contents" => Rule::Spans,
        "adjustMode" => Rule::Keyword(&["shrink-to-fit"]),
        "action" => Rule::Action,
        _ => return span_rule(key).or_else(|| placement(key)),
    })
}

fn button_rule(key: &str) -> Option<Rule> {
    Some(match key {
        "action" => Rule::Action,
        "color" => Rule::Color,
        "style" => Rule::Keyword(ButtonStyle::KEYWORDS),
        "gravity" => Rule::Keyword(Gravity::KEYWORDS),
        "height" => Rule::Keyword(ButtonHeight::KEYWORDS),
        "adjustMode" => Rule::Keyword(&["shrink-to-fit"]),
        "scaling" => Rule::Bool,
        _ => return placement(key),
    })
}

fn image_rule(key: &str) -> Option<Rule> {
    Some(match key {
        "url" => Rule::Str(Kind::ImageUrl),
        "size" => Rule::Keyword(ImageSize::KEYWORDS),
        "align" => Rule::Keyword(Align::KEYWORDS),
        "gravity" => Rule::Keyword(Gravity::KEYWORDS),
        "aspectRatio" => Rule::Literal,
        "aspectMode" => Rule::Keyword(&["fit", "cover"]),
        "backgroundColor" => Rule::Color,
        "animated" => Rule::Bool,
        "action" => Rule::Action,
        _ => return placement(key),
    })
}

fn icon_rule(key: &str) -> Option<Rule> {
    Some(match key {
        "url" => Rule::Str(Kind::ImageUrl),
        "size" => Rule::Keyword(TextSize::KEYWORDS),
        "aspectRatio" => Rule::Literal,
        "scaling" => Rule::Bool,
        "flex" => return None,
        _ => return placement(key),
    })
}

fn video_rule(key: &str) -> Option<Rule> {
    Some(match key {
        "url" | "previewUrl" => Rule::Str(Kind::ImageUrl),
        "altContent" => Rule::Hero,
        "aspectRatio" => Rule::Literal,
        "action" => Rule::Action,
        _ => return None,
    })
}

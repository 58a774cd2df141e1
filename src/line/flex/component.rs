//! Flex components: box, button, separator and filler, and the
//! [`Component`] enum that tags them (text lives in [`text`](super::text)).
//!
//! The rule kept here: components serialise exactly to LINE's JSON (camelCase
//! keys, unset options left out) and cannot hold a pixel size, because every
//! size, margin and spacing is a [`tokens`](super::tokens) enum.

use serde::Serialize;

use super::action::Action;
use super::color::Color;
use super::text::FlexText;
use super::tokens::{ButtonHeight, ButtonStyle, Layout, Spacing};

/// One Flex component, tagged with its `type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Component {
    /// A box of components.
    Box(FlexBox),
    /// A line of text.
    Text(FlexText),
    /// A button with an action.
    Button(FlexButton),
    /// A thin line between components.
    Separator(FlexSeparator),
    /// Empty space that takes up a share of the box.
    Filler(FlexFiller),
}

/// A box component. Build with [`FlexBox::vertical`], [`FlexBox::horizontal`]
/// or [`FlexBox::baseline`], then chain setters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlexBox {
    layout: Layout,
    contents: Vec<Component>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flex: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spacing: Option<Spacing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    margin: Option<Spacing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    padding_all: Option<Spacing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    background_color: Option<Color>,
    #[serde(skip_serializing_if = "Option::is_none")]
    corner_radius: Option<Spacing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<Action>,
}

impl FlexBox {
    /// A box with `layout` and `contents`.
    pub fn new(layout: Layout, contents: Vec<Component>) -> FlexBox {
        FlexBox {
            layout,
            contents,
            flex: None,
            spacing: None,
            margin: None,
            padding_all: None,
            background_color: None,
            corner_radius: None,
            action: None,
        }
    }
    /// Children stacked top to bottom.
    pub fn vertical(contents: Vec<Component>) -> FlexBox {
        FlexBox::new(Layout::Vertical, contents)
    }
    /// Children side by side.
    pub fn horizontal(contents: Vec<Component>) -> FlexBox {
        FlexBox::new(Layout::Horizontal, contents)
    }
    /// Children side by side, aligned on the text baseline.
    pub fn baseline(contents: Vec<Component>) -> FlexBox {
        FlexBox::new(Layout::Baseline, contents)
    }
    /// Adds a child at the end.
    pub fn push(mut self, child: impl Into<Component>) -> FlexBox {
        self.contents.push(child.into());
        self
    }
    /// Share of the parent box's space.
    pub fn flex(mut self, flex: u32) -> FlexBox {
        self.flex = Some(flex);
        self
    }
    /// Minimum space between children.
    pub fn spacing(mut self, spacing: Spacing) -> FlexBox {
        self.spacing = Some(spacing);
        self
    }
    /// Space before this box in its parent.
    pub fn margin(mut self, margin: Spacing) -> FlexBox {
        self.margin = Some(margin);
        self
    }
    /// Padding on all four sides.
    pub fn padding(mut self, padding: Spacing) -> FlexBox {
        self.padding_all = Some(padding);
        self
    }
    /// Background colour.
    pub fn background(mut self, color: Color) -> FlexBox {
        self.background_color = Some(color);
        self
    }
    /// Rounded corners.
    pub fn corner_radius(mut self, radius: Spacing) -> FlexBox {
        self.corner_radius = Some(radius);
        self
    }
    /// What tapping anywhere in the box does.
    pub fn action(mut self, action: Action) -> FlexBox {
        self.action = Some(action);
        self
    }
    /// The children.
    pub fn contents(&self) -> &[Component] {
        &self.contents
    }
}

/// A button component. Build with [`FlexButton::new`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlexButton {
    action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    style: Option<ButtonStyle>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<ButtonHeight>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<Color>,
    #[serde(skip_serializing_if = "Option::is_none")]
    margin: Option<Spacing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flex: Option<u32>,
}

impl FlexButton {
    /// A button that triggers `action` (already checked by [`Action`]).
    pub fn new(action: Action) -> FlexButton {
        FlexButton {
            action,
            style: None,
            height: None,
            color: None,
            margin: None,
            flex: None,
        }
    }
    /// Look of the button.
    pub fn style(mut self, style: ButtonStyle) -> FlexButton {
        self.style = Some(style);
        self
    }
    /// Height of the button.
    pub fn height(mut self, height: ButtonHeight) -> FlexButton {
        self.height = Some(height);
        self
    }
    /// Background (primary, secondary) or text (link) colour.
    pub fn color(mut self, color: Color) -> FlexButton {
        self.color = Some(color);
        self
    }
    /// Space before this button in its parent.
    pub fn margin(mut self, margin: Spacing) -> FlexButton {
        self.margin = Some(margin);
        self
    }
    /// Share of the parent box's space.
    pub fn flex(mut self, flex: u32) -> FlexButton {
        self.flex = Some(flex);
        self
    }
}

/// A separator line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlexSeparator {
    #[serde(skip_serializing_if = "Option::is_none")]
    margin: Option<Spacing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<Color>,
}

impl FlexSeparator {
    /// A separator with `margin` before it.
    pub fn with_margin(margin: Spacing) -> FlexSeparator {
        FlexSeparator {
            margin: Some(margin),
            color: None,
        }
    }
}

/// Empty space taking `flex` shares of its box.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlexFiller {
    #[serde(skip_serializing_if = "Option::is_none")]
    flex: Option<u32>,
}

impl FlexFiller {
    /// A filler taking `flex` shares.
    pub fn new(flex: u32) -> FlexFiller {
        FlexFiller { flex: Some(flex) }
    }
}

macro_rules! into_component {
    ($($ty:ident => $variant:ident),+) => {
        $(impl From<$ty> for Component {
            fn from(c: $ty) -> Component {
                Component::$variant(c)
            }
        })+
    };
}
into_component!(FlexBox => Box, FlexText => Text, FlexButton => Button, FlexSeparator => Separator, FlexFiller => Filler);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line::flex::tokens::TextSize;
    use serde_json::json;

    #[test]
    fn components_serialise_like_line() {
        let b = FlexBox::baseline(vec![])
            .spacing(Spacing::Sm)
            .push(
                FlexText::new("Label")
                    .size(TextSize::Sm)
                    .color(Color::rgb(0x99, 0x99, 0x99))
                    .flex(2),
            )
            .push(FlexText::new("").wrap(3).bold())
            .push(FlexSeparator::with_margin(Spacing::Md))
            .push(FlexFiller::new(1));
        assert_eq!(
            serde_json::to_value(Component::from(b)).unwrap(),
            json!({"type":"box","layout":"baseline","spacing":"sm","contents":[
                {"type":"text","text":"Label","flex":2,"size":"sm","color":"#999999"},
                {"type":"text","text":"-","weight":"bold","wrap":true,"maxLines":3},
                {"type":"separator","margin":"md"},
                {"type":"filler","flex":1}
            ]})
        );
    }

    #[test]
    fn button_serialises_with_its_action() {
        let b = FlexButton::new(Action::uri("Open", "https://example.com").unwrap())
            .style(ButtonStyle::Link)
            .height(ButtonHeight::Sm);
        assert_eq!(
            serde_json::to_value(Component::from(b)).unwrap(),
            json!({"type":"button","action":{"type":"uri","label":"Open","uri":"https://example.com"},
                   "style":"link","height":"sm"})
        );
    }
}

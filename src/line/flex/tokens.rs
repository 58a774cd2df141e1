//! Keyword tokens for Flex sizes, spacing and styles.
//!
//! The rule kept here: a size, spacing, margin, padding or offset is one of
//! LINE's keywords, never pixels or a percentage. Pixel values render
//! differently on every phone; keywords scale with the user's font setting.
//! Every token is an enum, so a pixel value cannot be written with the typed
//! builder, and template checking uses the same keyword lists.

use serde::Serialize;

/// Declares a keyword enum: serialises to the keyword, knows all keywords
/// (for template checking) and parses one back.
macro_rules! keywords {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $kw:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $kw)] $variant),+
        }

        impl $name {
            /// Every keyword LINE accepts here, in LINE's order.
            pub const KEYWORDS: &'static [&'static str] = &[$($kw),+];

            /// The keyword as it appears in the JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $kw),+
                }
            }

            /// The token for `keyword`, or `None` when LINE does not know it
            /// (including every pixel or percent value).
            pub fn parse(keyword: &str) -> Option<Self> {
                match keyword {
                    $($kw => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

keywords! {
    /// Font size of a text or span, and size of an icon.
    TextSize {
        Xxs => "xxs", Xs => "xs", Sm => "sm", Md => "md", Lg => "lg",
        Xl => "xl", Xxl => "xxl", X3l => "3xl", X4l => "4xl", X5l => "5xl",
    }
}

keywords! {
    /// Width of an image (the text sizes plus `full`).
    ImageSize {
        Xxs => "xxs", Xs => "xs", Sm => "sm", Md => "md", Lg => "lg",
        Xl => "xl", Xxl => "xxl", X3l => "3xl", X4l => "4xl", X5l => "5xl",
        Full => "full",
    }
}

keywords! {
    /// Box `spacing`, component `margin`, box padding, offsets and corner
    /// radius: they share one keyword scale.
    Spacing {
        None => "none", Xs => "xs", Sm => "sm", Md => "md", Lg => "lg",
        Xl => "xl", Xxl => "xxl",
    }
}

keywords! {
    /// Width of a bubble. `deca` and `hecto` render as `kilo` on old clients.
    /// All bubbles of one carousel must share the same size.
    BubbleSize {
        Nano => "nano", Micro => "micro", Deca => "deca", Hecto => "hecto",
        Kilo => "kilo", Mega => "mega", Giga => "giga",
    }
}

impl BubbleSize {
    /// The size LINE uses when a bubble names none.
    pub const DEFAULT: BubbleSize = BubbleSize::Mega;
}

keywords! {
    /// Width of a box border.
    BorderWidth {
        None => "none", Light => "light", Normal => "normal", Medium => "medium",
        SemiBold => "semi-bold", Bold => "bold",
    }
}

keywords! {
    /// How a box lays out its children.
    Layout { Horizontal => "horizontal", Vertical => "vertical", Baseline => "baseline" }
}

keywords! {
    /// Font weight of a text or span.
    Weight { Regular => "regular", Bold => "bold" }
}

keywords! {
    /// Font style of a text or span.
    FontStyle { Normal => "normal", Italic => "italic" }
}

keywords! {
    /// Line decoration of a text or span.
    Decoration { None => "none", Underline => "underline", LineThrough => "line-through" }
}

keywords! {
    /// Horizontal alignment.
    Align { Start => "start", End => "end", Center => "center" }
}

keywords! {
    /// Vertical alignment.
    Gravity { Top => "top", Bottom => "bottom", Center => "center" }
}

keywords! {
    /// Look of a button.
    ButtonStyle { Primary => "primary", Secondary => "secondary", Link => "link" }
}

keywords! {
    /// Height of a button.
    ButtonHeight { Sm => "sm", Md => "md" }
}

/// Names the allowed keywords for an error message: `xxs…5xl` for the long
/// ordered scales, every keyword for short lists.
pub fn describe(keywords: &[&str]) -> String {
    match keywords {
        [first, .., last] if keywords.len() > 4 => format!("{first}…{last}"),
        _ => keywords.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_serialise_to_keywords() {
        assert_eq!(serde_json::to_value(TextSize::X3l).unwrap(), json!("3xl"));
        assert_eq!(serde_json::to_value(TextSize::Xxs).unwrap(), json!("xxs"));
        assert_eq!(serde_json::to_value(Spacing::None).unwrap(), json!("none"));
        assert_eq!(
            serde_json::to_value(BubbleSize::Hecto).unwrap(),
            json!("hecto")
        );
        assert_eq!(
            serde_json::to_value(BorderWidth::SemiBold).unwrap(),
            json!("semi-bold")
        );
        assert_eq!(
            serde_json::to_value(Decoration::LineThrough).unwrap(),
            json!("line-through")
        );
    }

    #[test]
    fn keyword_lists_match_serialisation() {
        for kw in TextSize::KEYWORDS {
            let token = TextSize::parse(kw).unwrap();
            assert_eq!(serde_json::to_value(token).unwrap(), json!(kw));
            assert_eq!(token.as_str(), *kw);
        }
        assert_eq!(TextSize::KEYWORDS.len(), 10);
        assert_eq!(
            Spacing::KEYWORDS,
            ["none", "xs", "sm", "md", "lg", "xl", "xxl"]
        );
        assert_eq!(BubbleSize::KEYWORDS.len(), 7);
    }

    #[test]
    fn pixels_and_percent_are_not_tokens() {
        assert_eq!(TextSize::parse("18px"), None);
        assert_eq!(Spacing::parse("10%"), None);
        assert_eq!(BubbleSize::parse("MEGA"), None);
    }

    #[test]
    fn describe_shortens_long_scales() {
        assert_eq!(describe(TextSize::KEYWORDS), "xxs…5xl");
        assert_eq!(describe(Weight::KEYWORDS), "regular, bold");
    }
}

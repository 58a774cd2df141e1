//! Colours for Flex components: `#RRGGBB` or `#RRGGBBAA`.
//!
//! The rule kept here: a colour is parsed once, so every colour the builder
//! writes is one LINE accepts.

use std::fmt;

use serde::{Serialize, Serializer};

use super::FlexError;

/// A colour, `#RRGGBB` or `#RRGGBBAA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color {
    rgb: [u8; 3],
    alpha: Option<u8>,
}

impl Color {
    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color {
            rgb: [r, g, b],
            alpha: None,
        }
    }

    /// Parses `#RRGGBB` or `#RRGGBBAA`.
    ///
    /// # Errors
    /// [`FlexError::BadColor`] for anything else.
    pub fn parse(s: &str) -> Result<Color, FlexError> {
        let bad = || FlexError::BadColor {
            path: "color".into(),
            value: s.to_owned(),
        };
        let hex = s
            .strip_prefix('#')
            .filter(|h| h.len() == 6 || h.len() == 8)
            .ok_or_else(bad)?;
        let byte = |i: usize| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(bad)
        };
        let rgb = [byte(0)?, byte(2)?, byte(4)?];
        let alpha = if hex.len() == 8 { Some(byte(6)?) } else { None };
        Ok(Color { rgb, alpha })
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.rgb;
        write!(f, "#{r:02X}{g:02X}{b:02X}")?;
        match self.alpha {
            Some(a) => write!(f, "{a:02X}"),
            None => Ok(()),
        }
    }
}

impl Serialize for Color {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_and_print() {
        assert_eq!(Color::parse("#06c755").unwrap().to_string(), "#06C755");
        assert_eq!(Color::parse("#06C755CC").unwrap().to_string(), "#06C755CC");
        for bad in ["06C755", "#06C75", "#GGGGGG", "#06C755C", "#ＡＡＡＡＡＡ"] {
            assert!(Color::parse(bad).is_err(), "{bad}");
        }
    }
}

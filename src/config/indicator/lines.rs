//! The indicator's lines: how a pin is written in the config, and the checks
//! that it exists (gpio) or has a BCM number (rppal).

use std::fmt;

use toml::{Table, Value};

use super::{indicator_words, BackendKind, IndicatorConfig};
use crate::config::reader::{join, Problem, Reader};
use crate::config::words;
use crate::text::said::Said;
use crate::text::Language;

/// Where a line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRef {
    /// By the name the board gives it, e.g. `GPIO17`.
    Named(String),
    /// By chip (`gpiochip0` or `/dev/gpiochip0`) and offset.
    ChipOffset { chip: String, offset: u32 },
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineRef::Named(n) => f.write_str(n),
            LineRef::ChipOffset { chip, offset } => write!(f, "{chip} line {offset}"),
        }
    }
}

/// One configured line and its polarity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinSpec {
    pub line: LineRef,
    /// Active when the line is driven (or reads) low.
    pub active_low: bool,
}

/// `"GPIO17"`, `{ line = "GPIO17", active_low = true }` or
/// `{ chip = "gpiochip0", offset = 17 }`.
pub(super) fn pin(r: &mut Reader, t: &Table, key: &str, default_low: bool) -> Option<PinSpec> {
    let full = join("indicator", key);
    let bad = |r: &mut Reader| {
        r.said(full.clone(), &indicator_words::LINE_NAME, &[]);
        None
    };
    match t.get(key)? {
        Value::String(name) if !name.trim().is_empty() => Some(PinSpec {
            line: LineRef::Named(name.clone()),
            active_low: default_low,
        }),
        Value::Table(tab) => {
            r.unknown_keys(tab, &full, &["line", "chip", "offset", "active_low"]);
            let active_low = r.opt_bool(tab, &full, "active_low").unwrap_or(default_low);
            let line = match (tab.get("line"), tab.get("chip"), tab.get("offset")) {
                (Some(Value::String(n)), None, None) if !n.trim().is_empty() => {
                    LineRef::Named(n.clone())
                }
                (None, Some(Value::String(chip)), Some(Value::Integer(o))) => {
                    match u32::try_from(*o) {
                        Ok(offset) if !chip.is_empty() => LineRef::ChipOffset {
                            chip: chip.clone(),
                            offset,
                        },
                        _ => return bad(r),
                    }
                }
                _ => return bad(r),
            };
            Some(PinSpec { line, active_low })
        }
        _ => bad(r),
    }
}

/// The BCM number rppal needs: from `GPIO17` or an offset on `gpiochip0`.
pub fn bcm_number(line: &LineRef) -> Option<u8> {
    match line {
        LineRef::Named(n) => n.strip_prefix("GPIO")?.parse().ok(),
        LineRef::ChipOffset { offset, .. } => u8::try_from(*offset).ok(),
    }
}

pub(super) fn check_rppal_names(r: &mut Reader, c: &IndicatorConfig) {
    for (key, spec) in [
        ("led", &c.led),
        ("buzzer", &c.buzzer),
        ("button", &c.button),
    ] {
        if let Some(s) = spec {
            if bcm_number(&s.line).is_none_or(|n| n > 27) {
                let line = s.line.to_string();
                r.said(
                    join("indicator", key),
                    &indicator_words::RPPAL_LINE,
                    &[("line", &line)],
                );
            }
        }
    }
}

/// Finds lines on this board; injectable so the check is unit-tested.
pub trait LineLookup {
    /// `Ok` if the line exists.
    ///
    /// # Errors
    /// Why it cannot be found (no GPIO chip, unknown name, offset out of range).
    fn find(&self, line: &LineRef) -> Result<(), LineMissing>;
}

/// Why a configured line is not on this board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineMissing {
    /// No GPIO chip could be read (none, or no permission).
    NoChip,
    /// No line has this name on the chips found (listed, comma-separated).
    NoSuchName { name: String, chips: String },
    /// The chip cannot be opened or read.
    Chip { path: String, error: String },
    /// The chip has fewer lines than the offset asks for.
    TooFew { path: String, lines: u32 },
    /// GPIO lines are looked up on Linux only.
    NeedsLinux,
}

impl LineMissing {
    /// What is missing, in `language`.
    pub fn said(&self, language: Language) -> String {
        let w = |said: &Said, args: &[(&str, &str)]| said.fill(language, args);
        match self {
            LineMissing::NoChip => w(&indicator_words::LINE_NO_CHIP, &[]),
            LineMissing::NoSuchName { name, chips } => {
                let name = format!("{name:?}");
                w(
                    &indicator_words::LINE_NO_NAME,
                    &[("name", &name), ("chips", chips)],
                )
            }
            LineMissing::Chip { path, error } => {
                w(&indicator_words::LINE_CHIP, &[("path", path), ("e", error)])
            }
            LineMissing::TooFew { path, lines } => {
                let lines = lines.to_string();
                w(
                    &indicator_words::LINE_TOO_FEW,
                    &[("path", path), ("n", &lines)],
                )
            }
            LineMissing::NeedsLinux => w(&indicator_words::LINE_NEEDS_LINUX, &[]),
        }
    }
}

impl fmt::Display for LineMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.said(Language::En))
    }
}

/// The hardware half of `check-config`: every configured line must exist on
/// this board (gpio backend only; rppal is checked when it opens the pins).
pub fn check_lines(
    c: &IndicatorConfig,
    lookup: &dyn LineLookup,
    language: Language,
) -> Vec<Problem> {
    let mut r = Reader::new(std::path::Path::new("."), None);
    r.language = language;
    if c.backend != BackendKind::Gpio {
        return Vec::new();
    }
    for (key, spec) in [
        ("led", &c.led),
        ("buzzer", &c.buzzer),
        ("button", &c.button),
    ] {
        if let Some(s) = spec {
            if let Err(e) = lookup.find(&s.line) {
                let (line, why) = (s.line.to_string(), e.said(language));
                let args = [("key", line.as_str()), ("message", &why)];
                let message = words::KEY_SAYS.fill(language, &args);
                r.problem(join("indicator", key), message);
            }
        }
    }
    r.problems
}

//! The indicator's lines: how a pin is written in the config, and the checks
//! that it exists (gpio) or has a BCM number (rppal).

use std::fmt;

use toml::{Table, Value};

use super::{BackendKind, IndicatorConfig};
use crate::config::reader::{join, Problem, Reader};

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
        r.problem(
            full.clone(),
            "write a line name like \"GPIO17\", or { chip = \"gpiochip0\", offset = 17 }",
        );
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
                r.problem(
                    join("indicator", key),
                    format!(
                        "{}: rppal needs a BCM line GPIO0…GPIO27 (names other than GPIOn need the gpio backend)",
                        s.line
                    ),
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
    fn find(&self, line: &LineRef) -> Result<(), String>;
}

/// The hardware half of `check-config`: every configured line must exist on
/// this board (gpio backend only; rppal is checked when it opens the pins).
pub fn check_lines(c: &IndicatorConfig, lookup: &dyn LineLookup) -> Vec<Problem> {
    let mut r = Reader::new(std::path::Path::new("."), None);
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
                r.problem(join("indicator", key), format!("{}: {e}", s.line));
            }
        }
    }
    r.problems
}

//! User templates: a Flex bubble in JSON with `{{name}}` placeholders.
//!
//! The rule kept here: a template is checked once, when the config loads
//! ([`FlexTemplate::parse`]), so a bad template stops the daemon at start and
//! not at 3 a.m. Rendering then only fills values in and applies LINE's
//! limits to what the values made:
//!
//! - texts and labels are cut with `…`; one that renders empty becomes `-`
//!   (LINE refuses empty text);
//! - `displayText` is cut, and left out when empty;
//! - postback `data` over 300 characters and URIs LINE will not open are
//!   errors (a cut token or link would break);
//! - an action whose `data` or `uri` renders empty is removed, with its
//!   button; an image whose `url` renders empty is removed; a box left empty
//!   by that goes too. This is how the built-in card treats `ack_data: None`.
//!
//! Placeholder names are not checked at parse: kintone field codes are only
//! known once the app's form is read. A name without a value renders as
//! empty; [`FlexTemplate::placeholders`] lists the names so the caller can
//! warn about ones the app lacks.

use std::collections::BTreeSet;

use serde_json::Value;

use super::bubble::{check_bubble_bytes, json_bytes};
use super::check::{self, human, Slot, Step};
use super::rules::Kind;
use super::text::EMPTY_TEXT;
use super::FlexError;
use crate::line::message::truncate_chars;

/// Placeholder names the notifier always provides, besides kintone field codes.
pub const BUILTIN_PLACEHOLDERS: &[&str] = &[
    "app_name",
    "status",
    "previous",
    "record_id",
    "title",
    "url",
    "ack_data",
];

/// A checked template bubble.
#[derive(Debug, Clone)]
pub struct FlexTemplate {
    json: Value,
    slots: Vec<Slot>,
}

impl FlexTemplate {
    /// Parses and checks a template.
    ///
    /// # Errors
    /// [`FlexError::Json`] for invalid JSON; otherwise the first problem with
    /// its JSON path: not a bubble, an unknown component, action or property,
    /// a pixel or percent size ([`FlexError::NotAllowed`],
    /// [`FlexError::Forbidden`]), a malformed placeholder, a fixed text over
    /// its limit, or a bubble over 30 KB.
    pub fn parse(json: &str) -> Result<FlexTemplate, FlexError> {
        let json: Value = serde_json::from_str(json).map_err(|e| FlexError::Json(e.to_string()))?;
        let slots = check::bubble(&json)?;
        check_bubble_bytes("template", json_bytes(&json))?;
        Ok(FlexTemplate { json, slots })
    }

    /// Every placeholder name the template uses, sorted.
    pub fn placeholders(&self) -> BTreeSet<&str> {
        self.slots.iter().flat_map(|s| s.pattern.names()).collect()
    }

    /// The bubble with placeholders replaced by `lookup(name)` (nothing when
    /// it returns `None`), within LINE's limits (see the module docs).
    ///
    /// # Errors
    /// [`FlexError::DataTooLong`] for postback data over 300 characters,
    /// [`FlexError::BadUri`]/[`FlexError::TooLong`] for a rendered URI LINE
    /// will not open, [`FlexError::BubbleTooLarge`] when the result is over
    /// 30 KB.
    pub fn render(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Value, FlexError> {
        let mut out = self.json.clone();
        let mut removals: Vec<&[Step]> = Vec::new();
        for slot in &self.slots {
            let text = slot.pattern.render(lookup);
            let value = match slot.kind {
                Kind::Text { max } if text.is_empty() => truncate_chars(EMPTY_TEXT, max),
                Kind::Text { max } => truncate_chars(&text, max),
                Kind::Optional { .. } if text.is_empty() => {
                    removals.push(&slot.at);
                    continue;
                }
                Kind::Optional { max } => truncate_chars(&text, max),
                Kind::Data | Kind::Uri | Kind::ImageUrl if text.is_empty() => {
                    removals.push(&slot.owner);
                    continue;
                }
                kind => {
                    check::fixed(&human(&slot.at), &text, kind)?;
                    text
                }
            };
            if let Some(target) = at_mut(&mut out, &slot.at) {
                *target = Value::String(value);
            }
        }
        // Deepest and last first, so earlier paths stay valid.
        removals.sort_unstable();
        removals.dedup();
        for at in removals.into_iter().rev() {
            remove(&mut out, at);
        }
        check_bubble_bytes("template", json_bytes(&out))?;
        Ok(out)
    }
}

fn at_mut<'v>(root: &'v mut Value, at: &[Step]) -> Option<&'v mut Value> {
    at.iter().try_fold(root, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// Removes the value at `at`; a box whose `contents` this empties goes too.
fn remove(root: &mut Value, at: &[Step]) {
    let Some((last, parent_at)) = at.split_last() else {
        return;
    };
    let Some(parent) = at_mut(root, parent_at) else {
        return;
    };
    let emptied = match (parent, last) {
        (Value::Object(map), Step::Key(k)) => {
            map.remove(k);
            false
        }
        (Value::Array(items), Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
            items.is_empty()
        }
        _ => false,
    };
    let in_box_contents = matches!(parent_at.last(), Some(Step::Key(k)) if k == "contents");
    if emptied && in_box_contents {
        let box_at = &parent_at[..parent_at.len() - 1];
        let is_box =
            at_mut(root, box_at).is_some_and(|b| b.get("type") == Some(&Value::from("box")));
        if is_box {
            remove(root, box_at);
        }
    }
}

#[cfg(test)]
mod tests;

//! Walks a template bubble's JSON, checking it against the [`rules`]
//! tables, and finds the strings that hold placeholders.
//!
//! The rule kept here: a template is refused at config load, with the JSON
//! path of the first problem, unless it is a bubble made of known components,
//! actions and properties, with keyword tokens for every size and spacing.
//! Fixed strings are checked against LINE's limits now; strings with
//! placeholders become [`Slot`]s, checked again when rendered.

use serde_json::{Map, Value};

use super::action::{check_data, check_uri};
use super::color::Color;
use super::placeholder::Pattern;
use super::rules::{self, Kind, Rule, RuleFor};
use super::{tokens, FlexError, MAX_URI_CHARS};

/// One step into the JSON: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// A string with placeholders, where it is and how to render it.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) at: Vec<Step>,
    pub(crate) kind: Kind,
    pub(crate) pattern: Pattern,
    /// What to remove when a `Data`, `Uri` or `ImageUrl` renders empty: the
    /// button of an action, else the action itself; the image of a URL.
    pub(crate) owner: Vec<Step>,
}

/// The JSON path a human reads: `body.contents[1].size`.
pub(crate) fn human(at: &[Step]) -> String {
    let mut out = String::new();
    for step in at {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "(bubble)".into()
    } else {
        out
    }
}

/// Checks a template bubble; returns the strings that hold placeholders.
///
/// # Errors
/// The first problem found, with its JSON path.
pub(crate) fn bubble(v: &Value) -> Result<Vec<Slot>, FlexError> {
    let mut slots = Vec::new();
    let map = object(v, &[])?;
    match map.get("type") {
        Some(Value::String(t)) if t == "bubble" => {}
        Some(other) => return Err(not_allowed(&[key("type")], other, &["bubble"])),
        None => {
            return Err(FlexError::Missing {
                path: "type".into(),
            })
        }
    }
    properties(&mut slots, map, &[], &[], &[], rules::bubble)?;
    Ok(slots)
}

/// Checks every property of `map` with `rule_for`; `owner` is what goes when
/// an action here renders empty (empty = the action itself).
fn properties(
    slots: &mut Vec<Slot>,
    map: &Map<String, Value>,
    at: &[Step],
    required: &[&str],
    owner: &[Step],
    rule_for: RuleFor,
) -> Result<(), FlexError> {
    if let Some(missing) = required.iter().find(|k| !map.contains_key(**k)) {
        return Err(FlexError::Missing {
            path: human(&child(at, key(missing))),
        });
    }
    for (name, value) in map.iter().filter(|(name, _)| *name != "type") {
        let here = child(at, key(name));
        let rule =
            rule_for(name).ok_or_else(|| FlexError::UnknownProperty { path: human(&here) })?;
        property(slots, value, &here, rule, owner)?;
    }
    Ok(())
}

fn property(
    slots: &mut Vec<Slot>,
    v: &Value,
    at: &[Step],
    rule: Rule,
    owner: &[Step],
) -> Result<(), FlexError> {
    match rule {
        Rule::Keyword(allowed) => match v.as_str() {
            Some(s) if allowed.contains(&s) => Ok(()),
            _ => Err(not_allowed(at, v, allowed)),
        },
        Rule::Str(kind) => string(slots, v, at, kind, owner),
        Rule::Literal => string_value(v, at).map(drop),
        Rule::Color => {
            let s = string_value(v, at)?;
            Color::parse(s).map(drop).map_err(|_| FlexError::BadColor {
                path: human(at),
                value: s.to_owned(),
            })
        }
        Rule::Int => v
            .as_u64()
            .map(drop)
            .ok_or_else(|| wrong(at, "a whole number")),
        Rule::Bool => v
            .as_bool()
            .map(drop)
            .ok_or_else(|| wrong(at, "true or false")),
        Rule::Forbidden(reason) => Err(FlexError::Forbidden {
            path: human(at),
            reason,
        }),
        Rule::Block => component(slots, v, at, &["box"]),
        Rule::Hero => component(slots, v, at, rules::HERO),
        Rule::Contents => each(v, at, |i, item| {
            component(slots, item, i, rules::BOX_CHILDREN)
        }),
        Rule::Spans => each(v, at, |i, item| component(slots, item, i, &["span"])),
        Rule::Action => action(slots, v, at, if owner.is_empty() { at } else { owner }),
        Rule::Styles => {
            for (name, style) in object(v, at)? {
                let here = child(at, key(name));
                if !rules::BLOCKS.contains(&name.as_str()) {
                    return Err(FlexError::UnknownProperty { path: human(&here) });
                }
                let style = object(style, &here)?;
                properties(slots, style, &here, &[], &[], rules::block_style)?;
            }
            Ok(())
        }
        Rule::Background => {
            let map = object(v, at)?;
            let kind = map.get("type").unwrap_or(&Value::Null);
            if kind.as_str() != Some("linearGradient") {
                return Err(not_allowed(
                    &child(at, key("type")),
                    kind,
                    &["linearGradient"],
                ));
            }
            properties(
                slots,
                map,
                at,
                rules::BACKGROUND_REQUIRED,
                &[],
                rules::background,
            )
        }
    }
}

fn component(
    slots: &mut Vec<Slot>,
    v: &Value,
    at: &[Step],
    allowed: &[&str],
) -> Result<(), FlexError> {
    let map = object(v, at)?;
    let kind = type_of(map, at)?;
    let known = allowed
        .contains(&kind)
        .then(|| rules::component(kind, map.contains_key("contents")))
        .flatten();
    let Some((required, rule_for)) = known else {
        return Err(FlexError::UnknownType {
            path: human(at),
            what: "component",
            found: kind.to_owned(),
        });
    };
    // A button goes with its action; elsewhere only the action goes.
    let owner: &[Step] = if kind == "button" { at } else { &[] };
    properties(slots, map, at, required, owner, rule_for)?;
    if kind == "button" && map.get("action").and_then(|a| a.get("label")).is_none() {
        return Err(FlexError::Missing {
            path: human(&child(&child(at, key("action")), key("label"))),
        });
    }
    Ok(())
}

fn action(slots: &mut Vec<Slot>, v: &Value, at: &[Step], owner: &[Step]) -> Result<(), FlexError> {
    let map = object(v, at)?;
    let kind = type_of(map, at)?;
    let (required, rule_for) = rules::action(kind).ok_or_else(|| FlexError::UnknownType {
        path: human(at),
        what: "action",
        found: kind.to_owned(),
    })?;
    properties(slots, map, at, required, owner, rule_for)
}

/// A string property: fixed strings are checked now, others become slots.
fn string(
    slots: &mut Vec<Slot>,
    v: &Value,
    at: &[Step],
    kind: Kind,
    owner: &[Step],
) -> Result<(), FlexError> {
    let s = string_value(v, at)?;
    let pattern = Pattern::parse(s).map_err(|message| FlexError::Placeholder {
        path: human(at),
        message,
    })?;
    if !pattern.has_names() {
        return fixed(&human(at), s, kind);
    }
    // An image URL takes its component with it; an action value its owner.
    let owner = match kind {
        Kind::ImageUrl => at[..at.len().saturating_sub(1)].to_vec(),
        _ => owner.to_vec(),
    };
    slots.push(Slot {
        at: at.to_vec(),
        kind,
        pattern,
        owner,
    });
    Ok(())
}

/// Checks a string as it will be sent (fixed, or just rendered).
///
/// # Errors
/// Text over its limit or empty, postback data over 300 characters, a URI
/// LINE will not open.
pub(crate) fn fixed(path: &str, s: &str, kind: Kind) -> Result<(), FlexError> {
    let len = s.chars().count();
    match kind {
        Kind::Text { max } | Kind::Optional { max } if len > max => Err(FlexError::TooLong {
            path: path.into(),
            what: "text",
            len,
            max,
        }),
        Kind::Text { .. } if s.is_empty() => Err(FlexError::Empty {
            path: path.into(),
            what: "text",
        }),
        Kind::Text { .. } | Kind::Optional { .. } => Ok(()),
        Kind::Data => check_data(path, s).map(drop),
        Kind::Uri => check_uri(path, s).map(drop),
        Kind::ImageUrl => check_image_url(path, s),
    }
}

/// Images must come over https; LINE allows 2,000 characters.
fn check_image_url(path: &str, s: &str) -> Result<(), FlexError> {
    let https = s.len() > 8
        && s.get(..8)
            .is_some_and(|h| h.eq_ignore_ascii_case("https://"));
    if !https || s.chars().count() > 2 * MAX_URI_CHARS {
        return Err(FlexError::BadUri {
            path: path.into(),
            value: s.chars().take(80).collect(),
        });
    }
    Ok(())
}

fn type_of<'v>(map: &'v Map<String, Value>, at: &[Step]) -> Result<&'v str, FlexError> {
    map.get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| FlexError::Missing {
            path: human(&child(at, key("type"))),
        })
}

fn each(
    v: &Value,
    at: &[Step],
    mut f: impl FnMut(&[Step], &Value) -> Result<(), FlexError>,
) -> Result<(), FlexError> {
    let items = v.as_array().ok_or_else(|| wrong(at, "an array"))?;
    items
        .iter()
        .enumerate()
        .try_for_each(|(i, item)| f(&child(at, Step::Index(i)), item))
}

fn object<'v>(v: &'v Value, at: &[Step]) -> Result<&'v Map<String, Value>, FlexError> {
    v.as_object().ok_or_else(|| wrong(at, "an object"))
}

fn string_value<'v>(v: &'v Value, at: &[Step]) -> Result<&'v str, FlexError> {
    v.as_str().ok_or_else(|| wrong(at, "a string"))
}

fn not_allowed(at: &[Step], found: &Value, allowed: &[&str]) -> FlexError {
    FlexError::NotAllowed {
        path: human(at),
        found: found.to_string(),
        allowed: tokens::describe(allowed),
    }
}

fn wrong(at: &[Step], expected: &'static str) -> FlexError {
    FlexError::WrongType {
        path: human(at),
        expected,
    }
}

fn key(k: &str) -> Step {
    Step::Key(k.to_owned())
}

fn child(at: &[Step], step: Step) -> Vec<Step> {
    let mut v = at.to_vec();
    v.push(step);
    v
}

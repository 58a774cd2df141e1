//! The card a notification pushes: a Flex bubble (the rule's template, or
//! the standard card) carrying the Acknowledge button's postback data.
//! Rendered before the notification is stored, never on the store thread.

use super::detect::Judge;
use crate::config::rules::Rule;
use crate::kintone::record::Record;
use crate::line::flex::{self, NotificationCard};
use crate::postback::{AckData, NotificationId};

/// A notification's card, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The Flex bubble, as JSON.
    pub bubble: String,
    pub alt_text: String,
    /// The record's title as shown.
    pub title: String,
}

/// Why a card could not be made; the change is retried as it is, so the
/// rule's template or shown fields need fixing.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    #[error("rule {rule}: template: {reason}")]
    Template { rule: String, reason: String },
    #[error("rule {rule}: card: {reason}")]
    Card { rule: String, reason: String },
    #[error("card JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// One change of a record that a rule matched.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub rule: &'a Rule,
    pub record: &'a Record,
    pub from: Option<&'a str>,
    pub to: &'a str,
}

/// Renders the card of notification `id` for `change`.
///
/// # Errors
/// The template or the standard card does not fit LINE's limits.
pub fn render(
    judge: &Judge<'_>,
    change: Change<'_>,
    id: &NotificationId,
) -> Result<Rendered, CardError> {
    let (rule, record) = (change.rule, change.record);
    let ack = AckData {
        site: judge.site.clone(),
        app: judge.app,
        record: record.id,
        notification: id.clone(),
    };
    let card = NotificationCard {
        app_name: judge.app_name.to_owned(),
        status: change.to.to_owned(),
        previous: change.from.map(str::to_owned),
        title: title(judge, record),
        record_id: record.id.get(),
        fields: rule
            .show
            .iter()
            .map(|code| (code.clone(), record.display(code).unwrap_or_default()))
            .collect(),
        ack_data: Some(ack.to_string()),
        open_url: Some(record_url(judge, record)),
        language: judge.language,
    };
    let bubble = bubble(judge, rule, record, &card, &ack)?;
    Ok(Rendered {
        bubble: serde_json::to_string(&bubble)?,
        alt_text: flex::alt_text(&card),
        title: card.title,
    })
}

/// The rule's template filled in, or the standard card.
fn bubble(
    judge: &Judge<'_>,
    rule: &Rule,
    record: &Record,
    card: &NotificationCard,
    ack: &AckData,
) -> Result<serde_json::Value, CardError> {
    match &rule.template {
        Some(t) => t
            .render(&|name: &str| template_value(name, judge, record, card, ack))
            .map_err(|e| CardError::Template {
                rule: rule.name.clone(),
                reason: e.to_string(),
            }),
        None => card
            .to_bubble()
            .and_then(|b| b.to_json())
            .map_err(|e| CardError::Card {
                rule: rule.name.clone(),
                reason: e.to_string(),
            }),
    }
}

fn title(judge: &Judge<'_>, record: &Record) -> String {
    judge
        .title_field
        .and_then(|f| record.text(f))
        .or_else(|| judge.title_hint.map(str::to_owned))
        .unwrap_or_default()
}

fn record_url(judge: &Judge<'_>, record: &Record) -> String {
    format!("{}{}", judge.record_url, record.id)
}

fn template_value(
    name: &str,
    judge: &Judge<'_>,
    record: &Record,
    card: &NotificationCard,
    ack: &AckData,
) -> Option<String> {
    match name {
        "app_name" => Some(card.app_name.clone()),
        "status" => Some(card.status.clone()),
        "previous" => card.previous.clone(),
        "record_id" => Some(record.id.to_string()),
        "title" => Some(card.title.clone()),
        "url" => Some(record_url(judge, record)),
        "ack_data" => Some(ack.to_string()),
        code => record.display(code),
    }
}

/// `bubble` (a stored card's JSON) with `banner` as its first line, in red
/// and bold, so a reminder or an escalation reads as one at a glance; the
/// alt text starts with it too. The card keeps its button and data: a tap
/// on any copy acknowledges the one notification.
///
/// # Errors
/// The stored card is not JSON, or the banner makes it too large for LINE.
pub fn with_banner(
    bubble: &str,
    alt_text: &str,
    banner: &str,
) -> Result<(String, String), CardError> {
    let mut b: serde_json::Value = serde_json::from_str(bubble)?;
    let line = serde_json::json!({
        "type": "text", "text": banner, "wrap": true, "weight": "bold",
        "size": "sm", "color": "#C62828"
    });
    let body = b
        .as_object_mut()
        .ok_or_else(|| card_error("the stored card is not a bubble"))?
        .entry("body")
        .or_insert_with(
            || serde_json::json!({"type": "box", "layout": "vertical", "contents": []}),
        );
    match body
        .get_mut("contents")
        .and_then(serde_json::Value::as_array_mut)
    {
        Some(contents) => contents.insert(0, line),
        None => return Err(card_error("the stored card's body has no contents")),
    }
    let json = serde_json::to_string(&b)?;
    if json.len() > flex::MAX_BUBBLE_BYTES {
        return Err(card_error("the card with its banner is over LINE's 30 KB"));
    }
    let alt: String = format!("{banner} {alt_text}")
        .chars()
        .take(flex::MAX_ALT_TEXT_CHARS)
        .collect();
    Ok((json, alt))
}

fn card_error(reason: &str) -> CardError {
    CardError::Card {
        rule: String::new(),
        reason: reason.to_owned(),
    }
}

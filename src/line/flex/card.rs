//! The built-in notification card: one kintone record's status change as a
//! bubble, and its `altText`.
//!
//! The rule kept here: the card always fits. Long texts are cut with `…`;
//! when the chosen fields would push the bubble over 30 KB, rows are shed from
//! the end (a "+N more" note says so) before the card gives up with an error.

use super::action::Action;
use super::bubble::Bubble;
use super::color::Color;
use super::component::{Component, FlexBox, FlexButton, FlexSeparator};
use super::text::FlexText;
use super::tokens::{ButtonStyle, Spacing, TextSize};
use super::{FlexError, MAX_ALT_TEXT_CHARS, MAX_BUBBLE_BYTES};
use crate::line::message::truncate_chars;
use crate::text::{fill, Language};

/// Field labels longer than this are cut: the label column is narrow.
const MAX_FIELD_LABEL_CHARS: usize = 60;
/// Field values longer than this are cut: a card is a summary, kintone has the rest.
const MAX_FIELD_VALUE_CHARS: usize = 300;

const MUTED: Color = Color::rgb(0x88, 0x88, 0x88);
const INK: Color = Color::rgb(0x11, 0x11, 0x11);
const LINE_GREEN: Color = Color::rgb(0x06, 0xC7, 0x55);

/// One record's status change, as the notifier describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationCard {
    /// Name of the kintone app.
    pub app_name: String,
    /// The new status.
    pub status: String,
    /// The status before, when the gateway knew it.
    pub previous: Option<String>,
    /// The record title.
    pub title: String,
    /// The record id.
    pub record_id: u64,
    /// Chosen fields as (label, value) rows, in display order.
    pub fields: Vec<(String, String)>,
    /// Postback data of the Acknowledge button; `None` leaves the button out.
    pub ack_data: Option<String>,
    /// Target of the "Open in kintone" button; `None` leaves the button out.
    pub open_url: Option<String>,
    /// The language of the buttons, notes and altText.
    pub language: Language,
}

impl NotificationCard {
    /// The card as a bubble, shedding field rows from the end if the bubble
    /// would be over 30 KB.
    ///
    /// # Errors
    /// [`FlexError::DataTooLong`] for `ack_data` over 300 characters,
    /// [`FlexError::BadUri`]/[`FlexError::TooLong`] for a bad `open_url`,
    /// [`FlexError::BubbleTooLarge`] if even the card without fields is too big.
    pub fn to_bubble(&self) -> Result<Bubble, FlexError> {
        let footer = self.footer()?;
        let rows: Vec<Component> = self.fields.iter().map(|(l, v)| field_row(l, v)).collect();
        let mut shown = rows.len();
        loop {
            let bubble = self.bubble(&rows[..shown], rows.len() - shown, footer.clone());
            let bytes = bubble.json_bytes();
            if bytes <= MAX_BUBBLE_BYTES {
                return Ok(bubble);
            }
            if shown == 0 {
                return Err(FlexError::BubbleTooLarge {
                    path: "card".into(),
                    bytes,
                    max: MAX_BUBBLE_BYTES,
                });
            }
            // Drop enough rows from the end to cover the excess (at least one),
            // then measure again: the "+N more" note changes size too.
            let mut freed = 0;
            while shown > 0 && (freed < bytes - MAX_BUBBLE_BYTES || freed == 0) {
                shown -= 1;
                freed += super::bubble::json_bytes(&rows[shown]) + 1;
            }
        }
    }

    /// The value of a built-in template placeholder: `app_name`, `status`,
    /// `previous`, `record_id`, `title`, `url` (the open URL) or `ack_data`.
    /// `None` for anything else (kintone field codes are the caller's).
    pub fn lookup(&self, name: &str) -> Option<String> {
        match name {
            "app_name" => Some(self.app_name.clone()),
            "status" => Some(self.status.clone()),
            "previous" => self.previous.clone(),
            "record_id" => Some(self.record_id.to_string()),
            "title" => Some(self.title.clone()),
            "url" => self.open_url.clone(),
            "ack_data" => self.ack_data.clone(),
            _ => None,
        }
    }

    fn bubble(&self, rows: &[Component], hidden: usize, footer: Option<FlexBox>) -> Bubble {
        let bubble = Bubble::new()
            .header(self.header())
            .body(self.body(rows, hidden));
        match footer {
            Some(footer) => bubble.footer(footer),
            None => bubble,
        }
    }

    fn header(&self) -> FlexBox {
        let mut header = FlexBox::vertical(vec![])
            .push(
                FlexText::new(&self.app_name)
                    .size(TextSize::Sm)
                    .color(MUTED)
                    .wrap(1),
            )
            .push(
                FlexText::new(&self.status)
                    .size(TextSize::Xl)
                    .bold()
                    .color(INK)
                    .wrap(2),
            );
        if let Some(previous) = &self.previous {
            let from = format!("{previous} → {}", self.status);
            header = header.push(FlexText::new(&from).size(TextSize::Xs).color(MUTED).wrap(2));
        }
        header
    }

    fn body(&self, rows: &[Component], hidden: usize) -> FlexBox {
        let mut body = FlexBox::vertical(vec![]).push(
            FlexText::new(&self.record_line())
                .size(TextSize::Md)
                .bold()
                .wrap(3),
        );
        if !rows.is_empty() || hidden > 0 {
            body = body.push(FlexSeparator::with_margin(Spacing::Md));
            let table = FlexBox::vertical(rows.to_vec())
                .spacing(Spacing::Sm)
                .margin(Spacing::Md);
            body = body.push(table);
        }
        if hidden > 0 {
            let count = hidden.to_string();
            let note = fill(self.language.catalogue().card_more, &[("count", &count)]);
            body = body.push(
                FlexText::new(&note)
                    .size(TextSize::Xs)
                    .color(MUTED)
                    .margin(Spacing::Sm)
                    .wrap(2),
            );
        }
        body
    }

    fn footer(&self) -> Result<Option<FlexBox>, FlexError> {
        let mut buttons: Vec<Component> = Vec::new();
        let texts = self.language.catalogue();
        if let Some(data) = &self.ack_data {
            let record = self.record_id.to_string();
            let shown = fill(texts.card_acknowledge_shown, &[("record", &record)]);
            let action = Action::postback(texts.card_acknowledge, data, Some(&shown))?;
            buttons.push(
                FlexButton::new(action)
                    .style(ButtonStyle::Primary)
                    .color(LINE_GREEN)
                    .into(),
            );
        }
        if let Some(url) = &self.open_url {
            let action = Action::uri(texts.card_open, url)?;
            buttons.push(FlexButton::new(action).style(ButtonStyle::Link).into());
        }
        Ok((!buttons.is_empty()).then(|| FlexBox::vertical(buttons).spacing(Spacing::Sm)))
    }

    fn record_line(&self) -> String {
        match self.title.trim() {
            "" => format!("#{}", self.record_id),
            title => format!("#{} {title}", self.record_id),
        }
    }
}

/// One label/value row of the field table.
fn field_row(label: &str, value: &str) -> Component {
    let label = FlexText::new(&truncate_chars(label, MAX_FIELD_LABEL_CHARS))
        .size(TextSize::Sm)
        .color(MUTED)
        .flex(2)
        .wrap(0);
    let value = FlexText::new(&truncate_chars(value, MAX_FIELD_VALUE_CHARS))
        .size(TextSize::Sm)
        .color(INK)
        .flex(5)
        .wrap(0);
    FlexBox::baseline(vec![label.into(), value.into()])
        .spacing(Spacing::Sm)
        .into()
}

/// The notification text for phones and watches that cannot show Flex:
/// `[Approvals] #345 Needs approval: Fix roof` (`【承認】#345 承認待ち：屋根の修理`),
/// whitespace collapsed, at most 1,500 characters.
pub fn alt_text(card: &NotificationCard) -> String {
    let texts = card.language.catalogue();
    let (app, title) = (card.app_name.trim(), card.title.trim());
    let mut text = String::new();
    if !app.is_empty() {
        text.push_str(&fill(texts.alt_app, &[("app", app)]));
    }
    let record = card.record_id.to_string();
    let status = card.status.trim();
    text.push_str(&fill(
        texts.alt_record,
        &[("record", &record), ("status", status)],
    ));
    if !title.is_empty() {
        text.push_str(&fill(texts.alt_title, &[("title", title)]));
    }
    truncate_chars(&collapse_whitespace(&text), MAX_ALT_TEXT_CHARS)
}

/// Newlines and runs of spaces become one space: altText is one line.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;

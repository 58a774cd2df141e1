//! *Rules*: each rule with a preview of its card — the Flex bubble the
//! gateway last pushed for it (exactly as stored), or, before its first
//! notification, the card it would push, built with the same card builder
//! (or the rule's own template) from sample values.

use maud::{html, Markup};
use serde::Serialize;
use serde_json::Value;

use super::templates::{Frame, Tab};
use super::{flex, Ui};
use crate::config::rules::{Recipient, Rule};
use crate::line::flex::NotificationCard;

#[derive(Debug, Serialize)]
pub(super) struct RuleView {
    pub name: String,
    pub app: u64,
    pub app_name: String,
    pub field: String,
    pub from: Option<Vec<String>>,
    pub to: Option<Vec<String>>,
    pub recipients: Vec<String>,
    pub reminders: bool,
    /// `last` (the card last pushed) or `sample`.
    pub preview: &'static str,
    pub card: Option<Value>,
}

/// A recipient as written in the config.
fn written(r: &Recipient) -> String {
    match r {
        Recipient::Staff(n) => n.clone(),
        Recipient::KintoneUser(k) => format!("kintone:{k}"),
        Recipient::Field(f) => format!("field:{f}"),
        Recipient::GroupName(g) => format!("group:{g}"),
        Recipient::User(u) => u.as_str().to_owned(),
        Recipient::Group(g) => g.as_str().to_owned(),
    }
}

impl Ui {
    /// The card `rule` would push for a sample record of its app.
    fn sample_card(&self, rule: &Rule, app_name: &str) -> Option<Value> {
        let first = |v: &Option<Vec<String>>| v.as_ref().and_then(|v| v.first().cloned());
        let card = NotificationCard {
            app_name: app_name.to_owned(),
            status: first(&rule.to).unwrap_or_default(),
            previous: first(&rule.from),
            title: self.language.page().rules_sample_title.to_owned(),
            record_id: 1,
            fields: rule
                .show
                .iter()
                .map(|f| (f.clone(), "…".to_owned()))
                .collect(),
            ack_data: Some("ack:v1:preview".to_owned()),
            open_url: Some(self.record_url(i64::try_from(rule.app.get()).unwrap_or(0), 1)),
            language: self.language,
        };
        match &rule.template {
            Some(t) => t
                .render(&|name| card.lookup(name).or_else(|| Some("…".to_owned())))
                .ok(),
            None => card
                .to_bubble()
                .ok()
                .and_then(|b| serde_json::to_value(b).ok()),
        }
    }

    pub(super) async fn rules_view(&self) -> anyhow::Result<Vec<RuleView>> {
        let rules = self.rules.get();
        let mut out = Vec::with_capacity(rules.len());
        for rule in rules.iter() {
            let app_name = self
                .config
                .app(rule.app)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            let last = self.store.last_card(rule.name.clone()).await?;
            let last = last.and_then(|j| serde_json::from_str::<Value>(&j).ok());
            let (preview, card) = match last {
                Some(card) => ("last", Some(card)),
                None => ("sample", self.sample_card(rule, &app_name)),
            };
            out.push(RuleView {
                name: rule.name.clone(),
                app: rule.app.get(),
                app_name,
                field: rule.field.clone(),
                from: rule.from.clone(),
                to: rule.to.clone(),
                recipients: rule.recipients.iter().map(written).collect(),
                reminders: !rule.chain.is_empty(),
                preview,
                card,
            });
        }
        Ok(out)
    }
}

impl Frame<'_> {
    pub(super) fn rules(&self, rules: &[RuleView]) -> Markup {
        let t = self.t();
        let any =
            |v: &Option<Vec<String>>| v.as_ref().map_or_else(|| "*".to_owned(), |v| v.join(", "));
        self.page(Tab::Rules, html! {
            h2 { (t.rules_title) }
            @for r in rules {
                section.rule data-rule=(r.name) data-preview=(r.preview) {
                    h2 { (r.name) }
                    p {
                        (crate::text::fill(t.rules_when, &[
                            ("app", &format!("{} ({})", r.app_name, r.app)),
                            ("field", &r.field), ("from", &any(&r.from)), ("to", &any(&r.to)),
                        ]))
                        br; span.dim { (t.col_recipients) ": " (r.recipients.join(", ")) }
                        @if r.reminders { br; span.dim { (t.rules_reminders) } }
                    }
                    p.dim { (if r.preview == "last" { t.rules_preview_last } else { t.rules_preview_sample }) }
                    @if let Some(card) = &r.card { (flex::bubble(card)) }
                }
            }
        })
    }
}

//! `[kintone.apps.ack]`: how an acknowledgement is written back to the app
//! (comment, fields or status action) and the reply that confirms it.
//!
//! The comment and reply default to the `language`'s catalogue texts
//! (`default_comment`, `default_reply`); a config text overrides either.

use toml::Table;

use super::reader::{join, Reader};
use super::section_words;
use super::template::Template;
use super::words;

/// Placeholders available to write-back and reply templates.
pub const ACK_PLACEHOLDERS: &[&str] = &[
    "name",
    "line_user",
    "kintone_user",
    "time",
    "datetime",
    "record",
    "app",
    "app_name",
    "title",
    "notification",
    "via",
];

/// How an acknowledgement is written back.
#[derive(Debug, Clone)]
pub enum AckMethod {
    /// A record comment (with a marker so a retry never doubles it).
    Comment(Template),
    /// Field updates, with revision check and conflict retry.
    Fields(Vec<(String, Template)>),
    /// A process-management action.
    Status {
        action: String,
        assignee: Option<Template>,
    },
}

impl AckMethod {
    pub fn name(&self) -> &'static str {
        match self {
            AckMethod::Comment(_) => "comment",
            AckMethod::Fields(_) => "fields",
            AckMethod::Status { .. } => "status",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AckSettings {
    pub method: AckMethod,
    /// The Reply text once the write-back is recorded.
    pub reply: Template,
}

fn template(r: &mut Reader, key: String, text: &str) -> Option<Template> {
    Template::parse_in(text, ACK_PLACEHOLDERS, r.language)
        .map_err(|e| r.problem(key, e))
        .ok()
}

pub(super) fn read_ack(r: &mut Reader, t: &Table, p: &str) -> Option<AckSettings> {
    r.unknown_keys(
        t,
        p,
        &["method", "comment", "fields", "action", "assignee", "reply"],
    );
    let method = r
        .opt_str(t, p, "method")
        .unwrap_or_else(|| "comment".into());
    let method = match method.as_str() {
        "comment" => {
            let text = r
                .opt_str(t, p, "comment")
                .unwrap_or_else(|| r.language.catalogue().default_comment.into());
            template(r, join(p, "comment"), &text).map(AckMethod::Comment)
        }
        "fields" => read_fields(r, t, p).map(AckMethod::Fields),
        "status" => {
            let action = r.str(t, p, "action");
            let assignee = r
                .opt_str(t, p, "assignee")
                .and_then(|a| template(r, join(p, "assignee"), &a));
            action.map(|action| AckMethod::Status { action, assignee })
        }
        other => {
            let value = format!("{other:?}");
            let choices = words::choices(r.language, &["comment", "fields", "status"]);
            let args = [("value", value.as_str()), ("choices", &choices)];
            r.said(join(p, "method"), &words::USE_ONE_OF, &args);
            None
        }
    };
    let reply = r
        .opt_str(t, p, "reply")
        .unwrap_or_else(|| r.language.catalogue().default_reply.into());
    let reply = template(r, join(p, "reply"), &reply);
    Some(AckSettings {
        method: method?,
        reply: reply?,
    })
}

/// `fields = { CODE = "template" }`: at least one, each a template.
fn read_fields(r: &mut Reader, t: &Table, p: &str) -> Option<Vec<(String, Template)>> {
    let Some(fields) = r.opt_table(t, p, "fields") else {
        r.said(join(p, "fields"), &section_words::FIELDS_NEEDED, &[]);
        return None;
    };
    let mut out = Vec::new();
    for (code, v) in fields {
        let key = format!("{}.{code}", join(p, "fields"));
        match v.as_str() {
            Some(s) => out.extend(template(r, key, s).map(|t| (code.clone(), t))),
            None => r.said(key, &section_words::TEMPLATE_STRING, &[]),
        }
    }
    if out.is_empty() {
        r.said(join(p, "fields"), &section_words::ONE_FIELD, &[]);
    }
    Some(out)
}

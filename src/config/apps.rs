//! `[[kintone.apps]]`: one kintone app's credentials, how the gateway learns of
//! its changes, and how an acknowledgement is written back to it.

use std::time::Duration;

use toml::Table;

use super::reader::{join, Reader};
use super::template::Template;
use crate::domain::AppId;
use crate::kintone::client::{AppAuth, BasicAuth};
use crate::secret::Secret;

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

#[derive(Debug, Clone)]
pub struct AppConfig {
    pub id: AppId,
    /// Shown in messages; defaults to "App <id>".
    pub name: String,
    /// The app's kintone credentials, built once when the config is read.
    pub auth: AppAuth,
    /// The secret path segment of `POST /kintone/webhook/{token}`; `None`
    /// means webhooks are not accepted for this app.
    pub webhook_token: Option<Secret>,
    /// Re-read the record through the API before acting on a webhook.
    pub webhook_reread: bool,
    /// Poll this app as a safety net.
    pub poll: bool,
    pub poll_interval: Duration,
    /// Field code holding the record title (else the webhook's `recordTitle`).
    pub title_field: Option<String>,
    pub ack: AckSettings,
}

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

const DEFAULT_COMMENT: &str = "Acknowledged by {{name}} via {{via}} at {{time}}";
const DEFAULT_REPLY: &str = "✓ Recorded — #{{record}} {{title}}";

pub(super) fn read_app(r: &mut Reader, t: &Table, p: &str) -> Option<AppConfig> {
    r.unknown_keys(
        t,
        p,
        &[
            "id",
            "name",
            "api_token",
            "basic_auth",
            "webhook_token",
            "webhook_reread",
            "poll",
            "poll_interval",
            "title_field",
            "ack",
        ],
    );
    let id = match r.opt_int(t, p, "id") {
        Some(n) => u64::try_from(n)
            .ok()
            .and_then(|n| AppId::new(n).ok())
            .or_else(|| {
                r.problem(join(p, "id"), "must be a positive app id");
                None
            }),
        None => {
            r.problem(join(p, "id"), "missing (required)");
            None
        }
    };
    let name = r.opt_str(t, p, "name");
    let api_token = r.secret(t, p, "api_token", true);
    let basic_auth = r.opt_table(t, p, "basic_auth").and_then(|b| {
        let bp = join(p, "basic_auth");
        r.unknown_keys(b, &bp, &["user", "password"]);
        let user = r.str(b, &bp, "user");
        let password = r.secret(b, &bp, "password", true);
        Some(BasicAuth {
            user: user?,
            password: password?,
        })
    });
    let webhook_token = r.secret(t, p, "webhook_token", false);
    if let Some(w) = &webhook_token {
        if w.expose().len() < 24
            || !w
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            r.problem(
                join(p, "webhook_token"),
                "must be at least 24 characters of A-Z a-z 0-9 - _ (it is the only lock on the webhook URL)",
            );
        }
    }
    let webhook_reread = r.opt_bool(t, p, "webhook_reread").unwrap_or(true);
    let poll = r.opt_bool(t, p, "poll").unwrap_or(true);
    let poll_interval = r
        .opt_duration(t, p, "poll_interval")
        .unwrap_or(Duration::from_secs(60));
    if poll_interval < Duration::from_secs(5) {
        r.problem(join(p, "poll_interval"), "must be at least 5s");
    }
    let title_field = r.opt_str(t, p, "title_field");
    let empty = Table::new();
    let ack_table = r.opt_table(t, p, "ack").unwrap_or(&empty);
    let ack = read_ack(r, ack_table, &join(p, "ack"));
    let id = id?;
    Some(AppConfig {
        id,
        name: name.unwrap_or_else(|| format!("App {id}")),
        auth: AppAuth {
            app: id,
            api_token: api_token?,
            basic: basic_auth,
        },
        webhook_token,
        webhook_reread,
        poll,
        poll_interval,
        title_field,
        ack: ack?,
    })
}

fn template(r: &mut Reader, key: String, text: &str) -> Option<Template> {
    Template::parse(text, ACK_PLACEHOLDERS)
        .map_err(|e| r.problem(key, e))
        .ok()
}

fn read_ack(r: &mut Reader, t: &Table, p: &str) -> Option<AckSettings> {
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
                .unwrap_or_else(|| DEFAULT_COMMENT.into());
            template(r, join(p, "comment"), &text).map(AckMethod::Comment)
        }
        "fields" => {
            let Some(fields) = r.opt_table(t, p, "fields") else {
                r.problem(
                    join(p, "fields"),
                    "method = \"fields\" needs fields = { CODE = \"template\" }",
                );
                return None;
            };
            let mut out = Vec::new();
            for (code, v) in fields {
                let key = format!("{}.{code}", join(p, "fields"));
                match v.as_str() {
                    Some(s) => out.extend(template(r, key, s).map(|t| (code.clone(), t))),
                    None => r.problem(key, "expected a string template"),
                }
            }
            if out.is_empty() {
                r.problem(join(p, "fields"), "name at least one field");
            }
            Some(AckMethod::Fields(out))
        }
        "status" => {
            let action = r.str(t, p, "action");
            let assignee = r
                .opt_str(t, p, "assignee")
                .and_then(|a| template(r, join(p, "assignee"), &a));
            action.map(|action| AckMethod::Status { action, assignee })
        }
        other => {
            r.problem(
                join(p, "method"),
                format!("{other:?}: use \"comment\", \"fields\" or \"status\""),
            );
            None
        }
    };
    let reply = r
        .opt_str(t, p, "reply")
        .unwrap_or_else(|| DEFAULT_REPLY.into());
    let reply = template(r, join(p, "reply"), &reply);
    Some(AckSettings {
        method: method?,
        reply: reply?,
    })
}

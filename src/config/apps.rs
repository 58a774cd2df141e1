//! `[[kintone.apps]]`: one kintone app's credentials, how the gateway learns of
//! its changes, and how an acknowledgement is written back to it.

use std::time::Duration;

use toml::Table;

use super::ack::{self, AckSettings};
use super::reader::{join, Reader};
use super::section_words;
use super::words;
use crate::domain::AppId;
use crate::kintone::client::{AppAuth, BasicAuth};
use crate::kintone::{daily_requests, DAILY_LIMIT};
use crate::secret::Secret;

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

impl super::live::Live<Vec<AppConfig>> {
    /// App `id` as it is configured now (a reload swaps tokens and texts):
    /// a copy, kept for the piece of work at hand.
    pub fn app(&self, id: AppId) -> Option<AppConfig> {
        self.get().iter().find(|a| a.id == id).cloned()
    }
}

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
            "allow_over_budget",
            "title_field",
            "ack",
        ],
    );
    let id = read_id(r, t, p);
    let name = r.opt_str(t, p, "name");
    let api_token = r.secret(t, p, "api_token", true);
    let basic_auth = read_basic_auth(r, t, p);
    let webhook_token = read_webhook_token(r, t, p);
    let webhook_reread = r.opt_bool(t, p, "webhook_reread").unwrap_or(true);
    let poll = r.opt_bool(t, p, "poll").unwrap_or(true);
    let poll_interval = r
        .opt_duration(t, p, "poll_interval")
        .unwrap_or(Duration::from_secs(60));
    if poll_interval < Duration::from_secs(5) {
        r.said(join(p, "poll_interval"), &words::AT_LEAST, &[("min", "5s")]);
    }
    let allow_over_budget = r.opt_bool(t, p, "allow_over_budget").unwrap_or(false);
    check_budget(r, p, poll && !allow_over_budget, poll_interval);
    let title_field = r.opt_str(t, p, "title_field");
    let empty = Table::new();
    let ack_table = r.opt_table(t, p, "ack").unwrap_or(&empty);
    let ack = ack::read_ack(r, ack_table, &join(p, "ack"));
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

/// Polling past kintone's daily request limit starves every other client of
/// the app, so it is refused unless the operator says it is meant.
fn check_budget(r: &mut Reader, p: &str, check: bool, interval: Duration) {
    let per_day = daily_requests(interval);
    if check && per_day > DAILY_LIMIT {
        let figures = [
            interval.as_secs(),
            per_day,
            per_day * 100 / DAILY_LIMIT,
            DAILY_LIMIT,
            86_400_u64.div_ceil(DAILY_LIMIT),
        ]
        .map(|n| n.to_string());
        let [s, per_day, share, limit, min] = figures.each_ref().map(String::as_str);
        let args = [
            ("s", s),
            ("per_day", per_day),
            ("share", share),
            ("limit", limit),
            ("min", min),
        ];
        r.said(join(p, "poll_interval"), &section_words::OVER_BUDGET, &args);
    }
}

fn read_id(r: &mut Reader, t: &Table, p: &str) -> Option<AppId> {
    let Some(n) = r.opt_int(t, p, "id") else {
        r.said(join(p, "id"), &words::MISSING, &[]);
        return None;
    };
    let id = u64::try_from(n).ok().and_then(|n| AppId::new(n).ok());
    if id.is_none() {
        r.said(join(p, "id"), &words::APP_ID, &[]);
    }
    id
}

fn read_basic_auth(r: &mut Reader, t: &Table, p: &str) -> Option<BasicAuth> {
    let b = r.opt_table(t, p, "basic_auth")?;
    let bp = join(p, "basic_auth");
    r.unknown_keys(b, &bp, &["user", "password"]);
    let user = r.str(b, &bp, "user");
    let password = r.secret(b, &bp, "password", true);
    Some(BasicAuth {
        user: user?,
        password: password?,
    })
}

/// The webhook URL's secret segment: long and URL-safe, as it is the only lock.
fn read_webhook_token(r: &mut Reader, t: &Table, p: &str) -> Option<Secret> {
    let token = r.secret(t, p, "webhook_token", false)?;
    let text = token.expose();
    let url_safe = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if text.len() < 24 || !url_safe {
        r.said(join(p, "webhook_token"), &section_words::WEBHOOK_TOKEN, &[]);
    }
    Some(token)
}

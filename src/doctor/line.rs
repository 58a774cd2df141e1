//! The LINE checks: the channel access token works, and LINE's webhooks
//! reach this board (straight, or through the relay).

use super::{host_of, words, Check};
use crate::config::Config;
use crate::line::client::LineClient;
use crate::line::error::LineError;
use crate::text::said::Said;
use crate::text::Language;

/// The channel access token works: `GET /v2/bot/info`. Returns the client
/// for the webhook check when it does.
pub(super) async fn line(
    c: &Config,
    dates: &mut Vec<(&'static str, jiff::Timestamp)>,
) -> (Check, Option<LineClient>) {
    let (name, lang) = ("LINE", c.language);
    let client = match crate::daemon::line_client(c) {
        Ok(client) => client,
        Err(e) => {
            let e = format!("{e:#}");
            return (
                Check::fail(name, words::NO_CLIENT.fill(lang, &[("e", &e)])),
                None,
            );
        }
    };
    if let Some(t) = super::server_date(&c.line.api_base, c.line.timeout).await {
        dates.push(("LINE", t));
    }
    match client.bot_info().await {
        Ok(info) => {
            let text = |k: &str| info.get(k).and_then(|v| v.as_str()).unwrap_or("?");
            let bot = format!("{:?}", text("displayName"));
            let args = [
                ("base", c.line.api_base.as_str()),
                ("bot", &bot),
                ("id", text("basicId")),
            ];
            (
                Check::pass(name, words::LINE_OK.fill(lang, &args)),
                Some(client),
            )
        }
        Err(e) => (Check::fail(name, why(&c.line.api_base, &e, lang)), None),
    }
}

/// A failed LINE call in plain words, with the fix that fits its cause.
fn why(base: &str, e: &LineError, lang: Language) -> String {
    let host = host_of(base);
    let at = [("host", host), ("base", base)];
    match e {
        LineError::Retryable {
            status: None,
            message,
        } => {
            let args = [at[0], at[1], ("message", message.as_str())];
            words::CANNOT_CONNECT_LINE.fill(lang, &args)
        }
        LineError::Retryable {
            status: Some(s), ..
        } => words::LINE_BUSY.fill(lang, &[at[0], ("status", &s.to_string())]),
        LineError::Unauthorized { .. } => words::LINE_REFUSED_TOKEN.fill(lang, &at),
        other => words::LINE_OTHER.fill(lang, &[at[0], ("e", &other.to_string())]),
    }
}

/// LINE → (relay →) board: the webhook URL set in the console, "Use
/// webhook", and a test webhook sent by LINE now.
pub(super) async fn webhook(client: &LineClient, lang: Language) -> Check {
    let name = words::NAME_WEBHOOK.in_(lang);
    let set = match client.webhook_endpoint().await {
        Ok(set) => set,
        Err(e) => {
            let e = e.to_string();
            return Check::fail(name, words::WEBHOOK_UNREADABLE.fill(lang, &[("e", &e)]));
        }
    };
    if set.endpoint.is_empty() {
        return Check::fail(name, words::WEBHOOK_UNSET.in_(lang));
    }
    let route = route(&set.endpoint).in_(lang);
    let at = [("url", set.endpoint.as_str()), ("route", route)];
    if !set.active {
        return Check::fail(name, words::WEBHOOK_OFF.fill(lang, &at));
    }
    let test = match client.webhook_test().await {
        Ok(t) => t,
        Err(e) => {
            let e = e.to_string();
            return Check::fail(name, words::WEBHOOK_TEST_FAILED.fill(lang, &[("e", &e)]));
        }
    };
    let status = test.status_code.to_string();
    if test.success {
        let args = [at[0], at[1], ("status", &status)];
        return Check::pass(name, words::WEBHOOK_OK.fill(lang, &args));
    }
    let answer = if test.status_code > 0 {
        words::ANSWER_HTTP.fill(lang, &[("status", &status)])
    } else {
        words::ANSWER_NONE.fill(lang, &[("reason", &test.reason)])
    };
    let fix = fix(test.status_code).in_(lang);
    let args = [
        at[0],
        at[1],
        ("answer", &answer),
        ("detail", &test.detail),
        ("fix", fix),
    ];
    Check::fail(name, words::WEBHOOK_FAIL.fill(lang, &args))
}

/// What to do about a failed test webhook, by the status LINE got.
fn fix(status: i32) -> &'static Said {
    match status {
        i32::MIN..=0 => &words::FIX_UNREACHABLE,
        401 | 403 => &words::FIX_SIGNATURE,
        404 => &words::FIX_PATH,
        500..=599 => &words::FIX_SERVER,
        _ => &words::FIX_JOURNAL,
    }
}

/// Whether the URL is the board's own path (a tunnel) or the relay's.
fn route(endpoint: &str) -> &'static Said {
    if endpoint.trim_end_matches('/').ends_with("/line/webhook") {
        &words::ROUTE_STRAIGHT
    } else {
        &words::ROUTE_RELAY
    }
}

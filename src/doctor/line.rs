//! The LINE checks: the channel access token works, and LINE's webhooks
//! reach this board (straight, or through the relay).

use super::{host_of, Check};
use crate::config::Config;
use crate::line::client::LineClient;
use crate::line::error::LineError;

/// The channel access token works: `GET /v2/bot/info`. Returns the client
/// for the webhook check when it does.
pub(super) async fn line(
    c: &Config,
    dates: &mut Vec<(&'static str, jiff::Timestamp)>,
) -> (Check, Option<LineClient>) {
    let name = "LINE";
    let client = match crate::daemon::line_client(c) {
        Ok(client) => client,
        Err(e) => {
            return (
                Check::fail(name, format!("cannot build the client: {e:#}")),
                None,
            )
        }
    };
    if let Some(t) = super::server_date(&c.line.api_base, c.line.timeout).await {
        dates.push(("LINE", t));
    }
    match client.bot_info().await {
        Ok(info) => {
            let text = |k: &str| info.get(k).and_then(|v| v.as_str()).unwrap_or("?");
            let check = Check::pass(
                name,
                format!(
                    "token accepted by {} — bot {:?} ({})",
                    c.line.api_base,
                    text("displayName"),
                    text("basicId")
                ),
            );
            (check, Some(client))
        }
        Err(e) => (Check::fail(name, why(&c.line.api_base, &e)), None),
    }
}

/// A failed LINE call in plain words, with the fix that fits its cause.
fn why(base: &str, e: &LineError) -> String {
    let host = host_of(base);
    match e {
        LineError::Retryable {
            status: None,
            message,
        } => format!("cannot connect to {host}: {message} — check the network or proxy (this board must reach {base})"),
        LineError::Retryable {
            status: Some(s), ..
        } => format!("{host} answered HTTP {s}: LINE is busy or down — try again in a few minutes"),
        LineError::Unauthorized { .. } => format!(
            "{host} refused the channel access token — check it (or the channel ID and secret) in the LINE Developers console"
        ),
        other => format!("GET /v2/bot/info at {host}: {other}"),
    }
}

/// LINE → (relay →) board: the webhook URL set in the console, "Use
/// webhook", and a test webhook sent by LINE now.
pub(super) async fn webhook(client: &LineClient) -> Check {
    let name = "LINE webhook";
    let set = match client.webhook_endpoint().await {
        Ok(set) => set,
        Err(e) => return Check::fail(name, format!("cannot read the webhook URL: {e}")),
    };
    if set.endpoint.is_empty() {
        return Check::fail(
            name,
            "no webhook URL is set — LINE Developers console → Messaging API → Webhook URL: https://<your tunnel>/line/webhook (or the relay's URL)",
        );
    }
    let route = route(&set.endpoint);
    if !set.active {
        return Check::fail(
            name,
            format!("{} ({route}) is set but \"Use webhook\" is off — turn it on in the console (Messaging API → Webhook settings)", set.endpoint),
        );
    }
    let test = match client.webhook_test().await {
        Ok(t) => t,
        Err(e) => return Check::fail(name, format!("LINE could not run its webhook test: {e}")),
    };
    if test.success {
        return Check::pass(
            name,
            format!(
                "LINE sent a test webhook to {} ({route}) and got HTTP {}: LINE → board works",
                set.endpoint, test.status_code
            ),
        );
    }
    let fix = match test.status_code {
        i32::MIN..=0 => "LINE cannot reach that URL — is the tunnel (or the relay) up, and the service running?",
        401 | 403 => "the signature was refused — line.channel_secret on the board must be this channel's (and the relay's path and token must match)",
        404 => "nothing answers at that path — the board's path is /line/webhook",
        500..=599 => "the relay or the board failed — see `journalctl -u kintone-line-gateway` and the relay's logs",
        _ => "see `journalctl -u kintone-line-gateway` on the board",
    };
    Check::fail(
        name,
        format!(
            "LINE sent a test webhook to {} ({route}): {} {} ({}) — {fix}",
            set.endpoint,
            if test.status_code > 0 {
                "HTTP"
            } else {
                "no answer,"
            },
            if test.status_code > 0 {
                test.status_code.to_string()
            } else {
                test.reason.clone()
            },
            test.detail
        ),
    )
}

/// Whether the URL is the board's own path (a tunnel) or the relay's.
fn route(endpoint: &str) -> &'static str {
    if endpoint.trim_end_matches('/').ends_with("/line/webhook") {
        "straight to the board"
    } else {
        "through the relay"
    }
}

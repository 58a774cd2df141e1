//! The LINE check: the channel access token works.

use super::{server_date, Check};
use crate::config::Config;

/// The channel access token works: `GET /v2/bot/info`.
pub(super) async fn line(c: &Config, dates: &mut Vec<(&'static str, jiff::Timestamp)>) -> Check {
    let name = "LINE";
    let client = match crate::daemon::line_client(c) {
        Ok(client) => client,
        Err(e) => return Check::fail(name, format!("cannot build the client: {e:#}")),
    };
    if let Some(t) = server_date(&c.line.api_base, c.line.timeout).await {
        dates.push(("LINE", t));
    }
    match client.bot_info().await {
        Ok(info) => {
            let text = |k: &str| info.get(k).and_then(|v| v.as_str()).unwrap_or("?");
            Check::pass(
                name,
                format!(
                    "token accepted by {} — bot {:?} ({})",
                    c.line.api_base,
                    text("displayName"),
                    text("basicId")
                ),
            )
        }
        Err(e) => Check::fail(
            name,
            format!(
                "GET /v2/bot/info at {}: {e} — check the channel access token (or channel ID and secret) in the LINE Developers console, and that {} is reachable",
                c.line.api_base, c.line.api_base
            ),
        ),
    }
}

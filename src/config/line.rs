//! The `[line]` section: the channel's secret and token, the reply deadline
//! and what to do once it has passed.

use std::time::Duration;

use toml::Table;

use super::reader::Reader;
use super::section_words;
use super::words;
use super::{check_base_url, DEFAULT_LINE_API};
use crate::secret::{Rotation, Secret};

/// How to get a channel access token.
#[derive(Debug, Clone)]
pub enum TokenConfig {
    /// A long-lived token issued in the LINE console.
    LongLived(Secret),
    /// Stateless 15-minute tokens issued with the channel ID and secret.
    Stateless { channel_id: String },
}

/// What to do when the reply deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Log and count only (free).
    None,
    /// A paid push to the same user.
    Push,
}

#[derive(Debug, Clone)]
pub struct LineConfig {
    pub api_base: String,
    /// The HMAC key of webhook signatures; during a rotation `[new, old]`,
    /// and a webhook signed with either is accepted.
    pub channel_secret: Rotation,
    pub token: TokenConfig,
    pub reply_deadline: Duration,
    pub deadline_fallback: Fallback,
    /// After an early "Received — recording…" Reply, also confirm a
    /// success by a (paid) push. Refusals and failures are always told.
    pub confirm_late_success: bool,
    pub timeout: Duration,
}

pub(super) fn read_line(r: &mut Reader, t: &Table) -> Option<LineConfig> {
    let p = "line";
    r.unknown_keys(
        t,
        p,
        &[
            "api_base",
            "channel_secret",
            "access_token",
            "channel_id",
            "reply_deadline",
            "deadline_fallback",
            "confirm_late_success",
            "timeout",
        ],
    );
    let api_base = r
        .opt_str(t, p, "api_base")
        .unwrap_or_else(|| DEFAULT_LINE_API.into());
    check_base_url(r, "line.api_base", &api_base);
    let channel_secret = r.rotation(t, p, "channel_secret", true);
    let token = read_token(r, t);
    let reply_deadline = r
        .opt_duration(t, p, "reply_deadline")
        .unwrap_or(Duration::from_secs(30));
    if reply_deadline.is_zero() || reply_deadline > Duration::from_secs(60) {
        r.said("line.reply_deadline", &section_words::REPLY_DEADLINE, &[]);
    }
    let deadline_fallback = read_fallback(r, t);
    let confirm_late_success = r.opt_bool(t, p, "confirm_late_success").unwrap_or(false);
    let timeout = r
        .opt_duration(t, p, "timeout")
        .unwrap_or(Duration::from_secs(10));
    Some(LineConfig {
        api_base: api_base.trim_end_matches('/').to_owned(),
        channel_secret: channel_secret?,
        token: token?,
        reply_deadline,
        deadline_fallback,
        confirm_late_success,
        timeout,
    })
}

/// `access_token` (long-lived) or `channel_id` (stateless), exactly one.
fn read_token(r: &mut Reader, t: &Table) -> Option<TokenConfig> {
    match (
        t.contains_key("access_token"),
        r.opt_str(t, "line", "channel_id"),
    ) {
        (true, None) => r
            .secret(t, "line", "access_token", true)
            .map(TokenConfig::LongLived),
        (false, Some(id)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            Some(TokenConfig::Stateless { channel_id: id })
        }
        (false, Some(_)) => {
            r.said("line.channel_id", &section_words::CHANNEL_ID, &[]);
            None
        }
        (true, Some(_)) => {
            r.said("line", &section_words::TOKEN_BOTH, &[]);
            None
        }
        (false, None) => {
            r.said("line.access_token", &section_words::TOKEN_MISSING, &[]);
            None
        }
    }
}

fn read_fallback(r: &mut Reader, t: &Table) -> Fallback {
    match r.opt_str(t, "line", "deadline_fallback").as_deref() {
        None | Some("none") => Fallback::None,
        Some("push") => Fallback::Push,
        Some(other) => {
            let value = format!("{other:?}");
            let choices = words::choices(r.language, &["none", "push"]);
            let args = [("value", value.as_str()), ("choices", &choices)];
            r.said("line.deadline_fallback", &words::USE_ONE_OF, &args);
            Fallback::None
        }
    }
}

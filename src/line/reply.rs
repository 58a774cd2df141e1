//! Reply, the free answer to a user's own action — and the type that keeps it
//! apart from Push.
//!
//! A [`ReplyToken`] is neither `Clone` nor `Copy`, has no public constructor
//! (only the webhook parser in [`super::events`] issues one), remembers when
//! its clock started, and is consumed by value by [`send`], the only function
//! that calls the Reply API. Code that handles kintone changes never holds a
//! token, so it can only reach the push path. `tests/ui/` proves that cloning,
//! reusing or forging a token does not compile.

use std::fmt;
use std::time::Duration;

use super::client::LineClient;
use super::error::LineError;
use super::message::Message;

/// LINE's Verify button and some test tools send these dummy tokens.
const DUMMY_TOKENS: [&str; 2] = [
    "00000000000000000000000000000000",
    "ffffffffffffffffffffffffffffffff",
];

/// A single-use reply token from a verified event.
pub struct ReplyToken {
    token: String,
    started_at_ms: i64,
}

impl ReplyToken {
    /// Issued by the webhook parser only. The deadline counts from the earlier
    /// of the event's timestamp and the moment the gateway received it, so a
    /// late redelivery or a fast local clock cannot stretch it.
    pub(in crate::line) fn issue(
        token: &str,
        event_timestamp_ms: i64,
        received_at_ms: i64,
    ) -> Option<ReplyToken> {
        if token.is_empty() || DUMMY_TOKENS.contains(&token) {
            return None;
        }
        Some(ReplyToken {
            token: token.to_owned(),
            started_at_ms: event_timestamp_ms.min(received_at_ms),
        })
    }

    /// When the token's clock started (ms since the epoch).
    pub fn started_at_ms(&self) -> i64 {
        self.started_at_ms
    }

    /// Time left before `deadline` runs out, or `None` if it has.
    pub fn remaining(&self, now_ms: i64, deadline: Duration) -> Option<Duration> {
        let deadline_ms = i64::try_from(deadline.as_millis()).unwrap_or(i64::MAX);
        let left = self.started_at_ms.saturating_add(deadline_ms) - now_ms;
        (left > 0).then(|| Duration::from_millis(left.unsigned_abs()))
    }
}

impl fmt::Debug for ReplyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyToken")
            .field("token", &"[redacted]")
            .field("started_at_ms", &self.started_at_ms)
            .finish()
    }
}

/// Why a reply was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// The deadline had passed: the API was not called.
    #[error("reply deadline passed {late_ms} ms ago; Reply API not called")]
    Expired { late_ms: i64 },
    #[error(transparent)]
    Line(#[from] LineError),
}

/// Sends the reply, consuming the token. Does not call the API at all once
/// `deadline` has passed (an expired token can only earn a 400).
///
/// # Errors
/// [`ReplyError::Expired`] without a call; [`ReplyError::Line`] when LINE
/// refused (e.g. `InvalidReplyToken` for a token already used).
pub async fn send(
    client: &LineClient,
    token: ReplyToken,
    messages: &[Message],
    deadline: Duration,
    now_ms: i64,
) -> Result<(), ReplyError> {
    if token.remaining(now_ms, deadline).is_none() {
        let deadline_ms = i64::try_from(deadline.as_millis()).unwrap_or(i64::MAX);
        return Err(ReplyError::Expired {
            late_ms: now_ms - token.started_at_ms.saturating_add(deadline_ms),
        });
    }
    client.reply_raw(&token.token, messages, false).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_counts_from_earlier_time() {
        let t = ReplyToken::issue("abc", 10_000, 9_000).unwrap();
        assert_eq!(t.started_at_ms(), 9_000);
        let d = Duration::from_secs(30);
        assert_eq!(t.remaining(9_000, d), Some(Duration::from_secs(30)));
        assert_eq!(t.remaining(38_999, d), Some(Duration::from_millis(1)));
        assert_eq!(t.remaining(39_000, d), None);
    }

    #[test]
    fn dummy_and_empty_tokens_are_not_tokens() {
        assert!(ReplyToken::issue("", 0, 0).is_none());
        assert!(ReplyToken::issue(DUMMY_TOKENS[0], 0, 0).is_none());
    }

    #[test]
    fn debug_hides_the_token() {
        let t = ReplyToken::issue("secret-token", 1, 2).unwrap();
        assert!(!format!("{t:?}").contains("secret-token"));
    }
}

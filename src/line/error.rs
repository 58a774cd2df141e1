//! What went wrong calling LINE, phrased as what the caller must do.
//! Never contains a token or the channel secret: LINE's (or a proxy's) text
//! enters an error only through [`LineError::from_status`], which scrubs it
//! with the client's [`Redactor`].

use crate::secret::Redactor;

/// Upstream text kept in an error at most (characters).
const MESSAGE_MAX: usize = 200;

/// A failed Messaging API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// 5xx, timeouts, connection errors, and the rate-limit 429: retry with
    /// backoff (and the same retry key).
    #[error("{}", unavailable(*status, message))]
    Retryable {
        status: Option<u16>,
        message: String,
    },
    /// 429 "You have reached your monthly limit.": do not retry until the quota resets.
    #[error("LINE monthly message limit reached")]
    QuotaExhausted,
    /// 400 "Invalid reply token": used or expired.
    #[error("LINE refused the reply token (used or expired)")]
    InvalidReplyToken,
    /// 401: the channel access token is not valid.
    #[error("LINE refused the access token: {message}")]
    Unauthorized { message: String },
    /// Any other 4xx: the request itself is wrong; do not retry.
    #[error("LINE rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// An answer we could not read.
    #[error("unexpected answer from LINE: {0}")]
    Protocol(String),
}

/// No answer (`status` none: the words say why) or a 5xx/429.
fn unavailable(status: Option<u16>, message: &str) -> String {
    match status {
        None => format!("no answer from LINE: {message}"),
        Some(s) => format!("LINE temporarily unavailable (HTTP {s}): {message}"),
    }
}

impl LineError {
    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, LineError::Retryable { .. })
    }

    /// Classifies a non-2xx answer by status (and, for 429 and reply 400s,
    /// LINE's documented message). The message kept is scrubbed by `redactor`
    /// (the secrets the request carried) before it is cut short, so no part
    /// of a token survives.
    pub fn from_status(status: u16, body: &str, redactor: &Redactor) -> LineError {
        let raw = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| body.to_owned());
        let message: String = redactor.redact(&raw).chars().take(MESSAGE_MAX).collect();
        match status {
            429 if message.contains("monthly limit") => LineError::QuotaExhausted,
            429 | 500..=599 => LineError::Retryable {
                status: Some(status),
                message,
            },
            400 if message == "Invalid reply token" => LineError::InvalidReplyToken,
            401 => LineError::Unauthorized { message },
            _ => LineError::Rejected { status, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn from_status(status: u16, body: &str) -> LineError {
        LineError::from_status(status, body, &Redactor::new())
    }

    #[test]
    fn classifies_like_the_docs() {
        assert_eq!(
            from_status(429, r#"{"message":"You have reached your monthly limit."}"#),
            LineError::QuotaExhausted
        );
        assert!(from_status(
            429,
            r#"{"message":"The API rate limit has been exceeded. Try again later."}"#
        )
        .is_retryable());
        assert!(from_status(503, "<html>").is_retryable());
        assert_eq!(
            from_status(400, r#"{"message":"Invalid reply token"}"#),
            LineError::InvalidReplyToken
        );
        assert!(matches!(
            from_status(400, r#"{"message":"bad"}"#),
            LineError::Rejected { status: 400, .. }
        ));
        assert!(matches!(
            from_status(401, "{}"),
            LineError::Unauthorized { .. }
        ));
    }

    #[test]
    fn an_echoed_token_is_not_kept() {
        let token = "fJ8k2+Hq/Zr0wLmN4pXa9bYcD1eF3gH5iJ6kL7mN8oP9qR0sT1uV2wX3yZ4mno";
        let r = Redactor::new().with(&Secret::new(token));
        // A proxy's page, cut at 200 characters today: the cut must not
        // leave the token's first half behind.
        let page = format!("{}authorization: Bearer {token}", "x".repeat(170));
        let json = format!(r#"{{"message":"bad header Authorization: Bearer {token}"}}"#);
        for (status, body) in [(502, page.as_str()), (401, &json), (400, &json)] {
            let e = LineError::from_status(status, body, &r);
            let text = format!("{e} {e:?}");
            assert!(!text.contains(&token[..12]), "{text}");
        }
    }
}

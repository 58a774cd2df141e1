//! What went wrong calling LINE, phrased as what the caller must do.
//! Never contains a token or the channel secret.

/// A failed Messaging API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// 5xx, timeouts, connection errors, and the rate-limit 429: retry with
    /// backoff (and the same retry key).
    #[error("LINE temporarily unavailable ({status:?}): {message}")]
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

impl LineError {
    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, LineError::Retryable { .. })
    }

    /// Classifies a non-2xx answer by status (and, for 429 and reply 400s,
    /// LINE's documented message).
    pub fn from_status(status: u16, body: &str) -> LineError {
        let message = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| body.chars().take(200).collect());
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

    #[test]
    fn classifies_like_the_docs() {
        assert_eq!(
            LineError::from_status(429, r#"{"message":"You have reached your monthly limit."}"#),
            LineError::QuotaExhausted
        );
        assert!(LineError::from_status(
            429,
            r#"{"message":"The API rate limit has been exceeded. Try again later."}"#
        )
        .is_retryable());
        assert!(LineError::from_status(503, "<html>").is_retryable());
        assert_eq!(
            LineError::from_status(400, r#"{"message":"Invalid reply token"}"#),
            LineError::InvalidReplyToken
        );
        assert!(matches!(
            LineError::from_status(400, r#"{"message":"bad"}"#),
            LineError::Rejected { status: 400, .. }
        ));
        assert!(matches!(
            LineError::from_status(401, "{}"),
            LineError::Unauthorized { .. }
        ));
    }
}

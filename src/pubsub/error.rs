//! Pub/Sub failures, phrased as what the caller must do. Never a token, and
//! no transport error type.

/// A failed Pub/Sub call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PubsubError {
    /// Timeouts, refused connections, 429 and 5xx: try again later.
    #[error("{what} is unavailable: {detail}")]
    Unavailable { what: &'static str, detail: String },
    /// 401/403: the credentials are wrong or lack the subscriber role.
    #[error("{what} refused the credentials (HTTP {status}): check the service-account key and that it may subscribe to this subscription")]
    Denied { what: &'static str, status: u16 },
    /// 404: the project or subscription does not exist.
    #[error("{what} does not exist (HTTP 404): check [ingress.pubsub] project and subscription")]
    NotFound { what: &'static str },
    /// Another 4xx: the request is wrong; retrying will not help.
    #[error("{what} rejected the request (HTTP {status})")]
    Rejected { what: &'static str, status: u16 },
    /// The key file cannot be used.
    #[error("the service-account key is unusable: {0}")]
    Key(String),
    /// An answer we could not read.
    #[error("unexpected answer from Pub/Sub: {0}")]
    Protocol(String),
    /// An answer longer than [`super::ANSWER_LIMIT`]: not read further.
    #[error("{what} answered with more than {limit} bytes; not read")]
    TooLarge { what: &'static str, limit: usize },
}

impl PubsubError {
    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, PubsubError::Unavailable { .. })
    }

    pub(super) fn unreachable(what: &'static str, e: reqwest::Error) -> PubsubError {
        let detail = if e.is_timeout() {
            "timed out".to_owned()
        } else if e.is_connect() {
            "cannot connect".to_owned()
        } else {
            e.without_url().to_string()
        };
        PubsubError::Unavailable { what, detail }
    }

    pub(super) fn from_status(what: &'static str, status: u16) -> PubsubError {
        match status {
            401 | 403 => PubsubError::Denied { what, status },
            404 => PubsubError::NotFound { what },
            408 | 429 | 500..=599 => PubsubError::Unavailable {
                what,
                detail: format!("HTTP {status}"),
            },
            _ => PubsubError::Rejected { what, status },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_say_what_the_caller_must_do() {
        for s in [408, 429, 500, 503] {
            assert!(PubsubError::from_status("Pub/Sub", s).is_retryable(), "{s}");
        }
        for s in [400, 401, 403, 404] {
            assert!(
                !PubsubError::from_status("Pub/Sub", s).is_retryable(),
                "{s}"
            );
        }
        assert!(PubsubError::from_status("Pub/Sub", 404)
            .to_string()
            .contains("[ingress.pubsub] project and subscription"));
    }
}

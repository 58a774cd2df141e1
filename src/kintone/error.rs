//! kintone failures, phrased as what the caller must do. Never contains a
//! token: kintone's (or a proxy's) message enters an error only through
//! [`KintoneError::from_status`], which scrubs it with the client's
//! [`Redactor`]. The `code` (`GAIA_…`, `CB_…`) stays whole: it is what an
//! admin looks up.

use crate::secret::Redactor;

/// Upstream text kept in an error at most (characters).
const MESSAGE_MAX: usize = 200;

/// A failed kintone call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KintoneError {
    /// 429, database lock (`GAIA_DA02`, `GAIA_RE18`), 5xx (not 520), timeouts.
    #[error("{}", unavailable(*status, code, message))]
    Retryable {
        status: Option<u16>,
        code: String,
        message: String,
    },
    /// Stale revision (409, `GAIA_CO…`): re-read and try again.
    #[error("kintone revision conflict ({code}): {message}")]
    Conflict { code: String, message: String },
    /// 401/403: the token or basic auth was refused.
    #[error("kintone refused the credentials ({status} {code}): {message}")]
    Unauthorized {
        status: u16,
        code: String,
        message: String,
    },
    /// The record does not exist (`GAIA_RE01`).
    #[error("kintone record not found ({code}): {message}")]
    NotFound { code: String, message: String },
    /// 520 validation and other 4xx: never retry.
    #[error("kintone rejected the request ({status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// An answer we could not read.
    #[error("unexpected answer from kintone: {0}")]
    Protocol(String),
}

/// No answer (`status` none: the words say why) or a 429/5xx/lock.
fn unavailable(status: Option<u16>, code: &str, message: &str) -> String {
    match status {
        None => format!("no answer from kintone: {message}"),
        Some(s) => format!("kintone temporarily unavailable (HTTP {s} {code}): {message}"),
    }
}

impl KintoneError {
    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, KintoneError::Retryable { .. })
    }

    /// Classifies a non-2xx answer (JSON `{id, code, message}` or HTML).
    /// The message is scrubbed by `redactor` (the secrets the request
    /// carried) and cut short; a non-JSON body is not kept at all.
    pub fn from_status(status: u16, body: &str, redactor: &Redactor) -> KintoneError {
        let v: Option<serde_json::Value> = serde_json::from_str(body).ok();
        let field = |k: &str| {
            v.as_ref()
                .and_then(|v| v.get(k))
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let (code, mut message) = (field("code"), field("message"));
        if v.is_none() {
            message = format!("non-JSON answer ({} bytes)", body.len());
        }
        let code: String = redactor.redact(&code).chars().take(MESSAGE_MAX).collect();
        let message: String = redactor
            .redact(&message)
            .chars()
            .take(MESSAGE_MAX)
            .collect();
        match status {
            409 => KintoneError::Conflict { code, message },
            _ if code.starts_with("GAIA_CO") => KintoneError::Conflict { code, message },
            _ if code == "GAIA_DA02" || code == "GAIA_RE18" => KintoneError::Retryable {
                status: Some(status),
                code,
                message,
            },
            _ if code == "GAIA_RE01" => KintoneError::NotFound { code, message },
            429 => KintoneError::Retryable {
                status: Some(status),
                code,
                message,
            },
            520 => KintoneError::Rejected {
                status,
                code,
                message,
            },
            500..=599 => KintoneError::Retryable {
                status: Some(status),
                code,
                message,
            },
            401 | 403 => KintoneError::Unauthorized {
                status,
                code,
                message,
            },
            404 => KintoneError::NotFound { code, message },
            _ => KintoneError::Rejected {
                status,
                code,
                message,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn classifies_by_status_and_code() {
        let e = |s, b: &str| KintoneError::from_status(s, b, &Redactor::new());
        assert!(matches!(
            e(409, r#"{"code":"GAIA_CO02","message":"m"}"#),
            KintoneError::Conflict { .. }
        ));
        assert!(e(429, "{}").is_retryable());
        assert!(e(503, "<html>").is_retryable());
        assert!(e(500, r#"{"code":"GAIA_DA02","message":"lock"}"#).is_retryable());
        assert!(!e(520, r#"{"code":"CB_VA01","message":"bad"}"#).is_retryable());
        assert!(matches!(
            e(404, r#"{"code":"GAIA_RE01","message":"gone"}"#),
            KintoneError::NotFound { .. }
        ));
        assert!(matches!(
            e(401, r#"{"code":"GAIA_IA02"}"#),
            KintoneError::Unauthorized { .. }
        ));
    }

    #[test]
    fn an_echoed_token_is_not_kept_and_the_code_is() {
        let token = "Xk9pQ2vR7sT4uW1yZ3aB5cD8eF0gH6iJ2kL4mN7o";
        let r = Redactor::new().with(&Secret::new(token));
        let body = format!(
            r#"{{"code":"GAIA_IA02","message":"token {token} refused; headers: X-Cybozu-API-Token: {token}"}}"#
        );
        let e = KintoneError::from_status(401, &body, &r);
        let text = format!("{e} {e:?}");
        assert!(!text.contains(&token[..12]), "{text}");
        assert!(text.contains("GAIA_IA02"), "{text}");
    }
}

//! Channel access tokens: a long-lived one from the console, or stateless
//! 15-minute tokens issued with the channel ID and secret and refreshed before
//! they expire (one issuance at a time, however many callers wait).

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::LineError;
use crate::secret::{Redactor, Secret};

/// Refresh a stateless token this long before it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(120);

/// Where bearer tokens come from.
#[derive(Debug)]
pub enum AccessTokenProvider {
    /// Reissued in the console, it is swapped in by a reload.
    LongLived(std::sync::RwLock<Secret>),
    Stateless {
        http: reqwest::Client,
        url: String,
        channel_id: String,
        channel_secret: Secret,
        cached: Mutex<Option<(Secret, Instant)>>,
    },
}

impl AccessTokenProvider {
    pub fn long_lived(token: Secret) -> Self {
        AccessTokenProvider::LongLived(std::sync::RwLock::new(token))
    }

    /// Swaps in a reissued long-lived token; `false` for stateless tokens
    /// (issued by the gateway itself: nothing to swap).
    pub fn replace_long_lived(&self, token: Secret) -> bool {
        match self {
            AccessTokenProvider::LongLived(t) => {
                *t.write().unwrap_or_else(std::sync::PoisonError::into_inner) = token;
                true
            }
            AccessTokenProvider::Stateless { .. } => false,
        }
    }

    fn long_lived_now(t: &std::sync::RwLock<Secret>) -> Secret {
        t.read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stateless tokens from `POST {api_base}/oauth2/v3/token`.
    ///
    /// # Errors
    /// The HTTP client could not be built.
    pub fn stateless(
        api_base: &str,
        channel_id: String,
        channel_secret: Secret,
        timeout: Duration,
    ) -> Result<Self, LineError> {
        let http = crate::outbound::client(timeout)
            .map_err(|e| LineError::Protocol(format!("HTTP client: {e}")))?;
        Ok(AccessTokenProvider::Stateless {
            http,
            url: format!("{}/oauth2/v3/token", api_base.trim_end_matches('/')),
            channel_id,
            channel_secret,
            cached: Mutex::new(None),
        })
    }

    /// A bearer token valid for at least the refresh margin.
    ///
    /// # Errors
    /// Issuing a stateless token failed.
    pub async fn bearer(&self) -> Result<Secret, LineError> {
        let AccessTokenProvider::Stateless {
            http,
            url,
            channel_id,
            channel_secret,
            cached,
        } = self
        else {
            let AccessTokenProvider::LongLived(t) = self else {
                unreachable!()
            };
            return Ok(Self::long_lived_now(t));
        };
        let mut slot = cached.lock().await;
        if let Some((t, exp)) = slot.as_ref() {
            if Instant::now() + REFRESH_MARGIN < *exp {
                return Ok(t.clone());
            }
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", channel_id.as_str()),
            ("client_secret", channel_secret.expose()),
        ];
        let resp = http
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(|e| LineError::Retryable {
                status: None,
                message: format!(
                    "token endpoint: {}",
                    self.redactor().redact(&e.without_url().to_string())
                ),
            })?;
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        if status != 200 {
            return Err(LineError::from_status(status, &body, &self.redactor()));
        }
        let v: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| LineError::Protocol(e.to_string()))?;
        let token = v
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| LineError::Protocol("token answer without access_token".into()))?;
        let secs = v
            .get("expires_in")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(900);
        let token = Secret::new(token);
        *slot = Some((token.clone(), Instant::now() + Duration::from_secs(secs)));
        Ok(token)
    }

    /// A redactor for LINE's answers that knows this provider's secrets (the
    /// channel secret for stateless tokens; the caller adds the bearer).
    pub fn redactor(&self) -> Redactor {
        match self {
            AccessTokenProvider::LongLived(t) => Redactor::new().with(&Self::long_lived_now(t)),
            AccessTokenProvider::Stateless { channel_secret, .. } => {
                Redactor::new().with(channel_secret)
            }
        }
    }

    /// Forgets a cached stateless token (after a 401).
    pub async fn invalidate(&self) {
        if let AccessTokenProvider::Stateless { cached, .. } = self {
            *cached.lock().await = None;
        }
    }
}

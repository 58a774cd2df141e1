//! The Messaging API client: one attempt per call, classified into
//! [`LineError`]; callers own retries and persistence. Reply is reachable
//! only from inside `line` (see [`super::reply`]), so code that handles
//! kintone changes can only push.

mod webhook;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::error::LineError;
use super::message::Message;
use super::token::AccessTokenProvider;
use crate::domain::{LineGroupId, LineUserId, PushTarget};
use crate::secret::Redactor;
pub use webhook::{WebhookEndpoint, WebhookTest};

/// LINE's multicast limit.
pub const MULTICAST_MAX: usize = 500;

/// A cheap, cloneable Messaging API client.
#[derive(Debug, Clone)]
pub struct LineClient {
    http: reqwest::Client,
    base: Arc<str>,
    token: Arc<AccessTokenProvider>,
    /// Requests in flight at once: a burst of replies reuses a bounded set of
    /// connections (and their buffers) instead of opening one per reply.
    in_flight: Arc<tokio::sync::Semaphore>,
    /// What was last seen of LINE (for `status`).
    contact: Arc<crate::metrics::Contact>,
}

/// Requests in flight to the LINE API at most. At a few milliseconds per
/// request this is thousands a second, LINE's own limit for Reply and Push
/// (2,000 requests/s per channel).
pub const MAX_IN_FLIGHT: usize = 32;

/// An answer as read, with the redactor that knows the secrets its request
/// carried: an error is built from it only through [`Answered::error`].
struct Answered {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
    redactor: Redactor,
}

impl Answered {
    /// The classified error, with the secrets scrubbed from LINE's text.
    fn error(&self) -> LineError {
        LineError::from_status(self.status, &self.body, &self.redactor)
    }
}

/// A push that LINE took (or had already taken under this retry key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Accepted { request_id: Option<String> },
    AlreadyAccepted { accepted_request_id: Option<String> },
}

impl Delivery {
    pub fn request_id(&self) -> Option<String> {
        match self {
            Delivery::Accepted { request_id } => request_id.clone(),
            Delivery::AlreadyAccepted {
                accepted_request_id,
            } => accepted_request_id.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub display_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSummary {
    pub group_name: String,
}

/// Monthly quota: `limit` is `None` when the plan has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: Option<u64>,
    pub used: u64,
}

impl LineClient {
    /// # Errors
    /// The HTTP client could not be built.
    pub fn new(
        api_base: &str,
        token: AccessTokenProvider,
        timeout: Duration,
    ) -> Result<Self, LineError> {
        let http = crate::outbound::client(timeout)
            .map_err(|e| LineError::Protocol(format!("HTTP client: {e}")))?;
        Ok(LineClient {
            http,
            base: api_base.trim_end_matches('/').into(),
            token: Arc::new(token),
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            contact: Arc::default(),
        })
    }

    /// The token source every clone shares (a reload swaps a reissued
    /// long-lived token in it).
    pub fn token_provider(&self) -> Arc<AccessTokenProvider> {
        self.token.clone()
    }

    /// Records what it sees of LINE into `contact` (the gateway's metrics).
    #[must_use]
    pub fn with_contact(mut self, contact: Arc<crate::metrics::Contact>) -> Self {
        self.contact = contact;
        self
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        retry_key: Option<Uuid>,
    ) -> Result<Answered, LineError> {
        for attempt in 0..2 {
            let bearer = self.token.bearer().await?;
            let redactor = self.token.redactor().with(&bearer);
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(bearer.expose());
            if let Some(b) = body {
                req = req.json(b);
            }
            if let Some(k) = retry_key {
                req = req.header("X-Line-Retry-Key", k.to_string());
            }
            // Held until the answer is read; the semaphore is never closed.
            let _permit = self.in_flight.acquire().await;
            let resp = match req.send().await {
                Ok(resp) => resp,
                Err(e) => {
                    let why = redactor.redact(&crate::outbound::failure(&e));
                    self.contact.failed(crate::clock::now_ms(), &why);
                    return Err(LineError::Retryable {
                        status: None,
                        message: why,
                    });
                }
            };
            let status = resp.status().as_u16();
            if status < 500 {
                self.contact.answered(crate::clock::now_ms());
            } else {
                self.contact
                    .failed(crate::clock::now_ms(), &format!("HTTP {status}"));
            }
            let headers = resp.headers().clone();
            let text = resp.text().await.unwrap_or_default();
            if status == 401
                && attempt == 0
                && matches!(*self.token, AccessTokenProvider::Stateless { .. })
            {
                self.token.invalidate().await;
                continue;
            }
            return Ok(Answered {
                status,
                headers,
                body: text,
                redactor,
            });
        }
        Err(LineError::Unauthorized {
            message: "token refused after refresh".into(),
        })
    }

    fn header(h: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
        h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// `POST /v2/bot/message/reply`. Only `inbound::reply` may call this
    /// (crate-private; `tests/it/architecture.rs` checks who names it).
    pub(crate) async fn reply_raw(
        &self,
        reply_token: &str,
        messages: &[Message],
        notification_disabled: bool,
    ) -> Result<(), LineError> {
        let body = json!({ "replyToken": reply_token, "messages": messages, "notificationDisabled": notification_disabled });
        let answer = self
            .call(
                reqwest::Method::POST,
                "/v2/bot/message/reply",
                Some(&body),
                None,
            )
            .await?;
        if answer.status == 200 {
            Ok(())
        } else {
            Err(answer.error())
        }
    }

    async fn send(
        &self,
        path: &str,
        body: serde_json::Value,
        key: Uuid,
    ) -> Result<Delivery, LineError> {
        let answer = self
            .call(reqwest::Method::POST, path, Some(&body), Some(key))
            .await?;
        let headers = &answer.headers;
        match answer.status {
            200 => Ok(Delivery::Accepted {
                request_id: Self::header(headers, "x-line-request-id"),
            }),
            409 if headers.contains_key("x-line-accepted-request-id") => {
                Ok(Delivery::AlreadyAccepted {
                    accepted_request_id: Self::header(headers, "x-line-accepted-request-id"),
                })
            }
            _ => Err(answer.error()),
        }
    }

    /// `POST /v2/bot/message/push` with an idempotency key.
    ///
    /// # Errors
    /// Classified [`LineError`]; a 409 for an accepted key is success.
    pub async fn push(
        &self,
        to: &PushTarget,
        messages: &[Message],
        retry_key: Uuid,
    ) -> Result<Delivery, LineError> {
        self.push_as(to, messages, retry_key, Sound::Normal).await
    }

    /// [`LineClient::push`], silent (`notificationDisabled`) if `sound` says.
    ///
    /// # Errors
    /// Classified [`LineError`]; a 409 for an accepted key is success.
    pub async fn push_as(
        &self,
        to: &PushTarget,
        messages: &[Message],
        retry_key: Uuid,
        sound: Sound,
    ) -> Result<Delivery, LineError> {
        let body = sound.mark(json!({ "to": to.as_str(), "messages": messages }));
        self.send("/v2/bot/message/push", body, retry_key).await
    }

    /// `POST /v2/bot/message/multicast` (≤ 500 users).
    ///
    /// # Errors
    /// More than 500 users, or a classified [`LineError`].
    pub async fn multicast(
        &self,
        to: &[LineUserId],
        messages: &[Message],
        retry_key: Uuid,
        sound: Sound,
    ) -> Result<Delivery, LineError> {
        if to.len() > MULTICAST_MAX {
            return Err(LineError::Rejected {
                status: 400,
                message: format!(
                    "{} recipients; multicast takes at most {MULTICAST_MAX}",
                    to.len()
                ),
            });
        }
        let ids: Vec<&str> = to.iter().map(LineUserId::as_str).collect();
        let body = sound.mark(json!({ "to": ids, "messages": messages }));
        self.send("/v2/bot/message/multicast", body, retry_key)
            .await
    }

    async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, LineError> {
        let answer = self.call(reqwest::Method::GET, path, None, None).await?;
        if answer.status != 200 {
            return Err(answer.error());
        }
        serde_json::from_str(&answer.body).map_err(|e| LineError::Protocol(e.to_string()))
    }

    /// `GET /v2/bot/profile/{userId}`.
    ///
    /// # Errors
    /// Classified [`LineError`] (404 for users who are not friends).
    pub async fn profile(&self, user: &LineUserId) -> Result<Profile, LineError> {
        self.get(&format!("/v2/bot/profile/{user}")).await
    }

    /// `GET /v2/bot/group/{groupId}/summary`.
    ///
    /// # Errors
    /// Classified [`LineError`].
    pub async fn group_summary(&self, group: &LineGroupId) -> Result<GroupSummary, LineError> {
        self.get(&format!("/v2/bot/group/{group}/summary")).await
    }

    /// The monthly quota and what is used of it.
    ///
    /// # Errors
    /// Classified [`LineError`].
    pub async fn quota(&self) -> Result<Quota, LineError> {
        let q: serde_json::Value = self.get("/v2/bot/message/quota").await?;
        let c: serde_json::Value = self.get("/v2/bot/message/quota/consumption").await?;
        let limit = (q.get("type").and_then(|t| t.as_str()) == Some("limited"))
            .then(|| q.get("value").and_then(serde_json::Value::as_u64))
            .flatten();
        let used = c
            .get("totalUsage")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        Ok(Quota { limit, used })
    }

    /// `GET /v2/bot/info` (used by `doctor` to prove the token works).
    ///
    /// # Errors
    /// Classified [`LineError`].
    pub async fn bot_info(&self) -> Result<serde_json::Value, LineError> {
        self.get("/v2/bot/info").await
    }
}

/// Whether a push rings the recipient's phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sound {
    #[default]
    Normal,
    /// `notificationDisabled: true`: delivered without sound or vibration
    /// (quiet hours).
    Silent,
}

impl Sound {
    /// `body` with `notificationDisabled` when silent (left out otherwise:
    /// LINE's default is false).
    fn mark(self, mut body: serde_json::Value) -> serde_json::Value {
        if self == Sound::Silent {
            body["notificationDisabled"] = serde_json::Value::Bool(true);
        }
        body
    }
}

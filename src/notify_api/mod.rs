//! The LINE Notify–compatible endpoint: `POST /api/notify` and
//! `GET /api/status`, for the scripts, plug-ins and monitoring tools that
//! called `notify-api.line.me` until LINE Notify closed (2025-03-31). They
//! switch by changing the host.
//!
//! A tool presents a configured token (`[notify_api]`, compared in constant
//! time, before the body is read: `http` asks [`ApiIntake::knows`] first);
//! its form body becomes Messaging API messages (`form`), counted against
//! the token's hourly allowance (`limit`), and stored as push requests for
//! the token's recipients (`enqueue`) before the 200 — from there the outbox
//! sends them like every push: retry key, quota guard, dead letters.
//! Answers keep LINE Notify's shapes (`answer`).

pub mod answer;
pub mod enqueue;
pub mod form;
pub mod limit;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::live::Live;
use crate::config::notify_api::ApiToken;
use crate::config::rules::Recipient;
use crate::http::{NotifyApi, Reply};
use crate::secret::Presented;
use crate::store::Store;
use enqueue::{enqueue, Queued};
use limit::Limits;

/// The endpoint's handler; the daemon builds it from `[notify_api]`.
pub struct ApiIntake {
    /// The configured tokens as they are now (a reload swaps them).
    pub tokens: Live<Vec<ApiToken>>,
    pub store: Store,
    /// The outbox's wake-up: a stored message goes out at once.
    pub outbox_wake: Arc<Notify>,
    /// Wall time for the hourly windows.
    pub clock: Clock,
    pub limits: Limits,
}

impl ApiIntake {
    /// The token `bearer` is, compared with every configured one in
    /// constant time (no early exit: timing says nothing of which matched).
    fn token(&self, bearer: Presented<'_>) -> Option<ApiToken> {
        let mut found = None;
        for t in self.tokens.get().iter() {
            if bearer.opens(&t.token) {
                found = Some(t.clone());
            }
        }
        found
    }

    /// `pulled`: the Pub/Sub message id of a call the relay published
    /// (taken in once); `None` for a direct request.
    async fn take(
        &self,
        token: &ApiToken,
        content_type: Option<&str>,
        body: &[u8],
        pulled: Option<&str>,
    ) -> Reply {
        let messages = match form::messages(content_type, body) {
            Ok(m) => m,
            Err(e) => return answer::bad_request(&e.to_string()),
        };
        let messages = match &token.template {
            Some(t) => match form::in_template(messages, t, &token.name) {
                Ok(m) => m,
                Err(e) => return answer::bad_request(&format!("template: {e}")),
            },
            None => messages,
        };
        let allowance = self
            .limits
            .take(&token.name, token.per_hour, self.clock.now_ms());
        if !allowance.allowed {
            tracing::warn!(token = %token.name, "/api/notify: the hour's allowance is used; 429");
            return answer::with_limits(answer::too_many(), allowance);
        }
        let reply = match enqueue(&self.store, &token.to, &messages, pulled).await {
            Ok(Queued::Already) => answer::ok(),
            Ok(Queued::Sent { recipients, .. }) => {
                tracing::info!(token = %token.name, recipients = recipients.len(), "/api/notify message queued");
                self.outbox_wake.notify_one();
                answer::ok()
            }
            Ok(Queued::Nobody) => {
                tracing::warn!(token = %token.name, "/api/notify: no recipient of this token is linked or recorded; nothing sent");
                answer::bad_request(
                    "None of this token's recipients is linked: friend the bot (staff invite) or invite it to the group",
                )
            }
            Err(e) => {
                tracing::error!(token = %token.name, error = %e, "/api/notify: could not store the message");
                answer::failed()
            }
        };
        answer::with_limits(reply, allowance)
    }
}

impl NotifyApi for ApiIntake {
    fn serves(&self) -> bool {
        !self.tokens.get().is_empty()
    }

    fn knows(&self, bearer: Presented<'_>) -> bool {
        self.token(bearer).is_some()
    }

    fn notify<'a>(
        &'a self,
        bearer: Presented<'a>,
        content_type: Option<&'a str>,
        body: Bytes,
        pulled: Option<&'a str>,
    ) -> Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
        Box::pin(async move {
            match self.token(bearer) {
                Some(t) => self.take(&t, content_type, &body, pulled).await,
                None => answer::invalid_token(),
            }
        })
    }

    fn status<'a>(
        &'a self,
        bearer: Presented<'a>,
    ) -> Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
        Box::pin(async move {
            let Some(t) = self.token(bearer) else {
                return answer::invalid_token();
            };
            let group =
                t.to.iter()
                    .any(|r| matches!(r, Recipient::GroupName(_) | Recipient::Group(_)));
            let kind = if group { "GROUP" } else { "USER" };
            let allowance = self.limits.peek(&t.name, t.per_hour, self.clock.now_ms());
            answer::with_limits(answer::status(kind, &t.name), allowance)
        })
    }

    fn refuse(&self) -> Reply {
        answer::invalid_token()
    }
}

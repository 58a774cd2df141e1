//! The kintone REST client: one attempt per call, classified into
//! [`KintoneError`]; callers own retries (they persist attempt counts).
//!
//! This file is the transport every endpoint shares: the base URL, the
//! credentials, the per-domain concurrency limit and the per-app usage
//! count. The endpoints are grouped by resource: [`records`], [`comments`],
//! [`form`].

mod auth;
mod comments;
mod form;
mod records;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use auth::{AppAuth, BasicAuth};
pub use comments::Comment;
pub use form::FieldInfo;

use super::error::KintoneError;

/// A cheap, cloneable kintone client.
#[derive(Debug, Clone)]
pub struct KintoneClient {
    http: reqwest::Client,
    /// `https://x.cybozu.com/k/v1` or `…/k/guest/{space}/v1`.
    api: Arc<str>,
    /// Every request is counted against its app's daily limit.
    usage: Arc<crate::metrics::KintoneUsage>,
    /// kintone answers 429 beyond 100 concurrent requests per domain; every
    /// part of the gateway shares this one client per domain, so this one
    /// limit keeps the whole gateway under it (with room for other tools).
    in_flight: Arc<tokio::sync::Semaphore>,
    /// What was last seen of kintone (for `status`).
    contact: Arc<crate::metrics::Contact>,
    /// The same, app by app.
    apps: Arc<crate::metrics::AppContacts>,
}

/// Requests in flight to one kintone domain at most (kintone's limit: 100).
pub const MAX_IN_FLIGHT: usize = 32;

impl KintoneClient {
    /// # Errors
    /// The HTTP client could not be built.
    pub fn new(
        base_url: &str,
        guest_space: Option<u32>,
        timeout: Duration,
    ) -> Result<Self, KintoneError> {
        let http = crate::outbound::client(timeout)
            .map_err(|e| KintoneError::Protocol(format!("HTTP client: {e}")))?;
        let base = base_url.trim_end_matches('/');
        let api = match guest_space {
            Some(g) => format!("{base}/k/guest/{g}/v1"),
            None => format!("{base}/k/v1"),
        };
        Ok(KintoneClient {
            http,
            api: api.into(),
            usage: Arc::default(),
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            contact: Arc::default(),
            apps: Arc::default(),
        })
    }

    /// Records what it sees of each app into `apps` (the gateway's metrics).
    #[must_use]
    pub fn with_app_contacts(mut self, apps: Arc<crate::metrics::AppContacts>) -> Self {
        self.apps = apps;
        self
    }

    /// Records what it sees of kintone into `contact` (the gateway's metrics).
    #[must_use]
    pub fn with_contact(mut self, contact: Arc<crate::metrics::Contact>) -> Self {
        self.contact = contact;
        self
    }

    /// Counts requests into `usage` (the gateway's metrics) instead of a
    /// private counter.
    #[must_use]
    pub fn with_usage(mut self, usage: Arc<crate::metrics::KintoneUsage>) -> Self {
        self.usage = usage;
        self
    }

    /// One request: signed with `auth`, sent within the concurrency limit,
    /// counted against the app, answered as JSON or a classified error.
    /// A call for `auth`'s app got no answer, or a 5xx.
    fn failed(&self, auth: &AppAuth, why: &str) {
        let now = crate::clock::now_ms();
        self.contact.failed(now, why);
        self.apps.failed(auth.app.get(), now, why);
    }

    async fn call(
        &self,
        auth: &AppAuth,
        method: reqwest::Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Value>,
    ) -> Result<Value, KintoneError> {
        let mut req = auth.sign(
            self.http
                .request(method, format!("{}/{path}", self.api))
                .query(query),
        );
        if let Some(b) = body {
            req = req.json(&b);
        }
        // Held until the answer is read; the semaphore is never closed.
        let _permit = self.in_flight.acquire().await;
        self.usage.count(auth.app.get(), crate::clock::now_ms());
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                let err = transport(auth, None, e);
                if let KintoneError::Retryable { message, .. } = &err {
                    self.failed(auth, message);
                }
                return Err(err);
            }
        };
        let status = resp.status().as_u16();
        if status < 500 {
            let now = crate::clock::now_ms();
            self.contact.answered(now);
            self.apps.answered(auth.app.get(), now);
        } else {
            self.failed(auth, &format!("HTTP {status}"));
        }
        let text = resp
            .text()
            .await
            .map_err(|e| transport(auth, Some(status), e))?;
        if status != 200 {
            return Err(KintoneError::from_status(status, &text, &auth.redactor()));
        }
        serde_json::from_str(&text).map_err(|e| KintoneError::Protocol(e.to_string()))
    }

    /// The `app` query parameter every app-scoped GET carries.
    fn app_q(auth: &AppAuth) -> Vec<(String, String)> {
        vec![("app".into(), auth.app.to_string())]
    }
}

/// A request that failed on the way (no answer, or an answer cut off):
/// worth retrying. The text is scrubbed of the request's secrets.
fn transport(auth: &AppAuth, status: Option<u16>, e: reqwest::Error) -> KintoneError {
    KintoneError::Retryable {
        status,
        code: String::new(),
        message: auth.redactor().redact(&crate::outbound::failure(&e)),
    }
}

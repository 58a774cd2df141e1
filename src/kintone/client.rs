//! The kintone REST client: one attempt per call, classified into
//! [`KintoneError`]; callers own retries (they persist attempt counts).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::error::KintoneError;
use super::record::Record;
use crate::domain::{AppId, RecordId, Revision};
use crate::secret::{Redactor, Secret};

/// Basic authentication for protected domains.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    pub user: String,
    pub password: Secret,
}

/// One app's credentials (an API token is valid for its own app only).
#[derive(Debug, Clone)]
pub struct AppAuth {
    pub app: AppId,
    pub api_token: Secret,
    pub basic: Option<BasicAuth>,
}

impl AppAuth {
    /// A redactor that knows every secret a request with these credentials
    /// carries: the API token(s), the basic password and its header value.
    pub fn redactor(&self) -> Redactor {
        let r = Redactor::new().with(&self.api_token);
        match &self.basic {
            Some(b) => r.with_basic(&b.user, &b.password),
            None => r,
        }
    }
}

/// A comment as kintone returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: String,
    pub text: String,
}

/// A form field's code and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub code: String,
    pub field_type: String,
    pub label: String,
}

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
        })
    }

    /// Counts requests into `usage` (the gateway's metrics) instead of a
    /// private counter.
    #[must_use]
    pub fn with_usage(mut self, usage: Arc<crate::metrics::KintoneUsage>) -> Self {
        self.usage = usage;
        self
    }

    async fn call(
        &self,
        auth: &AppAuth,
        method: reqwest::Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Value>,
    ) -> Result<Value, KintoneError> {
        let mut req = self
            .http
            .request(method, format!("{}/{path}", self.api))
            .header("X-Cybozu-API-Token", auth.api_token.expose())
            .query(query);
        if let Some(b) = &auth.basic {
            let raw = format!("{}:{}", b.user, b.password.expose());
            let enc = base64::engine::general_purpose::STANDARD.encode(raw);
            req = req.header("Authorization", format!("Basic {enc}"));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        // Held until the answer is read; the semaphore is never closed.
        let _permit = self.in_flight.acquire().await;
        self.usage.count(auth.app.get(), crate::clock::now_ms());
        let resp = req.send().await.map_err(|e| KintoneError::Retryable {
            status: None,
            code: String::new(),
            message: auth.redactor().redact(&e.without_url().to_string()),
        })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| KintoneError::Retryable {
            status: Some(status),
            code: String::new(),
            message: auth.redactor().redact(&e.without_url().to_string()),
        })?;
        if status != 200 {
            return Err(KintoneError::from_status(status, &text, &auth.redactor()));
        }
        serde_json::from_str(&text).map_err(|e| KintoneError::Protocol(e.to_string()))
    }

    fn app_q(auth: &AppAuth) -> Vec<(String, String)> {
        vec![("app".into(), auth.app.to_string())]
    }

    /// `GET record.json`.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn get_record(&self, auth: &AppAuth, id: RecordId) -> Result<Record, KintoneError> {
        let mut q = Self::app_q(auth);
        q.push(("id".into(), id.to_string()));
        let mut v = self
            .call(auth, reqwest::Method::GET, "record.json", &q, None)
            .await?;
        Record::from_json(v.get_mut("record").map(Value::take).unwrap_or_default())
    }

    /// `GET records.json` with the caller's query (limit and order included).
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn get_records(
        &self,
        auth: &AppAuth,
        query: &str,
        fields: Option<&[String]>,
    ) -> Result<Vec<Record>, KintoneError> {
        let mut q = Self::app_q(auth);
        q.push(("query".into(), query.to_owned()));
        for (i, f) in fields.unwrap_or_default().iter().enumerate() {
            q.push((format!("fields[{i}]"), f.clone()));
        }
        let mut v = self
            .call(auth, reqwest::Method::GET, "records.json", &q, None)
            .await?;
        // Each record is moved out of the page, not copied: the page and
        // its copy would otherwise both be in memory at once.
        match v.get_mut("records").map(Value::take) {
            Some(Value::Array(records)) => records.into_iter().map(Record::from_json).collect(),
            _ => Err(KintoneError::Protocol("answer without records".into())),
        }
    }

    fn revision(v: &Value) -> Result<Revision, KintoneError> {
        v.get("revision")
            .and_then(|r| {
                r.as_str()
                    .map(str::to_owned)
                    .or_else(|| r.as_u64().map(|n| n.to_string()))
            })
            .and_then(|s| s.parse().ok())
            .map(Revision)
            .ok_or_else(|| KintoneError::Protocol("answer without revision".into()))
    }

    /// `PUT record.json`: plain values per field code, with a revision check.
    ///
    /// # Errors
    /// [`KintoneError::Conflict`] on a stale revision; other classified errors.
    pub async fn update_record(
        &self,
        auth: &AppAuth,
        id: RecordId,
        revision: Option<Revision>,
        fields: Map<String, Value>,
    ) -> Result<Revision, KintoneError> {
        let record: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k, json!({ "value": v })))
            .collect();
        let mut body = json!({ "app": auth.app.get(), "id": id.get(), "record": record });
        if let Some(r) = revision {
            body["revision"] = json!(r.0);
        }
        let v = self
            .call(auth, reqwest::Method::PUT, "record.json", &[], Some(body))
            .await?;
        Self::revision(&v)
    }

    /// `PUT record/status.json`: a process-management action.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn update_status(
        &self,
        auth: &AppAuth,
        id: RecordId,
        action: &str,
        assignee: Option<&str>,
        revision: Option<Revision>,
    ) -> Result<Revision, KintoneError> {
        let mut body = json!({ "app": auth.app.get(), "id": id.get(), "action": action });
        if let Some(a) = assignee {
            body["assignee"] = json!(a);
        }
        if let Some(r) = revision {
            body["revision"] = json!(r.0);
        }
        let v = self
            .call(
                auth,
                reqwest::Method::PUT,
                "record/status.json",
                &[],
                Some(body),
            )
            .await?;
        Self::revision(&v)
    }

    /// `POST record/comment.json`. Not idempotent: see the ack write-back's marker.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn add_comment(
        &self,
        auth: &AppAuth,
        id: RecordId,
        text: &str,
    ) -> Result<String, KintoneError> {
        let body =
            json!({ "app": auth.app.get(), "record": id.get(), "comment": { "text": text } });
        let v = self
            .call(
                auth,
                reqwest::Method::POST,
                "record/comment.json",
                &[],
                Some(body),
            )
            .await?;
        v.get("id")
            .and_then(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .or_else(|| i.as_u64().map(|n| n.to_string()))
            })
            .ok_or_else(|| KintoneError::Protocol("answer without comment id".into()))
    }

    /// `GET record/comments.json`, newest first.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn get_comments(
        &self,
        auth: &AppAuth,
        id: RecordId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Comment>, KintoneError> {
        let mut q = Self::app_q(auth);
        q.extend([
            ("record".into(), id.to_string()),
            ("order".into(), "desc".into()),
            ("limit".into(), limit.min(10).to_string()),
            ("offset".into(), offset.to_string()),
        ]);
        let v = self
            .call(auth, reqwest::Method::GET, "record/comments.json", &q, None)
            .await?;
        Ok(v.get("comments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| Comment {
                id: c
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                text: c
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect())
    }

    /// `GET app/form/fields.json`.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn form_fields(&self, auth: &AppAuth) -> Result<Vec<FieldInfo>, KintoneError> {
        let v = self
            .call(
                auth,
                reqwest::Method::GET,
                "app/form/fields.json",
                &Self::app_q(auth),
                None,
            )
            .await?;
        let props = v
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| KintoneError::Protocol("answer without properties".into()))?;
        Ok(props
            .iter()
            .map(|(code, p)| FieldInfo {
                code: code.clone(),
                field_type: p
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                label: p
                    .get("label")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect())
    }
}

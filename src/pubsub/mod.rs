//! A Google Cloud Pub/Sub subscriber over the REST API: pull (long poll),
//! acknowledge, modify the ack deadline, and read the subscription (for
//! `doctor`).
//!
//! The same client talks to the emulator (`api_base` = its address, no
//! credentials) and to the service (OAuth 2 with a service-account key, see
//! [`auth`]). Failures say what the caller must do; no transport type
//! escapes.

pub mod auth;
mod error;

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::secret::Secret;

pub use auth::{ServiceAccount, TokenSource};
pub use error::PubsubError;

/// The service's address.
pub const DEFAULT_API_BASE: &str = "https://pubsub.googleapis.com";
/// How long a pull may wait for messages before it answers empty; the
/// request's own timeout is this plus the client's.
pub const PULL_WAIT: Duration = Duration::from_secs(30);
/// The most of an answer read. Pub/Sub takes messages of up to 10 MB, which
/// the pull sends in base64 (13.4 MB): an answer of one message always fits.
/// An answer of many large ones does not, and is not read into memory; the
/// puller then asks for fewer messages a pull (`crate::pull`).
pub const ANSWER_LIMIT: usize = 16 << 20;
/// Messages per pull when `doctor` counts the backlog.
const PEEK_PAGE: usize = 100;

/// One pulled message. Its `Debug` leaves out the attributes that are
/// keys (the tokens' digests, or an older relay's tokens) and the body.
#[derive(Clone)]
pub struct Received {
    pub ack_id: String,
    pub message_id: String,
    pub data: Bytes,
    pub attributes: serde_json::Map<String, Value>,
    /// When Pub/Sub accepted the publish (RFC 3339), for the backlog age.
    pub publish_time: String,
}

/// Attributes whose values are secrets: the kintone webhook path token and
/// a LINE Notify caller's bearer token (an older relay's), and their digests.
const SECRET_ATTRIBUTES: &[&str] = &[
    "kintone_token",
    "authorization",
    "kintone_token_sha256",
    "authorization_sha256",
];

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let attributes: Vec<(&str, &str)> = self
            .attributes
            .iter()
            .map(|(k, v)| {
                let shown = if SECRET_ATTRIBUTES.contains(&k.as_str()) {
                    "[redacted]"
                } else {
                    v.as_str().unwrap_or("?")
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("Received")
            .field("message_id", &self.message_id)
            .field("publish_time", &self.publish_time)
            .field("data_bytes", &self.data.len())
            .field("attributes", &attributes)
            .finish_non_exhaustive()
    }
}

impl Received {
    /// An attribute's value, if it is set and a string.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

/// What `doctor` shows of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionInfo {
    pub topic: String,
    pub ack_deadline_s: u64,
    pub filter: String,
}

/// A subscriber for one subscription.
#[derive(Clone)]
pub struct PubsubClient {
    http: reqwest::Client,
    /// `{api_base}/v1/projects/{p}/subscriptions/{s}`.
    url: String,
    auth: Option<Arc<TokenSource>>,
}

impl PubsubClient {
    /// A client for `projects/{project}/subscriptions/{subscription}` at
    /// `api_base`; `credentials` (a service-account key JSON) is needed by
    /// the service and left out for the emulator.
    ///
    /// # Errors
    /// The key is unusable or the HTTP client could not be built.
    pub fn new(
        api_base: &str,
        project: &str,
        subscription: &str,
        credentials: Option<&Secret>,
        timeout: Duration,
    ) -> Result<PubsubClient, PubsubError> {
        let http = crate::outbound::client(timeout)
            .map_err(|_| PubsubError::Protocol("the HTTP client could not be built".into()))?;
        let auth = match credentials {
            Some(key) => Some(Arc::new(TokenSource::new(
                ServiceAccount::from_json(key)?,
                http.clone(),
            ))),
            None => None,
        };
        Ok(PubsubClient {
            http,
            url: format!(
                "{}/v1/projects/{project}/subscriptions/{subscription}",
                api_base.trim_end_matches('/')
            ),
            auth,
        })
    }

    /// Waits up to [`PULL_WAIT`] for at most `max` messages (none when none
    /// came), with the answer's `Date`.
    ///
    /// # Errors
    /// [`PubsubError`]; retry those that are retryable.
    pub async fn pull(&self, max: u32) -> Result<Pulled, PubsubError> {
        let body = json!({ "returnImmediately": false, "maxMessages": max });
        let (answer, date_ms) = match self.post_dated(":pull", &body, Some(PULL_WAIT)).await {
            Err(PubsubError::Unavailable { detail, .. }) if detail == "timed out" => {
                return Ok(Pulled::default())
            }
            other => other?,
        };
        let messages = match answer.get("receivedMessages").and_then(Value::as_array) {
            Some(list) => list.iter().map(parse_received).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(Pulled { messages, date_ms })
    }

    /// Counts the messages waiting (up to `max`) without taking them: they
    /// are pulled [`PEEK_PAGE`] at a time, each answer read within
    /// [`ANSWER_LIMIT`], and all handed back at the end. For `doctor`.
    /// Returns the count and whether more may wait (`max` reached, or an
    /// answer too large to read: its messages come back at their deadline).
    ///
    /// # Errors
    /// [`PubsubError`] (what was counted is handed back first).
    pub async fn peek(&self, max: u32) -> Result<(usize, bool), PubsubError> {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let mut ids: Vec<String> = Vec::new();
        let mut more = false;
        while ids.len() < max {
            let page = (max - ids.len()).min(PEEK_PAGE);
            let body = json!({ "returnImmediately": true, "maxMessages": page });
            let answer = match self.post(":pull", &body, None).await {
                Ok(a) => a,
                Err(PubsubError::TooLarge { .. }) => {
                    more = true;
                    break;
                }
                Err(e) => {
                    let _ = self.modify_ack_deadline(&ids, 0).await;
                    return Err(e);
                }
            };
            let list = answer.get("receivedMessages").and_then(Value::as_array);
            let before = ids.len();
            ids.extend(
                list.into_iter()
                    .flatten()
                    .filter_map(|m| m["ackId"].as_str().map(str::to_owned)),
            );
            if ids.len() == before {
                break;
            }
        }
        self.modify_ack_deadline(&ids, 0).await?;
        Ok((ids.len(), more || ids.len() >= max))
    }

    /// Acknowledges: Pub/Sub will not deliver these again.
    ///
    /// # Errors
    /// [`PubsubError`]; an unacknowledged message is delivered again.
    pub async fn acknowledge(&self, ack_ids: &[String]) -> Result<(), PubsubError> {
        if ack_ids.is_empty() {
            return Ok(());
        }
        self.post(":acknowledge", &json!({ "ackIds": ack_ids }), None)
            .await
            .map(drop)
    }

    /// Sets the messages' ack deadline `seconds` from now; 0 hands them back
    /// for redelivery at once.
    ///
    /// # Errors
    /// [`PubsubError`].
    pub async fn modify_ack_deadline(
        &self,
        ack_ids: &[String],
        seconds: u32,
    ) -> Result<(), PubsubError> {
        if ack_ids.is_empty() {
            return Ok(());
        }
        let body = json!({ "ackIds": ack_ids, "ackDeadlineSeconds": seconds });
        self.post(":modifyAckDeadline", &body, None).await.map(drop)
    }

    /// Reads the subscription (it exists, and the credentials may see it).
    ///
    /// # Errors
    /// [`PubsubError`].
    pub async fn subscription(&self) -> Result<SubscriptionInfo, PubsubError> {
        let req = self.http.get(&self.url);
        let v = self.send(req).await?;
        Ok(SubscriptionInfo {
            topic: v["topic"].as_str().unwrap_or_default().to_owned(),
            ack_deadline_s: v["ackDeadlineSeconds"].as_u64().unwrap_or(10),
            filter: v["filter"].as_str().unwrap_or_default().to_owned(),
        })
    }

    async fn post(
        &self,
        verb: &str,
        body: &Value,
        wait: Option<Duration>,
    ) -> Result<Value, PubsubError> {
        Ok(self.post_dated(verb, body, wait).await?.0)
    }

    /// [`Self::post`], with the answer's `Date` header (Google's clock, whole
    /// seconds) in wall ms.
    async fn post_dated(
        &self,
        verb: &str,
        body: &Value,
        wait: Option<Duration>,
    ) -> Result<(Value, Option<i64>), PubsubError> {
        let mut req = self.http.post(format!("{}{verb}", self.url)).json(body);
        if let Some(w) = wait {
            // The long poll outlasts the client's usual timeout.
            req = req.timeout(w + Duration::from_secs(10));
        }
        self.send_dated(req).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, PubsubError> {
        Ok(self.send_dated(req).await?.0)
    }

    async fn send_dated(
        &self,
        mut req: reqwest::RequestBuilder,
    ) -> Result<(Value, Option<i64>), PubsubError> {
        if let Some(auth) = &self.auth {
            req = req.bearer_auth(auth.token().await?.expose());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| PubsubError::unreachable("Pub/Sub", e))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            if let (401, Some(auth)) = (status, &self.auth) {
                auth.forget().await;
            }
            return Err(PubsubError::from_status("Pub/Sub", status));
        }
        let date_ms = resp
            .headers()
            .get("date")
            .and_then(|d| d.to_str().ok())
            .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())
            .map(|z| z.timestamp().as_millisecond());
        let text = read_capped(resp, ANSWER_LIMIT).await?;
        if text.trim_ascii().is_empty() {
            return Ok((json!({}), date_ms));
        }
        let value =
            serde_json::from_slice(&text).map_err(|_| PubsubError::Protocol("not JSON".into()))?;
        Ok((value, date_ms))
    }
}

/// The answer's body, up to `limit` bytes: a longer one is dropped unread
/// (its declared length, or as soon as it grows past the limit).
async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, PubsubError> {
    let too_large = PubsubError::TooLarge {
        what: "Pub/Sub",
        limit,
    };
    if resp
        .content_length()
        .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| PubsubError::unreachable("Pub/Sub", e))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// One pull's messages, and when Google answered (its `Date`, wall ms):
/// a board fed only by Pub/Sub learns its clock's offset from it.
#[derive(Debug, Clone, Default)]
pub struct Pulled {
    pub messages: Vec<Received>,
    pub date_ms: Option<i64>,
}

fn parse_received(v: &Value) -> Result<Received, PubsubError> {
    let bad = |what: &str| PubsubError::Protocol(format!("a received message without {what}"));
    let ack_id = v["ackId"].as_str().ok_or_else(|| bad("ackId"))?.to_owned();
    let m = &v["message"];
    let data = match m["data"].as_str() {
        Some(b64) => STANDARD.decode(b64).map_err(|_| bad("base64 data"))?,
        None => Vec::new(),
    };
    Ok(Received {
        ack_id,
        message_id: m["messageId"].as_str().unwrap_or_default().to_owned(),
        data: Bytes::from(data),
        attributes: m["attributes"].as_object().cloned().unwrap_or_default(),
        publish_time: m["publishTime"].as_str().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_received_message_keeps_its_bytes_and_attributes() {
        let v = json!({"ackId": "a1", "message": {"data": STANDARD.encode(b"{\"x\":1}\n"),
            "attributes": {"source": "line"}, "messageId": "7", "publishTime": "2026-12-01T00:00:00Z"}});
        let m = parse_received(&v).unwrap();
        assert_eq!(&m.data[..], b"{\"x\":1}\n");
        assert_eq!(m.attribute("source"), Some("line"));
        assert_eq!(m.attribute("site"), None);
        assert!(parse_received(&json!({"message": {}})).is_err());
    }

    /// A server on 127.0.0.1 that answers every request with `body`, its
    /// length undeclared (the body ends when the connection closes).
    async fn answering(body: Vec<u8>) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let mut head = [0u8; 4096];
                    let _ = conn.read(&mut head).await;
                    let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                 connection: close\r\n\r\n";
                    let _ = conn.write_all(start.as_bytes()).await;
                    let _ = conn.write_all(&body).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn an_answer_that_grows_past_the_limit_is_not_read_further() {
        let client = |base: &str| {
            PubsubClient::new(base, "p-1", "s-1", None, Duration::from_secs(5)).expect("client")
        };
        let mut long = b"{\"topic\":\"".to_vec();
        long.resize(ANSWER_LIMIT + 1, b'x');
        let got = client(&answering(long).await).subscription().await;
        assert!(
            matches!(got, Err(PubsubError::TooLarge { limit, .. }) if limit == ANSWER_LIMIT),
            "{got:?}"
        );
        let short = br#"{"topic":"projects/p-1/topics/t-1"}"#.to_vec();
        let got = client(&answering(short).await).subscription().await;
        assert_eq!(got.expect("read").topic, "projects/p-1/topics/t-1");
    }

    #[test]
    fn debug_output_leaves_out_the_secret_attributes() {
        let v = json!({"ackId": "a1", "message": {"data": "", "messageId": "7",
            "attributes": {"source": "notify_api", "authorization": "Bearer the-api-token",
                "kintone_token": "the-path-token", "authorization_sha256": "the-api-digest",
                "kintone_token_sha256": "the-path-digest"}, "publishTime": "2026-12-01T00:00:00Z"}});
        let shown = format!("{:?}", parse_received(&v).unwrap());
        assert!(shown.contains("notify_api"), "{shown}");
        assert!(
            !shown.contains("the-api-") && !shown.contains("the-path-"),
            "{shown}"
        );
    }
}

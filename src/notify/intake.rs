//! `POST /kintone/webhook/{token}`: kintone signs nothing, so the path token is
//! the lock — long, random, per app, compared in constant time. A wrong token
//! is a 404 with nothing stored. The payload is only a hint: it is stored
//! (deduplicated on the notification id) before the 200, and the change
//! worker re-reads the record through the API before acting.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use hyper::StatusCode;
use serde_json::Value;

use super::NotifyContext;
use crate::clock::now_ms;
use crate::domain::{AppId, RecordId};
use crate::http::{KintoneWebhooks, Reply};
use crate::secret::Presented;
use crate::store::kintone_seen::{take_webhook, WebhookKind as Kind};

/// The kintone webhook endpoint.
pub struct Intake {
    pub ctx: Arc<NotifyContext>,
}

impl Intake {
    /// The app whose webhook token this is. Every configured token is
    /// compared, so the time taken does not say which one was close.
    fn app_for(&self, token: Presented<'_>) -> Option<AppId> {
        let mut found = None;
        for app in self.ctx.apps.get().iter() {
            if let Some(t) = &app.webhook_token {
                if token.opens(t) {
                    found = Some(app.id);
                }
            }
        }
        found
    }

    async fn take(&self, token: Presented<'_>, body: Bytes) -> Reply {
        let Some(app) = self.app_for(token) else {
            return Reply::error(StatusCode::NOT_FOUND, "not found");
        };
        let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
            return Reply::error(StatusCode::BAD_REQUEST, "malformed JSON");
        };
        let hint = match parse_hint(&payload, app) {
            Ok(h) => h,
            Err(msg) => {
                tracing::warn!(app = %app, reason = msg, "kintone webhook refused");
                return Reply::error(StatusCode::BAD_REQUEST, msg);
            }
        };
        self.ctx
            .metrics
            .kintone_webhooks
            .fetch_add(1, Ordering::Relaxed);
        let Some((record, kind)) = hint.record else {
            // Comments and unknown types change no watched field.
            return Reply::json(StatusCode::OK, &serde_json::json!({ "status": "ignored" }));
        };
        let (id, now) = (hint.id, now_ms());
        let trusted = self.ctx.apps.app(app).is_some_and(|a| !a.webhook_reread);
        let text = kept(&payload, trusted);
        let stored = self
            .ctx
            .store
            .call(move |c| take_webhook(c, &id, app, record, kind, &text, now))
            .await;
        match stored {
            Ok(fresh) => {
                if fresh {
                    self.ctx.changes_wake.notify_one();
                }
                Reply::json(
                    StatusCode::OK,
                    &serde_json::json!({ "status": "ok", "new": fresh }),
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "could not store a kintone webhook");
                Reply::error(StatusCode::SERVICE_UNAVAILABLE, "could not store; retry")
            }
        }
    }
}

impl KintoneWebhooks for Intake {
    fn knows(&self, token: Presented<'_>) -> bool {
        self.app_for(token).is_some()
    }

    fn handle<'a>(
        &'a self,
        token: Presented<'a>,
        body: Bytes,
    ) -> Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
        Box::pin(self.take(token, body))
    }
}

/// What the change worker reads of a webhook body: the title kintone shows
/// and, where the app trusts payloads (`webhook_reread = false`), the
/// record. The rest is not stored: the worker re-reads the record anyway,
/// and every field of it written to the card would cost an SD card pages
/// to write and then to free.
fn kept(p: &Value, trusted: bool) -> String {
    let mut kept = serde_json::Map::new();
    let wanted: &[&str] = if trusted {
        &["recordTitle", "record"]
    } else {
        &["recordTitle"]
    };
    for &key in wanted {
        if let Some(v) = p.get(key) {
            kept.insert(key.to_owned(), v.clone());
        }
    }
    Value::Object(kept).to_string()
}

struct Hint {
    id: String,
    record: Option<(RecordId, Kind)>,
}

fn parse_hint(p: &Value, app: AppId) -> Result<Hint, &'static str> {
    let id = p
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 64);
    let id = id.ok_or("missing id")?.to_owned();
    let body_app = p.pointer("/app/id").and_then(|v| {
        v.as_str()
            .map(str::to_owned)
            .or_else(|| v.as_u64().map(|n| n.to_string()))
    });
    if body_app.as_deref() != Some(app.to_string().as_str()) {
        return Err("webhook is for another app than its token");
    }
    let record_id = |v: Option<&Value>| {
        v.and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
        .and_then(|s| RecordId::parse(&s).ok())
    };
    let record = match p.get("type").and_then(Value::as_str) {
        Some("ADD_RECORD" | "UPDATE_RECORD" | "UPDATE_STATUS") => {
            let r = record_id(p.pointer("/record/$id/value")).ok_or("missing record.$id")?;
            Some((r, Kind::Change))
        }
        Some("DELETE_RECORD") => {
            let r = record_id(p.get("recordId")).ok_or("missing recordId")?;
            Some((r, Kind::Delete))
        }
        _ => None,
    };
    Ok(Hint { id, record })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        let app = AppId::new(7).unwrap();
        let p = serde_json::json!({"id":"u1","type":"UPDATE_STATUS","app":{"id":"7","name":"A"},
            "record":{"$id":{"type":"__ID__","value":"12"}}});
        let h = parse_hint(&p, app).unwrap();
        assert_eq!(h.record, Some((RecordId::new(12).unwrap(), Kind::Change)));
        let del =
            serde_json::json!({"id":"u2","type":"DELETE_RECORD","app":{"id":"7"},"recordId":"3"});
        assert_eq!(
            parse_hint(&del, app).unwrap().record,
            Some((RecordId::new(3).unwrap(), Kind::Delete))
        );
        let other =
            serde_json::json!({"id":"u3","type":"UPDATE_RECORD","app":{"id":"8"},"record":{}});
        assert!(parse_hint(&other, app).is_err());
        let comment = serde_json::json!({"id":"u4","type":"ADD_RECORD_COMMENT","app":{"id":"7"}});
        assert_eq!(parse_hint(&comment, app).unwrap().record, None);
    }

    #[test]
    fn only_the_title_is_kept_unless_the_app_trusts_payloads() {
        let p = serde_json::json!({"id":"u1","type":"UPDATE_STATUS","app":{"id":"7"},
            "recordTitle":"Fix the roof","url":"https://x.cybozu.com/k/7/show#record=12",
            "record":{"$id":{"type":"__ID__","value":"12"},"Notes":{"type":"MULTI_LINE_TEXT","value":"long"}}});
        assert_eq!(kept(&p, false), r#"{"recordTitle":"Fix the roof"}"#);
        let trusted: Value = serde_json::from_str(&kept(&p, true)).unwrap();
        assert_eq!(trusted["record"], p["record"]);
        assert_eq!(trusted.get("url"), None);
    }
}

//! `POST /line/webhook`: verify, store durably, answer — in that order.
//!
//! LINE wants an answer within about 2 seconds, so nothing slow happens here:
//! the signature is checked over the raw bytes before any parsing, new events
//! go into the inbox (one group-committed fsync), the worker is woken, and the
//! answer goes out. Redeliveries are duplicates in the inbox and change
//! nothing.

use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use super::{body, Ingress, Reply};
use crate::line::signature::{RawWebhook, SignatureError};

pub(super) async fn handle(ingress: &Ingress, req: Request<Incoming>) -> Reply {
    if let Err(r) = body::check_relay_token(ingress, req.headers()) {
        return r;
    }
    // Header names are case-insensitive in `HeaderMap`.
    let signature = req
        .headers()
        .get("x-line-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Steady time: the reply window counts from here, whatever the wall
    // clock does meanwhile.
    let received = ingress.clock.steady_ms();
    let body = match body::read(req, ingress.read_timeout).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let verified = match (RawWebhook { body, signature }).verify(&ingress.channel_secret) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(reason = %e, "LINE webhook refused");
            let msg = match e {
                SignatureError::Missing => "missing x-line-signature",
                SignatureError::Mismatch => "signature does not match",
            };
            return Reply::error(StatusCode::UNAUTHORIZED, msg);
        }
    };
    let batch = match verified.into_batch() {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "signed LINE webhook could not be parsed");
            return Reply::error(StatusCode::BAD_REQUEST, "malformed webhook body");
        }
    };
    let first = batch.events.iter().filter(|e| !e.redelivery);
    if let Some(gap) = first.map(|e| received.saturating_sub(e.timestamp_ms)).min() {
        ingress.clock.observe_line(gap);
    }
    if batch.events.is_empty() {
        // The console's "Verify" button.
        return Reply::json(
            StatusCode::OK,
            &serde_json::json!({ "status": "ok", "new": 0 }),
        );
    }
    match ingress.store.inbox_insert(batch.events, received).await {
        Ok(ins) => {
            if ins.new > 0 {
                ingress.ack_wake.notify_one();
            }
            tracing::debug!(
                new = ins.new,
                duplicates = ins.duplicates,
                "LINE events stored"
            );
            Reply::json(
                StatusCode::OK,
                &serde_json::json!({ "status": "ok", "new": ins.new, "duplicates": ins.duplicates }),
            )
        }
        Err(e) => {
            // Not stored: a 5xx makes LINE (with redelivery on) or the relay try again.
            tracing::error!(error = %e, "could not store LINE events");
            Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "could not store events; retry",
            )
        }
    }
}

//! `POST /line/webhook`: verify, store durably, answer — in that order.
//!
//! LINE wants an answer within about 2 seconds, so nothing slow happens here:
//! the signature is checked over the raw bytes before any parsing, new events
//! go into the inbox (one group-committed fsync), the worker is woken, and the
//! answer goes out. Redeliveries are duplicates in the inbox and change
//! nothing. The HTTP server reads the body and calls [`LineIntake`] through
//! [`LineWebhooks`], so the transport knows nothing of LINE.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use hyper::StatusCode;

use super::signature::{RawWebhook, SignatureError};
use super::stale::StaleEvents;
use crate::clock::Clock;
use crate::config::live::Live;
use crate::http::{LineWebhooks, Reply};
use crate::metrics::Metrics;
use crate::secret::{LastMatch, Rotation};
use crate::store::Store;

/// The LINE webhook endpoint.
pub struct LineIntake {
    pub store: Store,
    /// The channel secret (`[new, old]` during a rotation); a reload swaps it.
    pub channel_secret: Live<Rotation>,
    /// Which secret signed the last verified webhook, to log when it changes.
    pub signed_with: LastMatch,
    /// Woken when new LINE events are in the inbox.
    pub ack_wake: Arc<tokio::sync::Notify>,
    /// Estimates the board's offset from LINE's clock.
    pub clock: Clock,
    /// `klg_line_events_total`, `klg_line_duplicate_events_total`.
    pub metrics: Arc<Metrics>,
    /// Drops events older than the dedup window (their keys may be pruned).
    pub stale: StaleEvents,
}

impl LineWebhooks for LineIntake {
    fn handle(
        &self,
        signature: Option<String>,
        body: Bytes,
        received_ms: i64,
    ) -> Pin<Box<dyn Future<Output = Reply> + Send + '_>> {
        Box::pin(self.take(RawWebhook { body, signature }, received_ms, true))
    }

    fn handle_queued(
        &self,
        signature: Option<String>,
        body: Bytes,
        received_ms: i64,
    ) -> Pin<Box<dyn Future<Output = Reply> + Send + '_>> {
        Box::pin(self.take(RawWebhook { body, signature }, received_ms, false))
    }
}

impl LineIntake {
    /// `live`: the webhook came straight from LINE (through the relay), so
    /// its delay estimates the board's offset from LINE's clock.
    async fn take(&self, raw: RawWebhook, received: i64, live: bool) -> Reply {
        let secrets = self.channel_secret.get();
        let verified = match raw.verify_rotation(&secrets) {
            Ok((v, which)) => {
                self.signed_with
                    .note(which, &secrets, "LINE webhook signature (channel secret)");
                v
            }
            Err(e) => {
                // Counted and logged (rate-limited) by the server on the 401.
                tracing::debug!(reason = %e, "LINE webhook refused");
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
        let sent = batch.events.len();
        // Judged before the offset learns from them: a replayed old body
        // must not teach the clock that LINE's events arrive days late.
        let events = self
            .stale
            .keep_fresh(batch.events, received, &self.clock, &self.metrics);
        let first = events.iter().filter(|e| live && !e.redelivery);
        if let Some(gap) = first.map(|e| received.saturating_sub(e.timestamp_ms)).min() {
            self.clock.observe_line(gap);
        }
        if events.is_empty() {
            // The console's "Verify" button, or only events too old to take.
            return Reply::json(
                StatusCode::OK,
                &serde_json::json!({ "status": "ok", "new": 0, "stale": sent }),
            );
        }
        let stale = sent - events.len();
        match self.store.inbox_insert(events, received).await {
            Ok(ins) => {
                let count = |c: &std::sync::atomic::AtomicU64, n: usize| {
                    c.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                };
                count(&self.metrics.line_events, ins.new);
                count(&self.metrics.line_duplicates, ins.duplicates);
                if ins.new > 0 {
                    self.ack_wake.notify_one();
                }
                tracing::debug!(
                    new = ins.new,
                    duplicates = ins.duplicates,
                    "LINE events stored"
                );
                Reply::json(
                    StatusCode::OK,
                    &serde_json::json!({
                        "status": "ok", "new": ins.new, "duplicates": ins.duplicates, "stale": stale
                    }),
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
}

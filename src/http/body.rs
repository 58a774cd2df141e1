//! Reading a request body within limits (size, time, and how many at once),
//! and the relay's shared token.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::{Ingress, Reply, BODY_LIMIT};
use crate::metrics::Metrics;

/// How long a request waits for a body-read permit before a 503.
/// LINE wants an answer within about 2 seconds: half of it at most.
pub(super) const PERMIT_WAIT: Duration = Duration::from_secs(1);

/// The body size a request declares, if it does.
pub(super) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// 413 for a declared length past [`BODY_LIMIT`], before anything is read.
pub(super) fn check_declared(headers: &HeaderMap) -> Result<(), Reply> {
    if declared_length(headers).is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large());
    }
    Ok(())
}

/// A permit to hold a body in memory: bodies read at once are capped, so
/// many large bodies cannot add up. Waits up to [`PERMIT_WAIT`], then 503.
pub(super) async fn permit<'a>(
    bodies: &'a Semaphore,
    metrics: &'a Metrics,
) -> Result<BodyPermit<'a>, Reply> {
    match tokio::time::timeout(PERMIT_WAIT, bodies.acquire()).await {
        Ok(Ok(permit)) => {
            metrics.body_reads.fetch_add(1, Ordering::Relaxed);
            Ok(BodyPermit {
                _permit: permit,
                metrics,
            })
        }
        _ => {
            metrics.busy_refused.fetch_add(1, Ordering::Relaxed);
            Err(Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many requests at once; retry",
            ))
        }
    }
}

/// Held while a body is in memory; counted in `klg_body_reads`.
pub(super) struct BodyPermit<'a> {
    _permit: SemaphorePermit<'a>,
    metrics: &'a Metrics,
}

impl Drop for BodyPermit<'_> {
    fn drop(&mut self) {
        self.metrics.body_reads.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Reads the whole body into one buffer sized by its declared length: 413
/// past [`BODY_LIMIT`], 408 when the client is too slow, 400 when the
/// connection breaks mid-body.
pub(super) async fn read(req: Request<Incoming>, timeout: Duration) -> Result<Bytes, Reply> {
    check_declared(req.headers())?;
    let declared = declared_length(req.headers()).unwrap_or(0);
    let capacity = usize::try_from(declared)
        .unwrap_or(BODY_LIMIT)
        .min(BODY_LIMIT);
    match tokio::time::timeout(timeout, collect(req.into_body(), capacity)).await {
        Err(_) => Err(Reply::error(
            StatusCode::REQUEST_TIMEOUT,
            "request body not received in time",
        )),
        Ok(r) => r,
    }
}

/// Copies the frames into one buffer (collecting them first would hold the
/// body twice).
async fn collect(mut body: Incoming, capacity: usize) -> Result<Bytes, Reply> {
    let mut buf = BytesMut::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| Reply::error(StatusCode::BAD_REQUEST, "could not read body"))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > BODY_LIMIT {
                return Err(too_large());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

fn too_large() -> Reply {
    Reply::error(StatusCode::PAYLOAD_TOO_LARGE, "body larger than 1 MiB")
}

/// With a relay token configured, `x-relay-token` must match (constant
/// time): either of `[new, old]` during a rotation.
pub(super) fn check_relay_token(ingress: &Ingress, headers: &HeaderMap) -> Result<(), Reply> {
    let expected = ingress.relay_token.get();
    let Some(expected) = expected.as_ref() else {
        return Ok(());
    };
    let given = headers
        .get("x-relay-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if let Some(which) = expected.matches(given) {
        ingress.relay_match.note(which, expected, "relay token");
        Ok(())
    } else {
        Err(Reply::error(
            StatusCode::UNAUTHORIZED,
            "relay token missing or wrong",
        ))
    }
}

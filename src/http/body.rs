//! Reading a request body within limits, and the relay's shared token.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};
use subtle::ConstantTimeEq;

use super::{Ingress, Reply, BODY_LIMIT};

/// Reads the whole body: 413 past [`BODY_LIMIT`], 408 when the client is too
/// slow, 400 when the connection breaks mid-body.
pub(super) async fn read(req: Request<Incoming>, timeout: Duration) -> Result<Bytes, Reply> {
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large());
    }
    let limited = Limited::new(req.into_body(), BODY_LIMIT);
    match tokio::time::timeout(timeout, limited.collect()).await {
        Err(_) => Err(Reply::error(
            StatusCode::REQUEST_TIMEOUT,
            "request body not received in time",
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(_)) => Err(Reply::error(StatusCode::BAD_REQUEST, "could not read body")),
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}

fn too_large() -> Reply {
    Reply::error(StatusCode::PAYLOAD_TOO_LARGE, "body larger than 1 MiB")
}

/// With a relay token configured, `x-relay-token` must match (constant time).
pub(super) fn check_relay_token(ingress: &Ingress, headers: &HeaderMap) -> Result<(), Reply> {
    let Some(expected) = &ingress.relay_token else {
        return Ok(());
    };
    let given = headers
        .get("x-relay-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if bool::from(given.ct_eq(expected.expose().as_bytes())) {
        Ok(())
    } else {
        Err(Reply::error(
            StatusCode::UNAUTHORIZED,
            "relay token missing or wrong",
        ))
    }
}

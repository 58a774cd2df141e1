//! `POST /api/notify` and `GET /api/status` (the LINE Notify–compatible
//! API): the bearer token is asked of the handler before anything else is
//! read; a request without a known one is refused, counted and logged at
//! most once a minute (`guard`), and its body is never read.

use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use super::guard::Refusal;
use super::{body, NotifyApi, Reply, Server};
use crate::secret::Presented;

/// The token of `Authorization: Bearer …`, if the request has one.
fn bearer(headers: &hyper::HeaderMap) -> Option<&str> {
    bearer_token(headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?)
}

/// The token of an `Authorization: Bearer …` value (a header, or the
/// attribute the relay carries it in through Pub/Sub).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The API handler and the bearer token, or the refusal (counted, logged
/// at most once a minute) before anything else is read.
fn api_caller<'s, 'h>(
    server: &'s Server,
    headers: &'h hyper::HeaderMap,
) -> Result<(&'s dyn NotifyApi, &'h str), Reply> {
    let Some(api) = server.ingress.notify_api.as_deref().filter(|a| a.serves()) else {
        return Err(Reply::error(StatusCode::NOT_FOUND, "not found"));
    };
    match bearer(headers) {
        Some(token) if api.knows(Presented::Token(token)) => Ok((api, token)),
        _ => {
            server.guard.refused(Refusal::NotifyToken, None);
            Err(api.refuse())
        }
    }
}

pub(super) async fn notify(server: &Server, req: Request<Incoming>) -> Result<Reply, Reply> {
    let ingress = &*server.ingress;
    let (api, token) =
        api_caller(server, req.headers()).map(|(api, token)| (api, token.to_owned()))?;
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    body::check_declared(req.headers())?;
    // Like a webhook: no 200 promises a message into a store that is gone.
    super::store_present(ingress)?;
    let _permit = body::permit(&server.bodies, &ingress.counters).await?;
    let body = body::read(req, ingress.read_timeout).await?;
    let reply = api
        .notify(
            Presented::Token(&token),
            content_type.as_deref(),
            body,
            None,
        )
        .await;
    super::stored_for_good(ingress, reply)
}

pub(super) async fn status(server: &Server, req: &Request<Incoming>) -> Reply {
    match api_caller(server, req.headers()) {
        Ok((api, token)) => api.status(Presented::Token(token)).await,
        Err(r) => r,
    }
}

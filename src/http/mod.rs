//! The daemon's HTTP server: LINE and kintone webhooks in, the LINE
//! Notify–compatible `POST /api/notify` and `GET /api/status`, health out.
//!
//! Rules kept: every body is read with a size limit (413 past it) and a time
//! limit (slow clients are cut off); nothing is answered 2xx before it is on
//! disk; handlers never see transport errors. The server takes an
//! already-bound listener so tests bind port 0, and stops accepting on
//! shutdown while in-flight requests finish.
//!
//! Before anyone is authenticated, memory and sockets are bounded: requests
//! that cannot be genuine (no LINE signature, an unknown kintone path token,
//! a declared length past the limit) are refused before their body is read;
//! connections and body reads at once are capped (`[server]`
//! `max_connections`, `max_body_reads`); refusals are counted and logged
//! once a minute at most (`guard.rs`).
//!
//! A webhook is answered 503 (LINE and kintone send it again) while the
//! store's database file is gone or replaced (`Store::file_check`, one
//! `stat` at most once a second): a 200 would promise what no restart finds.

mod accept;
mod api;
mod body;
mod guard;
mod health;
mod tls;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use api::bearer_token;
pub use tls::{load_tls, TlsError};

use crate::config::live::Live;
use crate::metrics::Metrics;
use crate::secret::{LastMatch, Presented, Rotation};
use crate::store::Store;
use guard::{Guard, Refusal};

/// Largest body accepted on any route (LINE and kintone webhooks).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Largest read buffer per connection (headers must fit in it).
const READ_BUFFER: usize = 64 * 1024;

/// Takes in kintone webhooks; implemented by the notification loop.
pub trait KintoneWebhooks: Send + Sync {
    /// Whether `token` is a configured path token (constant time). Asked
    /// before the body is read: a guess costs no memory.
    fn knows(&self, token: Presented<'_>) -> bool;

    /// Handles `POST /kintone/webhook/{token}` with the body already read
    /// (or a message the relay published, with the token's digest).
    fn handle<'a>(
        &'a self,
        token: Presented<'a>,
        body: Bytes,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>>;
}

/// Takes in LINE webhooks; implemented by `inbound`.
pub trait LineWebhooks: Send + Sync {
    /// Handles `POST /line/webhook` with the body already read;
    /// `received_ms` is the steady time the request arrived.
    fn handle(
        &self,
        signature: Option<String>,
        body: Bytes,
        received_ms: i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + '_>>;

    /// The same for a webhook that waited in a queue (Pub/Sub) before it
    /// reached the board: its age says nothing about the board's clock.
    fn handle_queued(
        &self,
        signature: Option<String>,
        body: Bytes,
        received_ms: i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + '_>> {
        self.handle(signature, body, received_ms)
    }
}

/// Takes in LINE Notify–style requests (`/api/notify`, `/api/status`);
/// implemented by `notify_api`.
pub trait NotifyApi: Send + Sync {
    /// Whether the endpoint is on (a token is configured); off: 404.
    fn serves(&self) -> bool;

    /// Whether `bearer` is a configured token (constant time). Asked before
    /// the body is read: a guess costs no memory.
    fn knows(&self, bearer: Presented<'_>) -> bool;

    /// Handles `POST /api/notify` with the body already read. `pulled`: the
    /// Pub/Sub message id of a call the relay published (the bearer's
    /// digest from its `authorization_sha256` attribute), taken in once.
    fn notify<'a>(
        &'a self,
        bearer: Presented<'a>,
        content_type: Option<&'a str>,
        body: Bytes,
        pulled: Option<&'a str>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>>;

    /// Handles `GET /api/status` for a known token.
    fn status<'a>(
        &'a self,
        bearer: Presented<'a>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>>;

    /// The answer to a request without a known token (LINE Notify's 401).
    fn refuse(&self) -> Reply;
}

/// What the server needs to answer requests.
pub struct Ingress {
    pub store: Store,
    pub line: Arc<dyn LineWebhooks>,
    /// When set, every webhook must carry `x-relay-token` with this value
    /// (either of `[new, old]` during a rotation); a reload swaps it.
    pub relay_token: Live<Option<Rotation>>,
    /// Which relay token the relay last sent, to log when it changes.
    pub relay_match: LastMatch,
    pub kintone: Option<Arc<dyn KintoneWebhooks>>,
    /// `/api/notify` and `/api/status` (404 without).
    pub notify_api: Option<Arc<dyn NotifyApi>>,
    /// Renders `GET /metrics`.
    pub metrics: Option<Arc<dyn Fn() -> String + Send + Sync>>,
    /// Slow clients are cut off after this long.
    pub read_timeout: Duration,
    /// Receipt times for LINE events.
    pub clock: crate::clock::Clock,
    /// Where refusals, busy answers and health probes are counted.
    pub counters: Arc<Metrics>,
    /// Connections served at once; more wait in the kernel's listen queue.
    pub max_connections: usize,
    /// Request bodies held in memory at once; more wait briefly, then 503.
    pub max_body_reads: usize,
}

/// The server's own state beside what it was given.
struct Server {
    ingress: Arc<Ingress>,
    bodies: tokio::sync::Semaphore,
    health: health::HealthProbe,
    guard: Arc<Guard>,
}

/// A response: status, a small JSON body, and any extra headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(status: StatusCode, body: &serde_json::Value) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    /// The same reply with header `name: value` added.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub fn error(status: StatusCode, message: &str) -> Reply {
        Reply::json(status, &serde_json::json!({ "error": message }))
    }
}

/// Serves until `shutdown` is cancelled, then waits (up to `grace`) for open
/// connections to finish their requests. With TLS, each new connection takes
/// the acceptor in `tls` as it is then: a reload swaps the certificate for
/// new connections, and open ones keep theirs.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Live<tokio_rustls::TlsAcceptor>>,
    ingress: Arc<Ingress>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let guard = Arc::new(Guard::new(ingress.counters.clone()));
    tokio::spawn(guard.clone().run_summaries(shutdown.clone()));
    let mut gate = accept::Gate::new(ingress.max_connections, guard.clone());
    let server = Arc::new(Server {
        bodies: tokio::sync::Semaphore::new(ingress.max_body_reads),
        health: health::HealthProbe::new(health::PROBE_REUSE),
        guard,
        ingress,
    });
    loop {
        let accept::Accepted {
            stream,
            peer,
            permit,
        } = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = gate.next(&listener) => accepted,
        };
        let server = server.clone();
        let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
            let server = server.clone();
            async move { Ok::<_, Infallible>(route(&server, req).await) }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            // hyper's read buffer grows to ~400 KiB by default on a fast
            // upload; body frames are copied out at once, so a small one
            // serves as well and keeps each body read near its own size.
            .max_buf_size(READ_BUFFER);
        match &tls {
            None => {
                let conn = builder.serve_connection(TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with error");
                    }
                    drop(permit);
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.get();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let _permit = permit;
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                    let stream = match handshake.await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(%peer, error = %e, "connection ended with error");
                    }
                });
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish within the grace period");
    }
}

async fn route(server: &Server, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let ingress = &*server.ingress;
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let reply = match (&method, path.as_str()) {
        (&Method::POST, "/line/webhook") => line_webhook(server, req).await.unwrap_or_else(|r| r),
        (&Method::POST, p) if p.starts_with("/kintone/webhook/") => {
            kintone_webhook(server, req, &p["/kintone/webhook/".len()..])
                .await
                .unwrap_or_else(|r| r)
        }
        (&Method::POST, "/api/notify") => api::notify(server, req).await.unwrap_or_else(|r| r),
        (&Method::GET, "/api/status") => api::status(server, &req).await,
        (&Method::GET, "/healthz") => health(server).await,
        (&Method::GET, "/metrics") => match &ingress.metrics {
            Some(render) => Reply {
                status: StatusCode::OK,
                body: render(),
                headers: Vec::new(),
            },
            None => Reply::error(StatusCode::NOT_FOUND, "not found"),
        },
        (_, "/line/webhook" | "/healthz" | "/metrics" | "/api/notify" | "/api/status") => {
            Reply::error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => Reply::error(StatusCode::NOT_FOUND, "not found"),
    };
    tracing::debug!(%method, path = %redact_path(&path), status = reply.status.as_u16(), "request");
    let content_type = if path == "/metrics" && reply.status == StatusCode::OK {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        "application/json"
    };
    let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
    *resp.status_mut() = reply.status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    for (name, value) in reply.headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, v);
        }
    }
    resp
}

/// The kintone webhook token is a secret: never log it.
fn redact_path(path: &str) -> &str {
    if path.starts_with("/kintone/webhook/") {
        "/kintone/webhook/[redacted]"
    } else {
        path
    }
}

async fn line_webhook(server: &Server, req: Request<Incoming>) -> Result<Reply, Reply> {
    let ingress = &*server.ingress;
    if let Err(r) = body::check_relay_token(ingress, req.headers()) {
        server.guard.refused(Refusal::RelayToken, None);
        return Err(r);
    }
    // Header names are case-insensitive in `HeaderMap`.
    let Some(signature) = req
        .headers()
        .get("x-line-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        server.guard.refused(Refusal::LineUnsigned, None);
        return Err(Reply::error(
            StatusCode::UNAUTHORIZED,
            "missing x-line-signature",
        ));
    };
    body::check_declared(req.headers())?;
    store_present(ingress)?;
    // Steady time: the reply window counts from here, whatever the wall
    // clock does meanwhile.
    let received = ingress.clock.steady_ms();
    // Held until the handler is done with the body.
    let _permit = body::permit(&server.bodies, &ingress.counters).await?;
    let body = body::read(req, ingress.read_timeout).await?;
    let reply = ingress.line.handle(Some(signature), body, received).await;
    if reply.status == StatusCode::UNAUTHORIZED {
        server.guard.refused(Refusal::LineSignature, None);
    }
    stored_for_good(ingress, reply)
}

/// 503 while the store's file is gone: nothing may be promised into it.
fn store_present(ingress: &Ingress) -> Result<(), Reply> {
    ingress.store.file_check().map_err(|_| {
        ingress
            .counters
            .store_down
            .store(1, std::sync::atomic::Ordering::Relaxed);
        Reply::error(StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
    })
}

/// A 2xx only if the file it was stored in is still the store (it may have
/// gone while the body was read).
fn stored_for_good(ingress: &Ingress, reply: Reply) -> Result<Reply, Reply> {
    if reply.status.is_success() {
        store_present(ingress)?;
    }
    Ok(reply)
}

async fn kintone_webhook(
    server: &Server,
    req: Request<Incoming>,
    token: &str,
) -> Result<Reply, Reply> {
    let ingress = &*server.ingress;
    if let Err(r) = body::check_relay_token(ingress, req.headers()) {
        server.guard.refused(Refusal::RelayToken, None);
        return Err(r);
    }
    let token = Presented::Token(token);
    let Some(kintone) = ingress.kintone.as_ref().filter(|k| k.knows(token)) else {
        server.guard.refused(Refusal::KintoneToken, None);
        return Err(Reply::error(StatusCode::NOT_FOUND, "not found"));
    };
    body::check_declared(req.headers())?;
    store_present(ingress)?;
    let _permit = body::permit(&server.bodies, &ingress.counters).await?;
    let body = body::read(req, ingress.read_timeout).await?;
    stored_for_good(ingress, kintone.handle(token, body).await)
}

async fn health(server: &Server) -> Reply {
    let ingress = &*server.ingress;
    let (status, store) = match server.health.check(&ingress.store, &ingress.counters).await {
        Ok(()) => (StatusCode::OK, "writable".to_owned()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e),
    };
    Reply::json(
        status,
        &serde_json::json!({ "status": if status == StatusCode::OK { "ok" } else { "degraded" }, "store": store }),
    )
}

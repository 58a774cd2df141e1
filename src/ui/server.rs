//! The page's own HTTP server: its own listener (never the webhook one),
//! plain or TLS with the `[server]` certificate, a few connections at once,
//! small bodies only.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::Ui;
use crate::config::live::Live;

/// Connections served at once (a few people's browsers).
const MAX_CONNECTIONS: usize = 32;
/// Largest form body (a password, a CSRF token, a search).
pub(super) const FORM_LIMIT: usize = 8 * 1024;

/// An answer: status, content type, body, extra headers.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub(super) fn html(status: StatusCode, markup: maud::Markup) -> Answer {
        Answer {
            status,
            content_type: "text/html; charset=utf-8",
            body: markup.into_string(),
            headers: Vec::new(),
        }
    }

    pub(super) fn json(status: StatusCode, value: &impl serde::Serialize) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: serde_json::to_string(value).unwrap_or_else(|_| "{}".into()),
            headers: Vec::new(),
        }
    }

    pub(super) fn redirect(to: &str) -> Answer {
        Answer {
            status: StatusCode::SEE_OTHER,
            content_type: "text/plain; charset=utf-8",
            body: String::new(),
            headers: vec![("location", to.to_owned())],
        }
    }

    #[must_use]
    pub(super) fn with(mut self, name: &'static str, value: String) -> Answer {
        self.headers.push((name, value));
        self
    }
}

/// Reads a form body of at most [`FORM_LIMIT`] bytes within 10 s.
pub(super) async fn read_form(req: Request<Incoming>) -> Option<Vec<(String, String)>> {
    let body = Limited::new(req.into_body(), FORM_LIMIT);
    let bytes = tokio::time::timeout(Duration::from_secs(10), body.collect())
        .await
        .ok()?
        .ok()?
        .to_bytes();
    Some(
        form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// Serves the page until `shutdown`, then lets open requests finish within `grace`.
pub(super) async fn serve(
    listener: TcpListener,
    tls: Option<Live<tokio_rustls::TlsAcceptor>>,
    ui: Arc<Ui>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::debug!(error = %e, "page: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let ui = ui.clone();
        let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
            let ui = ui.clone();
            async move { Ok::<_, Infallible>(respond(ui.route(req, peer).await)) }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .max_buf_size(16 * 1024);
        let watcher = graceful.watcher();
        let acceptor = tls.as_ref().map(Live::get);
        tokio::spawn(async move {
            let _permit = permit;
            let result = match acceptor {
                None => {
                    watcher
                        .watch(builder.serve_connection(TokioIo::new(stream), svc))
                        .await
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                    let Ok(Ok(stream)) = handshake.await else {
                        return;
                    };
                    watcher
                        .watch(builder.serve_connection(TokioIo::new(stream), svc))
                        .await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "page: connection ended with error");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}

fn respond(a: Answer) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(a.body)));
    *resp.status_mut() = a.status;
    let h = resp.headers_mut();
    let fixed = [
        ("content-type", a.content_type),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("content-security-policy", "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
    ];
    for (name, value) in fixed {
        h.insert(name, hyper::header::HeaderValue::from_static(value));
    }
    for (name, value) in a.headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
            h.append(name, v);
        }
    }
    resp
}

/// The address a listener is bound to, for the log and the demo.
pub(super) fn bound(listener: &TcpListener) -> std::io::Result<SocketAddr> {
    listener.local_addr()
}

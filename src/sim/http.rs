//! A minimal HTTP/1.1 server for the simulators: every request is read whole
//! and handed to an async handler; the listener stops when the [`SimServer`] is
//! dropped.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A request as a simulator sees it: fully buffered.
#[derive(Debug, Clone)]
pub struct SimRequest {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl SimRequest {
    /// A header's value as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every header as `name: value`, joined by `; ` — what a service or
    /// proxy that echoes the request puts in its error pages.
    pub fn headers_echo(&self) -> String {
        self.headers
            .iter()
            .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The body parsed as JSON, or `None` if it is not JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A query parameter (first occurrence), percent-decoded.
    pub fn query_param(&self, key: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        url_decode_pairs(q)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// A simulator's answer.
#[derive(Debug, Clone)]
pub struct SimResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl SimResponse {
    /// A JSON answer with the given status.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        SimResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: vec![(
                hyper::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: Bytes::from(value.to_string()),
        }
    }

    /// An answer with a status and a plain-text body.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        SimResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: vec![(
                hyper::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain"),
            )],
            body: Bytes::from(body.into()),
        }
    }

    /// Adds a header (ignored if the value is not a valid header value).
    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), v));
        }
        self
    }
}

type BoxFut = Pin<Box<dyn Future<Output = SimResponse> + Send>>;
/// The handler a simulator supplies.
pub type Handler = Arc<dyn Fn(SimRequest) -> BoxFut + Send + Sync>;

/// A running simulator server. Dropping it stops the listener.
#[derive(Debug)]
pub struct SimServer {
    addr: SocketAddr,
    stop: CancellationToken,
}

impl SimServer {
    /// Binds `127.0.0.1:0` and serves `handler` until dropped.
    ///
    /// # Errors
    /// The bind failed.
    pub async fn start(handler: Handler) -> std::io::Result<SimServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Ok(Self::serve(listener, handler))
    }

    /// Serves `handler` on an already-bound listener.
    pub fn serve(listener: TcpListener, handler: Handler) -> SimServer {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(listener, handler, stop.clone()));
        SimServer { addr, stop }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, for a client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept_loop(listener: TcpListener, handler: Handler, stop: CancellationToken) {
    loop {
        let (stream, _) = tokio::select! {
            () = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(_) => continue,
            },
        };
        let handler = handler.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handle(req, handler).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                () = stop.cancelled() => {}
            }
        });
    }
}

async fn handle(req: Request<Incoming>, handler: Handler) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let sim_req = SimRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    let answer = handler(sim_req).await;
    let mut resp = Response::new(Full::new(answer.body));
    *resp.status_mut() = answer.status;
    for (k, v) in answer.headers {
        resp.headers_mut().append(k, v);
    }
    resp
}

/// Splits `a=1&b=x%20y` into decoded pairs (`+` is a space, as in forms).
pub fn url_decode_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_query_pairs() {
        let pairs = url_decode_pairs("app=1&query=%24id%20%3E%205+order&x");
        assert_eq!(pairs[0], ("app".into(), "1".into()));
        assert_eq!(pairs[1], ("query".into(), "$id > 5 order".into()));
        assert_eq!(pairs[2], ("x".into(), String::new()));
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
    }
}

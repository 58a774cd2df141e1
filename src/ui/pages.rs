//! Routing: which request gets which page, and the access rules around it.
//! Without a session a page redirects to the login form and `/ui/api/…`
//! answers 401; a form without its CSRF token is refused (403) before
//! anything is done; every action is audited.

use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::{HeaderMap, Method, Request, StatusCode};

use super::audit::Search;
use super::auth::{same, Gate};
use super::server::{read_form, Answer};
use super::templates::{login, notice, Frame};
use super::{svg, Ui};
use crate::store::operator_audit::PageAction;

const SESSION: &str = "klg_session";
const LOGIN: &str = "klg_login";

/// The value of cookie `name`, if sent.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the request's `Host` is an IP address or `localhost` (with any
/// port), not some other name.
fn addressed_by_number(headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok()
}

/// A form field.
pub(super) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A signed-in request: its session token, CSRF token, and whether the
/// session was made just now (the page is open on this machine).
struct Signed {
    token: String,
    csrf: String,
    fresh: bool,
}

impl Ui {
    fn set_cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> String {
        let age = max_age
            .map(|s| format!("; Max-Age={s}"))
            .unwrap_or_default();
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{age}{secure}")
    }

    fn actor(&self, peer: SocketAddr) -> String {
        if self.auth.open() {
            "page (this machine)".to_owned()
        } else {
            format!("page:{}", peer.ip())
        }
    }

    pub(super) async fn audit(&self, peer: SocketAddr, action: &str, detail: &str) {
        let a = PageAction {
            at_ms: self.clock.now_ms(),
            actor: self.actor(peer),
            action: action.to_owned(),
            detail: detail.to_owned(),
        };
        if let Err(e) = self.store.page_action(a).await {
            tracing::error!(error = %e, action, "page: the audit entry could not be stored");
        }
    }

    fn signed(&self, headers: &HeaderMap) -> Option<Signed> {
        if let Some(token) = cookie(headers, SESSION) {
            if let Some(csrf) = self.auth.session(token) {
                let token = token.to_owned();
                return Some(Signed {
                    token,
                    csrf,
                    fresh: false,
                });
            }
        }
        if !self.auth.open() {
            return None;
        }
        let (token, csrf) = self.auth.start_session().ok()?;
        Some(Signed {
            token,
            csrf,
            fresh: true,
        })
    }

    fn frame<'a>(&'a self, csrf: &'a str) -> Frame<'a> {
        Frame {
            language: self.language,
            zone: &self.config.time_zone,
            csrf,
            can_log_out: !self.auth.open(),
        }
    }

    /// Answers one request from `peer`.
    pub(super) async fn route(&self, req: Request<Incoming>, peer: SocketAddr) -> Answer {
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        if self.auth.open() && !addressed_by_number(req.headers()) {
            // Open without a password only to this machine by its address: a
            // web page whose own name resolves to 127.0.0.1 (DNS rebinding)
            // is not let in.
            return Answer::json(
                StatusCode::MISDIRECTED_REQUEST,
                &serde_json::json!({ "error": "use http://127.0.0.1:PORT/" }),
            );
        }
        let answer = match (&method, path.as_str()) {
            (&Method::GET, "/ui/style.css") => Answer {
                status: StatusCode::OK,
                content_type: "text/css; charset=utf-8",
                body: include_str!("style.css").to_owned(),
                headers: Vec::new(),
            },
            (&Method::GET, "/ui/login") => self.login_form(cookie(req.headers(), LOGIN)),
            (&Method::GET, "/favicon.ico") => {
                Answer::json(StatusCode::NOT_FOUND, &serde_json::json!({}))
            }
            (&Method::POST, "/ui/login") => self.login(req, peer).await,
            _ => self.signed_route(req, peer, &method, &path).await,
        };
        tracing::debug!(%method, path, status = answer.status.as_u16(), "page request");
        answer
    }

    async fn signed_route(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        method: &Method,
        path: &str,
    ) -> Answer {
        let Some(s) = self.signed(req.headers()) else {
            return if path.starts_with("/ui/api/") {
                Answer::json(
                    StatusCode::UNAUTHORIZED,
                    &serde_json::json!({ "error": "log in first" }),
                )
            } else {
                Answer::redirect("/ui/login")
            };
        };
        let answer = match (method, path) {
            (&Method::GET, "/" | "/ui" | "/ui/") => Answer::redirect("/ui/now"),
            (&Method::GET, "/ui/audit.csv") => self.export(req.uri().query(), peer).await,
            (&Method::GET, _) => self.get(path, req.uri().query(), &s.csrf).await,
            (&Method::POST, "/ui/logout") => self.logout(req, peer, &s).await,
            (&Method::POST, "/ui/staff/invite" | "/ui/staff/revoke" | "/ui/staff/unlink") => {
                self.staff_action(req, peer, &s, path).await
            }
            _ => Answer::html(
                StatusCode::NOT_FOUND,
                notice(self.language, self.language.page().not_found),
            ),
        };
        if s.fresh {
            answer.with("set-cookie", self.set_cookie(SESSION, &s.token, None))
        } else {
            answer
        }
    }

    async fn get(&self, path: &str, query: Option<&str>, csrf: &str) -> Answer {
        let f = self.frame(csrf);
        let failed = |e: anyhow::Error| {
            tracing::warn!(error = %e, "page: the store could not be read");
            Answer::json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "error": "the store could not be read" }),
            )
        };
        match path {
            "/ui/now" => self
                .now_view()
                .await
                .map_or_else(failed, |v| Answer::html(StatusCode::OK, f.now(&v))),
            "/ui/api/now" => self
                .now_view()
                .await
                .map_or_else(failed, |v| Answer::json(StatusCode::OK, &v)),
            "/ui/health" => Answer::html(StatusCode::OK, f.health(&self.health_view())),
            "/ui/api/health" => Answer::json(StatusCode::OK, &self.health_view()),
            "/ui/cost" => self.cost_view().await.map_or_else(failed, |v| {
                let chart = svg::bar_chart(&v.days, self.language.page().cost_chart);
                Answer::html(StatusCode::OK, f.cost(&v, chart))
            }),
            "/ui/api/cost" => self
                .cost_view()
                .await
                .map_or_else(failed, |v| Answer::json(StatusCode::OK, &v)),
            "/ui/staff" => {
                let shown = query.and_then(|q| {
                    form_urlencoded::parse(q.as_bytes())
                        .find(|(k, _)| k == "invite")
                        .map(|(_, v)| v.into_owned())
                });
                self.staff_view().await.map_or_else(failed, |v| {
                    Answer::html(StatusCode::OK, f.staff(&v, shown.as_deref()))
                })
            }
            "/ui/api/staff" => self
                .staff_view()
                .await
                .map_or_else(failed, |v| Answer::json(StatusCode::OK, &v)),
            "/ui/rules" => self
                .rules_view()
                .await
                .map_or_else(failed, |v| Answer::html(StatusCode::OK, f.rules(&v))),
            "/ui/api/rules" => self
                .rules_view()
                .await
                .map_or_else(failed, |v| Answer::json(StatusCode::OK, &v)),
            "/ui/audit" => {
                let search = Search::parse(query);
                self.audit_view(&search).await.map_or_else(failed, |v| {
                    Answer::html(StatusCode::OK, f.audit(&search, &v))
                })
            }
            "/ui/api/audit" => self
                .audit_view(&Search::parse(query))
                .await
                .map_or_else(failed, |v| Answer::json(StatusCode::OK, &v)),
            _ => Answer::html(
                StatusCode::NOT_FOUND,
                notice(self.language, self.language.page().not_found),
            ),
        }
    }

    /// A Staff tab form, once its CSRF token is checked.
    async fn staff_action(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        s: &Signed,
        path: &str,
    ) -> Answer {
        let form = read_form(req).await;
        if let Some(refused) = self.forbidden(form.as_deref(), Some(&s.csrf)) {
            return refused;
        }
        let form = form.unwrap_or_default();
        match path {
            "/ui/staff/invite" => self.invite(&form, peer).await,
            "/ui/staff/revoke" => self.revoke(&form, peer).await,
            _ => self.unlink(&form, peer).await,
        }
    }

    /// The search's acknowledgements as a CSV file (audited: it takes
    /// names out of the board).
    async fn export(&self, query: Option<&str>, peer: SocketAddr) -> Answer {
        let search = Search::parse(query);
        let view = match self.audit_view(&search).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "page: the store could not be read");
                return Answer::json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &serde_json::json!({ "error": "the store could not be read" }),
                );
            }
        };
        let detail = format!("exported {} acknowledgement(s) as CSV", view.acks.len());
        self.audit(peer, "ui-export", &detail).await;
        Answer {
            status: StatusCode::OK,
            content_type: "text/csv; charset=utf-8",
            body: super::audit::csv(&view.acks, &self.config.time_zone),
            headers: vec![(
                "content-disposition",
                "attachment; filename=\"acknowledgements.csv\"".to_owned(),
            )],
        }
    }

    /// A form's CSRF check: 403 unless its `csrf` field is `expected`.
    fn forbidden(
        &self,
        form: Option<&[(String, String)]>,
        expected: Option<&str>,
    ) -> Option<Answer> {
        let sent = form.and_then(|f| field(f, "csrf"));
        match (sent, expected) {
            (Some(s), Some(e)) if !e.is_empty() && same(s, e) => None,
            _ => Some(Answer::html(
                StatusCode::FORBIDDEN,
                notice(self.language, self.language.page().form_expired),
            )),
        }
    }

    fn login_form(&self, sent: Option<&str>) -> Answer {
        if self.auth.open() {
            return Answer::redirect("/ui/now");
        }
        self.login_answer(StatusCode::OK, None, sent)
    }

    /// The login form with its double-submit token in its cookie: the one
    /// the browser sent, if any (a second tab or a favicon's redirect must
    /// not void the first form), else a new one.
    fn login_answer(
        &self,
        status: StatusCode,
        message: Option<&str>,
        sent: Option<&str>,
    ) -> Answer {
        let sent = sent.filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
        let Ok(csrf) = sent.map_or_else(super::auth::token, |t| Ok(t.to_owned())) else {
            return Answer::json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "error": "no randomness" }),
            );
        };
        Answer::html(status, login(self.language, &csrf, message))
            .with("set-cookie", self.set_cookie(LOGIN, &csrf, Some(3600)))
    }

    async fn login(&self, req: Request<Incoming>, peer: SocketAddr) -> Answer {
        if self.auth.open() {
            return Answer::redirect("/ui/now");
        }
        let expected = cookie(req.headers(), LOGIN).map(str::to_owned);
        let form = read_form(req).await;
        if let Some(refused) = self.forbidden(form.as_deref(), expected.as_deref()) {
            return refused;
        }
        let t = self.language.page();
        if let Gate::Locked(minutes) = self.auth.gate(peer.ip()) {
            self.audit(
                peer,
                "ui-login-refused",
                "locked out after repeated wrong passwords",
            )
            .await;
            let m = crate::text::fill(t.login_locked, &[("minutes", &minutes.to_string())]);
            return self.login_answer(StatusCode::TOO_MANY_REQUESTS, Some(&m), expected.as_deref());
        }
        let password = form
            .as_deref()
            .and_then(|f| field(f, "password"))
            .unwrap_or("")
            .to_owned();
        if !self.auth.check(peer.ip(), password).await {
            self.audit(peer, "ui-login-refused", "wrong password").await;
            if let Gate::Locked(minutes) = self.auth.gate(peer.ip()) {
                self.audit(
                    peer,
                    "ui-locked-out",
                    &format!("locked out for {minutes} min"),
                )
                .await;
            }
            return self.login_answer(
                StatusCode::UNAUTHORIZED,
                Some(t.login_wrong),
                expected.as_deref(),
            );
        }
        let Ok((token, _)) = self.auth.start_session() else {
            return Answer::json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "error": "no randomness" }),
            );
        };
        self.audit(peer, "ui-login", "signed in").await;
        Answer::redirect("/ui/now")
            .with("set-cookie", self.set_cookie(SESSION, &token, None))
            .with("set-cookie", self.set_cookie(LOGIN, "", Some(0)))
    }

    async fn logout(&self, req: Request<Incoming>, peer: SocketAddr, s: &Signed) -> Answer {
        let form = read_form(req).await;
        if let Some(refused) = self.forbidden(form.as_deref(), Some(&s.csrf)) {
            return refused;
        }
        self.auth.end_session(&s.token);
        self.audit(peer, "ui-logout", "signed out").await;
        Answer::redirect("/ui/login").with("set-cookie", self.set_cookie(SESSION, "", Some(0)))
    }
}

//! Routing: which request gets which page, and the access rules around it.
//! Without a session a page redirects to the login form and `/ui/api/…`
//! answers 401; a form without its CSRF token is refused (403) before
//! anything is done; every action is audited.

use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::{HeaderMap, Method, Request, StatusCode};

use super::audit::Search;
use super::server::{read_form, Answer};
use super::templates::{notice, Frame};
use super::{svg, Ui};
use crate::store::operator_audit::PageAction;

pub(super) const SESSION: &str = "klg_session";
pub(super) const LOGIN: &str = "klg_login";

/// The value of cookie `name`, if sent.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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

/// The value of `name` in a query string.
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A form field.
pub(super) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A signed-in request: its session token, CSRF token, and whether the
/// session was made just now (the page is open on this machine).
pub(super) struct Signed {
    pub token: String,
    pub csrf: String,
    pub fresh: bool,
}

impl Ui {
    pub(super) fn set_cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> String {
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
            _ => self.not_found(),
        };
        if s.fresh {
            answer.with("set-cookie", self.set_cookie(SESSION, &s.token, None))
        } else {
            answer
        }
    }

    async fn get(&self, path: &str, query: Option<&str>, csrf: &str) -> Answer {
        let answer = match path.strip_prefix("/ui/api/") {
            Some(what) => self.api(what, query).await,
            None => self.html(path, query, csrf).await,
        };
        answer.unwrap_or_else(|e| self.unavailable(&e))
    }

    /// `/ui/api/…`: the pages' data as JSON (`None`: no such page).
    async fn api(&self, what: &str, query: Option<&str>) -> anyhow::Result<Answer> {
        fn json(v: &impl serde::Serialize) -> Answer {
            Answer::json(StatusCode::OK, v)
        }
        Ok(match what {
            "now" => json(&self.now_view().await?),
            "health" => json(&self.health_view()),
            "cost" => json(&self.cost_view().await?),
            "audit" => json(&self.audit_view(&Search::parse(query)).await?),
            "staff" => json(&self.staff_view().await?),
            "rules" => json(&self.rules_view().await?),
            _ => self.not_found(),
        })
    }

    /// A tab as HTML.
    async fn html(&self, path: &str, query: Option<&str>, csrf: &str) -> anyhow::Result<Answer> {
        let f = self.frame(csrf);
        let page = match path {
            "/ui/now" => f.now(&self.now_view().await?),
            "/ui/health" => f.health(&self.health_view()),
            "/ui/cost" => {
                let v = self.cost_view().await?;
                f.cost(&v, svg::bar_chart(&v.days, self.language.page().cost_chart))
            }
            "/ui/audit" => {
                let search = Search::parse(query);
                f.audit(&search, &self.audit_view(&search).await?)
            }
            "/ui/staff" => f.staff(
                &self.staff_view().await?,
                query_value(query, "invite").as_deref(),
            ),
            "/ui/rules" => f.rules(&self.rules_view().await?),
            _ => return Ok(self.not_found()),
        };
        Ok(Answer::html(StatusCode::OK, page))
    }

    pub(super) fn not_found(&self) -> Answer {
        Answer::html(
            StatusCode::NOT_FOUND,
            notice(self.language, self.language.page().not_found),
        )
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
}

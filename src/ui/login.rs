//! The login form, logging in and out, and the CSRF check every posting
//! form goes through.

use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use super::auth::{same, Gate};
use super::pages::{cookie, field, Signed, LOGIN, SESSION};
use super::server::{read_form, Answer};
use super::templates::{login, notice};
use super::Ui;

impl Ui {
    /// A form's CSRF check: 403 unless its `csrf` field is `expected`.
    pub(super) fn forbidden(
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

    pub(super) fn login_form(&self, sent: Option<&str>) -> Answer {
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

    pub(super) async fn login(&self, req: Request<Incoming>, peer: SocketAddr) -> Answer {
        if self.auth.open() {
            return Answer::redirect("/ui/now");
        }
        let expected = cookie(req.headers(), LOGIN).map(str::to_owned);
        let form = read_form(req).await;
        if let Some(refused) = self.forbidden(form.as_deref(), expected.as_deref()) {
            return refused;
        }
        let t = self.language.page();
        let Some(_turn) = self.auth.turn().await else {
            return self.unavailable(&anyhow::anyhow!("the password check is closed"));
        };
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

    pub(super) async fn logout(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        s: &Signed,
    ) -> Answer {
        let form = read_form(req).await;
        if let Some(refused) = self.forbidden(form.as_deref(), Some(&s.csrf)) {
            return refused;
        }
        self.auth.end_session(&s.token);
        self.audit(peer, "ui-logout", "signed out").await;
        Answer::redirect("/ui/login").with("set-cookie", self.set_cookie(SESSION, "", Some(0)))
    }
}

//! The board's web page: what waits now, whether LINE, kintone, the store
//! and the ingress are healthy, and what this month costs — server-rendered
//! HTML (maud templates compiled into the binary), one small stylesheet, no
//! script; `<meta refresh>` keeps it current. The same data is JSON under
//! `/ui/api/…`.
//!
//! It has its own listener (`[ui] listen`), never the webhook one. Access
//! (`auth`): open on this machine when no password is set; otherwise a
//! login with the argon2-hashed password, a session cookie (`HttpOnly`,
//! `SameSite=Strict`, `Secure` with TLS), a CSRF token in every form, and a
//! lockout after repeated wrong passwords. Every action taken through the
//! page is written to `operator_audit`.
//!
//! `server` serves the requests, `pages` routes them (with the access rules),
//! `login` is the login form and the CSRF check, `auth` the password,
//! sessions and lockout; `data` gathers what *Now* and *Cost* show,
//! `health` the *Health* rows, `audit`, `staff` and `rules` the other tabs;
//! `templates` renders them, `svg` draws the cost chart and QR codes, `flex`
//! renders a Flex bubble as HTML.

mod audit;
mod auth;
mod data;
mod flex;
mod health;
mod login;
mod pages;
mod rules;
mod server;
mod staff;
mod svg;
mod templates;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use auth::{hash_password, AFTER_PASSWORD_CHECK};
pub use data::KINTONE_DAILY_LIMIT;
pub use health::DISK_ROOM;

use crate::clock::Clock;
use crate::config::live::Live;
use crate::config::rules::Rule;
use crate::config::ui::UiConfig;
use crate::config::Config;
use crate::line::client::LineClient;
use crate::metrics::Metrics;
use crate::service::Heartbeats;
use crate::store::Store;
use crate::text::Language;

/// What the page reads from.
pub struct UiParts {
    pub config: Arc<Config>,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    /// For the bot's basic ID (the Staff tab's add-friend QR code).
    pub line: LineClient,
    /// The rules as they are now (a reload swaps them).
    pub rules: Live<Vec<Rule>>,
    /// When each loop last went round (the watchdog's view).
    pub beats: Arc<Heartbeats>,
    /// `[server]`'s TLS acceptor: the page is served over TLS when the
    /// webhooks are.
    pub tls: Option<Live<tokio_rustls::TlsAcceptor>>,
    /// How webhooks arrive (`HTTP`, `Pub/Sub`, `HTTP + Pub/Sub`).
    pub ingress: String,
}

/// The page's state.
pub(crate) struct Ui {
    config: Arc<Config>,
    store: Store,
    metrics: Arc<Metrics>,
    clock: Clock,
    language: Language,
    ingress: String,
    secure: bool,
    auth: auth::Auth,
    line: LineClient,
    rules: Live<Vec<Rule>>,
    beats: Arc<Heartbeats>,
    /// The bot's basic ID, once LINE said it.
    basic_id: tokio::sync::OnceCell<String>,
}

/// Starts serving the page on `listener` under `tasks`; returns its address.
///
/// # Errors
/// The listener has no local address.
pub fn spawn(
    settings: &UiConfig,
    parts: UiParts,
    listener: TcpListener,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
    grace: Duration,
) -> std::io::Result<SocketAddr> {
    let addr = server::bound(&listener)?;
    let ui = Arc::new(Ui {
        language: parts.config.language,
        secure: parts.tls.is_some(),
        auth: auth::Auth::new(settings, parts.clock.clone()),
        config: parts.config,
        store: parts.store,
        metrics: parts.metrics,
        clock: parts.clock,
        ingress: parts.ingress,
        line: parts.line,
        rules: parts.rules,
        beats: parts.beats,
        basic_id: tokio::sync::OnceCell::new(),
    });
    tasks.spawn(server::serve(
        listener,
        parts.tls,
        ui,
        shutdown.clone(),
        grace,
    ));
    Ok(addr)
}

//! The office's view of the gateway: an LED, a buzzer and a button.
//!
//! - LED off: nothing waits. On: notifications wait to be acknowledged.
//!   Fast blink: trouble (LINE or kintone unreachable for longer than
//!   `trouble_after`, Pub/Sub for longer than `[ingress.pubsub]
//!   trouble_after`, quota exhausted, dead-lettered messages, store errors).
//!   Trouble wins over pending and clears when its cause does.
//! - Buzzer: a pattern for each new notification whose rule has `buzz`, an
//!   optional reminder, silent in quiet hours; every pattern ends.
//! - Button: a short press silences the buzzer until the next notification;
//!   a long press acknowledges everything pending ([`panel`]).
//!
//! Rule kept: one task ([`actor`]) owns the lines; everything else holds an
//! [`IndicatorHandle`]. The [`link`] task turns the store and the loops'
//! events into commands, so the LED state is derived from the store and
//! survives restarts. Hardware faults are logged, shown in the status line,
//! retried, and never stop the other loops.

pub mod actor;
pub mod backend;
#[cfg(target_os = "linux")]
pub mod gpio;
pub mod light;
pub mod link;
pub mod panel;
pub mod program;
#[cfg(feature = "rppal")]
pub mod rppal;

use std::future::Future;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use crate::config::indicator::IndicatorConfig;
pub use backend::{Backend, HwEvent, Output};

use crate::metrics::Metrics;

/// Wall-clock time for quiet hours (tests drive it from paused tokio time).
pub type Clock = Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(jiff::Timestamp::now)
}

/// What the store and the loops say, as the LED needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Unacknowledged notifications.
    pub pending: i64,
    pub line_down: bool,
    pub kintone_down: bool,
    /// The last pull from Pub/Sub failed.
    pub pubsub_down: bool,
    pub quota_exhausted: bool,
    /// Dead-lettered pushes whose notification is still unacknowledged.
    pub dead_letters: i64,
    /// The store could not be read.
    pub store_error: bool,
}

/// A message to the indicator task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The current state of things (sent regularly and after every event).
    Snapshot(Snapshot),
    /// New notifications went out; `buzz` if any of their rules wants sound.
    Notified { buzz: bool },
    /// A hardware event (button edges also arrive this way in tests).
    Hardware(HwEvent),
    /// A reload's `[indicator]`: patterns, reminder, quiet hours and
    /// timings take effect; the backend and the lines stay as opened.
    Settings(Box<IndicatorConfig>),
}

/// What a long press asks the link task to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelRequest {
    AcknowledgeAll,
}

/// A cheap, cloneable way to talk to the indicator task.
#[derive(Debug, Clone)]
pub struct IndicatorHandle {
    tx: mpsc::Sender<Command>,
}

impl IndicatorHandle {
    /// Sends a command; a stopped indicator is not an error for the caller.
    pub async fn send(&self, c: Command) {
        let _ = self.tx.send(c).await;
    }

    /// Reports the current state of things.
    pub async fn snapshot(&self, s: Snapshot) {
        self.send(Command::Snapshot(s)).await;
    }

    /// Reports new notifications.
    pub async fn notified(&self, buzz: bool) {
        self.send(Command::Notified { buzz }).await;
    }

    /// New patterns and timings from a reload (from sync code: the queue
    /// has room for 64 commands; `false` if it had none, or it stopped).
    pub fn retune(&self, cfg: IndicatorConfig) -> bool {
        self.tx.try_send(Command::Settings(Box::new(cfg))).is_ok()
    }

    /// A button edge, as the hardware would report it.
    pub async fn button(&self, pressed: bool) {
        self.send(Command::Hardware(HwEvent::Button(pressed))).await;
    }
}

/// Builds the indicator task: returns its handle and the future to spawn.
/// `panel` receives long-press requests (see [`link`]).
pub fn start(
    cfg: IndicatorConfig,
    zone: jiff::tz::TimeZone,
    backend: Box<dyn Backend>,
    clock: Clock,
    metrics: Arc<Metrics>,
    panel: Option<mpsc::Sender<PanelRequest>>,
    shutdown: CancellationToken,
) -> (IndicatorHandle, impl Future<Output = ()> + Send) {
    let (tx, rx) = mpsc::channel(64);
    let actor = actor::Actor::new(cfg, zone, backend, clock, metrics, panel);
    (IndicatorHandle { tx }, actor.run(rx, shutdown))
}

/// What the daemon hands the indicator.
pub struct Wiring {
    pub config: Arc<crate::config::Config>,
    /// The apps as they are now (a reload swaps tokens and texts).
    pub apps: crate::config::live::Live<Vec<crate::config::AppConfig>>,
    pub store: crate::store::Store,
    pub kintone: crate::kintone::client::KintoneClient,
    pub metrics: Arc<Metrics>,
    pub acks: tokio::sync::broadcast::Sender<crate::acknowledge::AckEvent>,
    pub notifications: tokio::sync::broadcast::Sender<crate::notify::NotifyEvent>,
    pub clock: crate::clock::Clock,
}

/// Starts the indicator task and its link on `tasks`; both stop (outputs
/// off) when `shutdown` is cancelled.
pub fn spawn(
    cfg: IndicatorConfig,
    w: Wiring,
    tasks: &tokio_util::task::TaskTracker,
    shutdown: &CancellationToken,
) -> IndicatorHandle {
    let backend = backend::build(&cfg).unwrap_or_else(|e| {
        tracing::error!(error = %e, "indicator backend unavailable; running without lights");
        w.metrics
            .indicator_fault
            .store(1, std::sync::atomic::Ordering::Relaxed);
        Box::new(backend::NoHardware)
    });
    let (requests_tx, requests) = mpsc::channel(1);
    let (handle, actor) = start(
        cfg,
        w.config.time_zone.clone(),
        backend,
        system_clock(),
        w.metrics.clone(),
        Some(requests_tx),
        shutdown.clone(),
    );
    tasks.spawn(actor);
    let link = link::Link {
        store: w.store.clone(),
        metrics: w.metrics.clone(),
        indicator: handle.clone(),
        notifications: w.notifications.subscribe(),
        acks: w.acks.subscribe(),
        requests,
        panel: panel::Panel {
            config: w.config,
            apps: w.apps,
            store: w.store,
            kintone: w.kintone,
            metrics: w.metrics,
            events: w.acks,
            clock: w.clock,
        },
    };
    tasks.spawn(link.run(shutdown.clone()));
    handle
}

/// The configured indicator lines must exist on this board.
pub fn check_hardware(
    config: &IndicatorConfig,
    language: crate::text::Language,
) -> Vec<crate::config::reader::Problem> {
    crate::config::indicator::check_lines(config, hardware_lines(), language)
}

/// This board's GPIO lines, for `check-config` to check the config against.
pub fn hardware_lines() -> &'static dyn crate::config::indicator::LineLookup {
    #[cfg(target_os = "linux")]
    return &crate::indicator::gpio::SystemLines;
    #[cfg(not(target_os = "linux"))]
    return &NoLines;
}

#[cfg(not(target_os = "linux"))]
struct NoLines;

#[cfg(not(target_os = "linux"))]
impl crate::config::indicator::LineLookup for NoLines {
    fn find(
        &self,
        _: &crate::config::indicator::LineRef,
    ) -> Result<(), crate::config::indicator::LineMissing> {
        Err(crate::config::indicator::LineMissing::NeedsLinux)
    }
}

#[cfg(test)]
mod tests;

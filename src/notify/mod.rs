//! The notification loop: kintone changes (by webhook and by polling) become
//! notifications, which become LINE pushes.
//!
//! `intake` takes webhooks (a hint, stored before the answer); `poll` is the
//! safety net that also sets each app's baseline (`budget`: what it costs);
//! `changes` re-reads hinted records; `examine` judges them — `detect`
//! decides on the stored state, `card` renders the cards, and the store
//! keeps the verdict; `pacing` decides when each recipient's cards go, and
//! `outbox` packs them into push requests and sends those with retry keys.

pub mod budget;
pub mod card;
pub mod chain;
pub mod changes;
pub mod detect;
pub mod examine;
pub mod intake;
pub mod outbox;
pub mod pacing;
pub mod poll;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::live::Live;
use crate::config::rules::Rule;
use crate::config::{AppConfig, Config};
use crate::domain::AppId;
use crate::kintone::client::KintoneClient;
use crate::metrics::Metrics;
use crate::store::Store;
use detect::Judge;

/// What happened that the indicator and status care about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyEvent {
    /// Notifications were created; `buzz` if any rule wants the buzzer.
    Created { count: usize, buzz: bool },
}

/// Each app's `poll_interval`, as the config says.
pub fn poll_intervals(config: &Config) -> HashMap<AppId, std::time::Duration> {
    config
        .kintone
        .apps
        .iter()
        .map(|a| (a.id, a.poll_interval))
        .collect()
}

/// Shared by the notification loop's tasks.
pub struct NotifyContext {
    pub config: Arc<Config>,
    /// The rules (with their recipients and templates); a reload swaps them.
    pub rules: Live<Vec<Rule>>,
    pub store: Store,
    pub kintone: KintoneClient,
    pub metrics: Arc<Metrics>,
    /// Woken when there are changes to examine.
    pub changes_wake: Arc<Notify>,
    /// Woken when there are deliveries to push.
    pub outbox_wake: Arc<Notify>,
    /// Woken when notifications were made (their chains may be due first).
    pub chain_wake: Arc<Notify>,
    pub events: tokio::sync::broadcast::Sender<NotifyEvent>,
    /// The watchdog checks that the loops keep going round.
    pub beats: Arc<crate::service::Heartbeats>,
    /// Retries run on its steady timeline.
    pub clock: crate::clock::Clock,
    /// `[notify] fallback`, in the store's terms.
    pub fallback: Vec<crate::store::recipients::RecipientKey>,
    /// Each app's `poll_interval`; a reload swaps them (and wakes the
    /// pollers, so a shorter interval counts from the reload).
    pub poll_intervals: Live<HashMap<AppId, std::time::Duration>>,
    /// `[[kintone.apps]]` as they are now (a reload swaps tokens and texts).
    pub apps: Live<Vec<AppConfig>>,
    urls: HashMap<AppId, String>,
}

impl NotifyContext {
    pub fn new(
        config: Arc<Config>,
        rules: Live<Vec<Rule>>,
        store: Store,
        kintone: KintoneClient,
        metrics: Arc<Metrics>,
        events: tokio::sync::broadcast::Sender<NotifyEvent>,
        beats: Arc<crate::service::Heartbeats>,
    ) -> NotifyContext {
        let k = &config.kintone;
        let space = k
            .guest_space
            .map(|g| format!("guest/{g}/"))
            .unwrap_or_default();
        let urls = k
            .apps
            .iter()
            .map(|a| {
                (
                    a.id,
                    format!("{}/k/{space}{}/show#record=", k.base_url, a.id),
                )
            })
            .collect();
        // Shared with the store: a resolved write-back releases the changes
        // it held there and wakes the change worker.
        let changes_wake = store.changes_wake();
        let poll_intervals = Live::new(poll_intervals(&config));
        let apps = Live::new(config.kintone.apps.clone());
        NotifyContext {
            config,
            rules,
            store,
            kintone,
            metrics,
            changes_wake,
            outbox_wake: Arc::new(Notify::new()),
            chain_wake: Arc::new(Notify::new()),
            events,
            beats,
            clock: crate::clock::Clock::system(),
            fallback: Vec::new(),
            poll_intervals,
            apps,
            urls,
        }
    }

    /// The same context reading its poll intervals from `cell` (the daemon's,
    /// which a reload swaps).
    #[must_use]
    pub fn with_poll_intervals(mut self, cell: Live<HashMap<AppId, std::time::Duration>>) -> Self {
        self.poll_intervals = cell;
        self
    }

    /// The same context reading its apps from `cell` (the daemon's, which a
    /// reload swaps).
    #[must_use]
    pub fn with_apps(mut self, cell: Live<Vec<AppConfig>>) -> Self {
        self.apps = cell;
        self
    }

    /// The same context on `clock` (tests and the demo simulate a wrong one).
    #[must_use]
    pub fn with_clock(mut self, clock: crate::clock::Clock) -> NotifyContext {
        self.clock = clock;
        self
    }

    /// The same context sending what reaches nobody to `fallback`.
    #[must_use]
    pub fn with_fallback(mut self, fallback: &[crate::config::rules::Recipient]) -> NotifyContext {
        self.fallback = examine::fixed_keys(fallback);
        self
    }

    /// Rules watching `app`, as they are now: the caller keeps them for the
    /// record at hand, so a reload never changes a judgement half-way.
    pub fn rules_for(&self, app: AppId) -> Vec<Rule> {
        self.rules
            .get()
            .iter()
            .filter(|r| r.app == app)
            .cloned()
            .collect()
    }

    /// Builds the judge for an app; `None` if the app is not configured.
    pub fn judge<'a>(
        &'a self,
        app: &'a AppConfig,
        rules: &'a [Rule],
        title_hint: Option<&'a str>,
    ) -> Judge<'a> {
        Judge {
            app: app.id,
            app_name: &app.name,
            site: &self.config.site,
            record_url: self.urls.get(&app.id).map_or("", String::as_str),
            title_field: app.title_field.as_deref(),
            title_hint,
            rules,
            language: self.config.language,
            fallback: &self.fallback,
        }
    }
}

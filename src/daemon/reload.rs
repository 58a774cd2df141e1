//! Reload without a restart (SIGHUP): the parts of the config that can
//! change live are held in [`Live`] cells made here once; a reload re-reads
//! and validates the whole file and its secrets, swaps those cells, and names
//! what else changed as needing a restart. A config with problems changes
//! nothing: the gateway keeps running on the one it has and logs them all.
//!
//! A key joins the live set by being read through a [`Live`] cell that
//! [`Reloader::apply`] swaps, and by its prefix in [`LIVE`].

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_rustls::TlsAcceptor;

use crate::config::changes::changed_keys;
use crate::config::live::Live;
use crate::config::notify_api::ApiToken;
use crate::config::rules::{AckBy, Rule};
use crate::config::setup::Setup;
use crate::config::{AppConfig, Config, ConfigErrors, TokenConfig};
use crate::domain::AppId;
use crate::http;
use crate::indicator::IndicatorHandle;
use crate::line::token::AccessTokenProvider;
use crate::notify::poll_intervals;
use crate::secret::Rotation;

/// The keys (and everything under them) that take effect on reload.
pub const LIVE: &[&str] = &[
    "rules",
    "notify_api",
    "line.access_token",
    "indicator.buzzer_pattern",
    "indicator.reminder_pattern",
    "indicator.reminder",
    "indicator.quiet_hours",
    "indicator.time_zone",
    "indicator.trouble_after",
    "indicator.long_press",
    "indicator.debounce",
    "ingress.pubsub.trouble_after",
    "line.channel_secret",
    "server.relay_token",
    "server.tls_cert",
    "server.tls_key",
    "kintone.apps[].poll_interval",
    "kintone.apps[].allow_over_budget",
    // The same apps (ids, in order) with new tokens or texts; adding or
    // removing an app needs a restart (a poller per app).
    "kintone.apps[].name",
    "kintone.apps[].api_token",
    "kintone.apps[].basic_auth",
    "kintone.apps[].webhook_token",
    "kintone.apps[].webhook_reread",
    "kintone.apps[].ack",
];

/// The cells the loops read the live parts through.
pub(super) struct LiveParts {
    pub channel_secret: Live<Rotation>,
    pub relay_token: Live<Option<Rotation>>,
    /// Only with TLS: turning it on or off needs a restart.
    pub tls: Option<Live<TlsAcceptor>>,
    pub rules: Live<Vec<Rule>>,
    pub ack_by: Live<HashMap<String, AckBy>>,
    /// Rules whose first acknowledgement is told to the other recipients.
    pub tell_others: Live<HashSet<String>>,
    pub poll_intervals: Live<HashMap<AppId, Duration>>,
    /// `/api/notify`'s tokens: added, removed or rotated by a reload.
    pub notify_api: Live<Vec<ApiToken>>,
    /// `[[kintone.apps]]`: each app's tokens, name and acknowledgement
    /// texts as they are now (the same apps as at start).
    pub apps: Live<Vec<AppConfig>>,
}

impl LiveParts {
    /// The cells at start.
    ///
    /// # Errors
    /// The TLS files are unusable.
    pub(super) fn new(
        config: &Config,
        rules: &[Rule],
        api_tokens: Vec<ApiToken>,
    ) -> anyhow::Result<LiveParts> {
        let tls = match &config.server.tls {
            Some(files) => Some(Live::new(http::load_tls(files)?)),
            None => None,
        };
        Ok(LiveParts {
            channel_secret: Live::new(config.line.channel_secret.clone()),
            relay_token: Live::new(config.server.relay_token.clone()),
            tls,
            rules: Live::new(rules.to_vec()),
            ack_by: Live::new(ack_by_rule(rules)),
            tell_others: Live::new(telling_others(rules)),
            poll_intervals: Live::new(poll_intervals(config)),
            notify_api: Live::new(api_tokens),
            apps: Live::new(config.kintone.apps.clone()),
        })
    }
}

/// Per rule name, who may acknowledge; two rules with one name: the
/// stricter setting wins.
pub(super) fn ack_by_rule(rules: &[Rule]) -> HashMap<String, AckBy> {
    rules.iter().fold(HashMap::new(), |mut by, r| {
        let e = by.entry(r.name.clone()).or_insert(r.ack_by);
        *e = (*e).min(r.ack_by);
        by
    })
}

/// The names of the rules with `tell_others = true`.
pub(super) fn telling_others(rules: &[Rule]) -> HashSet<String> {
    rules
        .iter()
        .filter(|r| r.tell_others)
        .map(|r| r.name.clone())
        .collect()
}

/// What a reload did, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reloaded {
    /// Changed and in effect now.
    pub live: Vec<String>,
    /// Changed (since the start) but in effect only after a restart.
    pub restart: Vec<String>,
}

impl Reloaded {
    /// One line for the log (`STATUS=` says it in the site's language).
    pub fn summary(&self) -> String {
        crate::service::reloaded_line(crate::text::Language::En, &self.live, &self.restart)
    }
}

/// Why a reload changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The file has problems: fix them and reload again.
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// The new TLS certificate or key cannot be used: fix the files.
    #[error("server.tls_cert / server.tls_key: {0}")]
    Tls(#[from] http::TlsError),
}

/// The setup the gateway started with and the one last applied.
pub(super) struct Reloader {
    pub live: LiveParts,
    /// The LINE client's token source: a reissued long-lived token is
    /// swapped in there.
    line_token: Arc<AccessTokenProvider>,
    /// The indicator task: a reload's patterns and timings go to it.
    indicator: IndicatorHandle,
    started: Setup,
    applied: Mutex<Setup>,
}

impl Reloader {
    pub(super) fn new(
        live: LiveParts,
        started: Setup,
        line_token: Arc<AccessTokenProvider>,
        indicator: IndicatorHandle,
    ) -> Reloader {
        Reloader {
            live,
            line_token,
            indicator,
            applied: Mutex::new(started.clone()),
            started,
        }
    }

    /// Reads, validates and applies the file at `path`.
    pub(super) fn reload_file(&self, path: &Path) -> Result<Reloaded, ReloadError> {
        let mut new = Setup::load(path)?;
        new.clock = self.started.clock.clone();
        self.apply(new)
    }

    /// Swaps the live parts to `new` (already validated); what else differs
    /// from the start is named as needing a restart.
    pub(super) fn apply(&self, new: Setup) -> Result<Reloaded, ReloadError> {
        let tls = match (&self.live.tls, &new.config.server.tls) {
            (Some(_), Some(files)) => Some(http::load_tls(files)?),
            _ => None,
        };
        let mut applied = self
            .applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut live: Vec<String> = changed_keys(&applied, &new)
            .into_iter()
            .filter(|k| is_live(k) && !switched(k, &self.started, &new))
            .collect();
        let mut restart: Vec<String> = changed_keys(&self.started, &new)
            .into_iter()
            .filter(|k| !is_live(k) || switched(k, &self.started, &new))
            .collect();
        restart.extend(newly_watched(&self.started.rules, &new.rules));
        if let (Some(cell), Some(acceptor)) = (&self.live.tls, tls) {
            // A renewed certificate is usually the same path: always re-read.
            cell.set(acceptor);
            if !live.iter().any(|k| k.starts_with("server.tls")) {
                live.push("server.tls_cert (re-read)".into());
            }
        }
        self.live
            .channel_secret
            .set(new.config.line.channel_secret.clone());
        self.live
            .relay_token
            .set(new.config.server.relay_token.clone());
        self.live.ack_by.set(ack_by_rule(&new.rules));
        self.live.tell_others.set(telling_others(&new.rules));
        self.live.rules.set(new.rules.clone());
        if let TokenConfig::LongLived(token) = &new.config.line.token {
            // A stateless provider says no: that switch needs a restart.
            self.line_token.replace_long_lived(token.clone());
        }
        self.live.notify_api.set(new.notify_api.tokens.clone());
        if same_apps(&self.started.config, &new.config) {
            self.live.apps.set(new.config.kintone.apps.clone());
        }
        if new.indicator != applied.indicator && !self.indicator.retune(new.indicator.clone()) {
            tracing::warn!("the indicator did not take the reloaded [indicator] settings; they apply after a restart");
        }
        let intervals = poll_intervals(&new.config);
        // Only a real change wakes the pollers.
        if *self.live.poll_intervals.get() != intervals {
            self.live.poll_intervals.set(intervals);
        }
        *applied = new;
        Ok(Reloaded { live, restart })
    }
}

/// Whether `key` is (under) a [`LIVE`] key; `[]` there stands for any index.
fn is_live(key: &str) -> bool {
    let key = without_indices(key);
    LIVE.iter().any(|l| {
        key.strip_prefix(l)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

/// `kintone.apps[0].poll_interval` → `kintone.apps[].poll_interval`.
fn without_indices(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut in_index = false;
    for c in key.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push(c);
            }
            ']' => {
                in_index = false;
                out.push(c);
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// The same apps, by id and in order, as the gateway started with.
fn same_apps(started: &Config, new: &Config) -> bool {
    let ids = |c: &Config| c.kintone.apps.iter().map(|a| a.id).collect::<Vec<_>>();
    ids(started) == ids(new)
}

/// TLS turned on or off (the listener speaks another protocol), the LINE
/// token changed kind (long-lived ↔ issued from `channel_id`), or the apps
/// are not the same ones: a restart.
fn switched(key: &str, started: &Setup, new: &Setup) -> bool {
    let long_lived = |s: &Setup| matches!(s.config.line.token, TokenConfig::LongLived(_));
    (key.starts_with("server.tls")
        && started.config.server.tls.is_some() != new.config.server.tls.is_some())
        || (key == "line.access_token" && long_lived(started) != long_lived(new))
        || (key.starts_with("kintone.apps") && !same_apps(&started.config, &new.config))
}

/// Apps a new rule watches that no rule did at start: polling for them
/// starts with the next start (each app's poller is spawned then); their
/// webhooks are judged by the new rules at once.
fn newly_watched(started: &[Rule], new: &[Rule]) -> Vec<String> {
    let mut apps: Vec<AppId> = Vec::new();
    for r in new {
        if !started.iter().any(|s| s.app == r.app) && !apps.contains(&r.app) {
            apps.push(r.app);
        }
    }
    apps.into_iter()
        .map(|a| format!("rules (polling app {a}, newly watched)"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_live;

    #[test]
    fn live_keys_are_whole_prefixes() {
        assert!(is_live("rules"));
        assert!(is_live("rules[2].recipients"));
        assert!(is_live("line.channel_secret"));
        assert!(!is_live("line.channel_secrets"));
        assert!(!is_live("server.listen"));
        assert!(!is_live("state_dir"));
        assert!(is_live("kintone.apps[3].poll_interval"));
        assert!(is_live("kintone.apps[3].api_token"));
        assert!(!is_live("kintone.apps[3].id"));
        assert!(!is_live("kintone.apps"));
    }
}

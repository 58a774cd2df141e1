//! The LINE and kintone clients, built from the config (also by `doctor`).

use crate::config::{Config, TokenConfig};
use crate::kintone::client::KintoneClient;
use crate::line::client::LineClient;
use crate::line::token::AccessTokenProvider;
use crate::metrics::Metrics;
use crate::store::Store;

/// The two service clients, built once and shared by the loops.
pub(super) struct Clients {
    pub(super) line: LineClient,
    pub(super) kintone: KintoneClient,
}

/// Builds the LINE client the config describes.
///
/// # Errors
/// The HTTP client could not be built.
pub fn line_client(config: &Config) -> anyhow::Result<LineClient> {
    let line = &config.line;
    let token = match &line.token {
        TokenConfig::LongLived(t) => AccessTokenProvider::long_lived(t.clone()),
        TokenConfig::Stateless { channel_id } => AccessTokenProvider::stateless(
            &line.api_base,
            channel_id.clone(),
            // LINE issues tokens against the channel secret it has now: the new one.
            line.channel_secret.current().clone(),
            line.timeout,
        )?,
    };
    Ok(LineClient::new(&line.api_base, token, line.timeout)?)
}

/// Builds the kintone client the config describes.
///
/// # Errors
/// The HTTP client could not be built.
pub fn kintone_client(config: &Config) -> anyhow::Result<KintoneClient> {
    let k = &config.kintone;
    Ok(KintoneClient::new(&k.base_url, k.guest_space, k.timeout)?)
}

/// Builds both clients; the kintone one counts its requests into today's
/// usage, carried over from the last run's saved counts.
pub(super) async fn build_clients(
    config: &Config,
    store: &Store,
    metrics: &Metrics,
) -> anyhow::Result<Clients> {
    let line = line_client(config)?.with_contact(metrics.line_contact.clone());
    let kintone = kintone_client(config)?
        .with_usage(metrics.kintone_usage.clone())
        .with_contact(metrics.kintone_contact.clone())
        .with_app_contacts(metrics.kintone_apps.clone());
    if let Ok(Some(saved)) = store.kintone_usage().await {
        metrics
            .kintone_usage
            .restore(&saved, crate::clock::now_ms());
    }
    Ok(Clients { line, kintone })
}

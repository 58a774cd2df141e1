//! Reload without a restart (SIGHUP): the parts of the config that can
//! change live are held in [`Live`] cells made here once; a reload re-reads
//! and validates the whole file and its secrets, swaps those cells, and names
//! what else changed as needing a restart.

use tokio_rustls::TlsAcceptor;

use crate::config::live::Live;
use crate::config::Config;
use crate::http;
use crate::secret::Rotation;

/// The cells the loops read the live parts through.
pub(super) struct LiveParts {
    pub channel_secret: Live<Rotation>,
    pub relay_token: Live<Option<Rotation>>,
    /// Only with TLS: turning it on or off needs a restart.
    pub tls: Option<Live<TlsAcceptor>>,
}

impl LiveParts {
    /// The cells at start.
    ///
    /// # Errors
    /// The TLS files are unusable.
    pub(super) fn new(config: &Config) -> anyhow::Result<LiveParts> {
        let tls = match &config.server.tls {
            Some(files) => Some(Live::new(http::load_tls(files)?)),
            None => None,
        };
        Ok(LiveParts {
            channel_secret: Live::new(config.line.channel_secret.clone()),
            relay_token: Live::new(config.server.relay_token.clone()),
            tls,
        })
    }
}

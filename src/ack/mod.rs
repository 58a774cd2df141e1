//! The acknowledgement loop: a staff member's postback becomes a kintone
//! write-back and a Reply, exactly once, even across crashes.
//!
//! The worker takes due events from the inbox (oldest first, a bounded number
//! at a time), and each event's progress is stored as it goes: a restart
//! resumes where it stopped, never repeating a comment or a reply.

mod handle;
mod onboarding;
pub mod postback;
pub mod respond;
pub mod writeback;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::kintone::client::KintoneClient;
use crate::line::client::LineClient;
use crate::metrics::Metrics;
use crate::store::{now_ms, Store};

pub(crate) use handle::template_times;

/// An app's credentials as the kintone client takes them.
pub fn app_auth(app: &crate::config::AppConfig) -> crate::kintone::client::AppAuth {
    handle::auth(app)
}

/// Events handled at once. Most of an event's time is spent waiting for the
/// store's group commits, not for kintone; the kintone client itself keeps
/// requests under kintone's 100 concurrent per domain
/// ([`crate::kintone::client::MAX_IN_FLIGHT`]).
const CONCURRENCY: usize = 256;
/// Even with no wake-up, look for due retries this often.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Something the acknowledgement loop reports to the rest of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckEvent {
    /// A notification was acknowledged (the indicator re-reads pending count).
    Acknowledged { notification: String },
}

/// What the worker needs; shared by all its tasks.
pub struct AckContext {
    pub config: Arc<Config>,
    pub store: Store,
    pub line: LineClient,
    pub kintone: KintoneClient,
    pub metrics: Arc<Metrics>,
    /// Told about acknowledgements (indicator, status).
    pub events: tokio::sync::broadcast::Sender<AckEvent>,
    /// The watchdog checks that this loop keeps going round.
    pub beats: Arc<crate::service::Heartbeats>,
}

/// Runs until `shutdown`; in-flight events finish (their progress is stored
/// either way).
pub async fn run(ctx: Arc<AckContext>, wake: Arc<Notify>, shutdown: CancellationToken) {
    let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let mut tasks = JoinSet::new();
    loop {
        crate::service::Heartbeats::tick(&ctx.beats.ack);
        while tasks.try_join_next().is_some() {}
        let room = CONCURRENCY.saturating_sub(tasks.len());
        let mut started = 0;
        if room > 0 {
            match ctx
                .store
                // The oldest due rows include the ones in flight: ask for
                // enough to find `room` new ones behind them.
                .inbox_due(now_ms(), i64::try_from(tasks.len() + room).unwrap_or(64))
                .await
            {
                Ok(rows) => {
                    for row in rows {
                        if started == room {
                            break;
                        }
                        let fresh = in_flight
                            .lock()
                            .map(|mut s| s.insert(row.seq))
                            .unwrap_or(false);
                        if !fresh {
                            continue;
                        }
                        started += 1;
                        let ctx = ctx.clone();
                        let in_flight = in_flight.clone();
                        tasks.spawn(async move {
                            let seq = row.seq;
                            handle::process(&ctx, row).await;
                            if let Ok(mut s) = in_flight.lock() {
                                s.remove(&seq);
                            }
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read the inbox"),
            }
        }
        if started > 0 {
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = wake.notified() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
    while tasks.join_next().await.is_some() {}
}

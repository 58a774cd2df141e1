//! Webhooks pulled from Google Cloud Pub/Sub: the transport beside the HTTP
//! server, for boards nothing can reach from outside.
//!
//! The relay publishes each webhook's exact bytes with attributes (`source`,
//! `signature`, `site`, and the SHA-256 of a token, never the token:
//! `kintone_token_sha256`, `authorization_sha256`), and so each LINE Notify
//! call (`source = notify_api`: its form and its bearer token's digest);
//! each message goes to the same
//! handler the HTTP server calls, and its answer decides the message's fate:
//! 2xx (committed) → acknowledge; 4xx (bad signature, malformed, unknown
//! token) → acknowledge too, as poison is never worth redelivering; 5xx →
//! hand it back so Pub/Sub delivers it again. A message for another site is
//! acknowledged untouched (the emulator ignores subscription filters).

mod batch;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::ingress::PubsubSettings;
use crate::http::{KintoneWebhooks, LineWebhooks, NotifyApi};
use crate::metrics::Metrics;
use crate::pubsub::{PubsubClient, PubsubError};
use crate::store::Store;

/// What the pull loop needs.
pub struct PullContext {
    pub client: PubsubClient,
    pub settings: PubsubSettings,
    /// Our site key (`site` in the config); messages naming another are
    /// not ours.
    pub site: String,
    pub line: Arc<dyn LineWebhooks>,
    /// None when no app takes kintone webhooks: such messages are refused.
    pub kintone: Option<Arc<dyn KintoneWebhooks>>,
    /// LINE Notify calls the relay published (`source = notify_api`).
    pub notify_api: Arc<dyn NotifyApi>,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    /// Asked before and after each message: while its file is gone nothing
    /// is acknowledged (Pub/Sub delivers it again).
    pub store: Store,
    /// Tells the watchdog the loop went round.
    pub beat: Box<dyn Fn() + Send + Sync>,
}

/// How many of the largest messages the relay publishes (1 MiB of data,
/// base64 in the answer, with room for attributes) fit in one answer.
const RELAY_SIZED: u32 =
    (crate::pubsub::ANSWER_LIMIT / (crate::http::BODY_LIMIT / 3 * 4 + 8192)) as u32;
/// How long pulls ask for fewer messages after an answer too large to read:
/// twice the longest ack deadline Pub/Sub allows, by when every message of
/// that answer has come back.
const NARROWED_FOR: Duration = Duration::from_secs(2 * 600);

/// Every Pub/Sub call but the long poll ends within this.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the client the settings describe.
///
/// # Errors
/// The key is unusable.
pub fn client(s: &PubsubSettings, timeout: Duration) -> Result<PubsubClient, PubsubError> {
    PubsubClient::new(
        &s.api_base,
        &s.project,
        &s.subscription,
        s.credentials.as_ref(),
        timeout,
    )
}

/// What `doctor` found of the subscription (it says it in the config's
/// language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub subscription: String,
    pub topic: String,
    /// The subscription's filter, empty when it has none.
    pub filter: String,
    pub ack_deadline_s: u64,
    /// Messages waiting, counted up to [`PEEK_MAX`].
    pub waiting: usize,
    /// Whether more may wait than were counted.
    pub more: bool,
}

/// How many waiting messages `doctor` counts at most.
pub const PEEK_MAX: u32 = 1000;

/// `doctor`'s look: the subscription exists, the credentials may pull, and
/// how many messages wait.
///
/// # Errors
/// What is wrong, in Pub/Sub's words.
pub async fn check(s: &PubsubSettings) -> Result<Found, String> {
    let c = client(s, TIMEOUT).map_err(|e| e.to_string())?;
    let sub = c.subscription().await.map_err(|e| e.to_string())?;
    let (waiting, more) = c.peek(PEEK_MAX).await.map_err(|e| e.to_string())?;
    Ok(Found {
        subscription: s.subscription.clone(),
        topic: sub.topic,
        filter: sub.filter,
        ack_deadline_s: sub.ack_deadline_s,
        waiting,
        more,
    })
}

/// Pulls and handles until `shutdown`; a batch in hand is finished first.
pub async fn run(ctx: Arc<PullContext>, shutdown: CancellationToken) {
    tracing::info!(
        project = %ctx.settings.project,
        subscription = %ctx.settings.subscription,
        "pulling webhooks from Pub/Sub"
    );
    ctx.metrics.pubsub.running.store(1, Ordering::Relaxed);
    let mut failures = 0u32;
    // After an answer too large to read: fewer messages a pull, until then
    // (steady ms).
    let mut narrowed = (ctx.settings.max_messages, i64::MIN);
    loop {
        (ctx.beat)();
        let max = if ctx.clock.steady_ms() < narrowed.1 {
            narrowed.0
        } else {
            ctx.settings.max_messages
        };
        let pulled = tokio::select! {
            () = shutdown.cancelled() => return,
            r = beating(&ctx.beat, ctx.client.pull(max)) => r,
        };
        match pulled {
            Err(PubsubError::TooLarge { limit, .. }) if max > 1 => {
                // Large messages, many of them in one answer. They come
                // back when the subscription's ack deadline passes (at most
                // 10 min); until then and as long again, pulls ask for as
                // many as the relay's largest fit in an answer, then (if
                // that was still too large: another publisher's) for one,
                // which always fits; one larger than the relay sends is
                // refused.
                ctx.metrics.pubsub.too_large.fetch_add(1, Ordering::Relaxed);
                let fewer = if max > RELAY_SIZED { RELAY_SIZED } else { 1 };
                narrowed = (
                    fewer,
                    ctx.clock.steady_ms() + crate::clock::millis(NARROWED_FOR),
                );
                tracing::warn!(
                    limit,
                    messages_a_pull = fewer,
                    for_ = ?NARROWED_FOR,
                    "a Pub/Sub answer was too large to read: pulling fewer messages at a time"
                );
            }
            Ok(pulled) => {
                if failures > 0 {
                    tracing::info!("Pub/Sub reachable again");
                }
                failures = 0;
                ctx.metrics.pubsub.down.store(0, Ordering::Relaxed);
                learn_offset(&ctx, pulled.date_ms);
                batch::handle(&ctx, pulled.messages).await;
            }
            Err(e) => {
                failures += 1;
                ctx.metrics.pubsub.down.store(1, Ordering::Relaxed);
                let wait = crate::retry::backoff(
                    failures,
                    Duration::from_secs(1),
                    Duration::from_secs(60),
                );
                // The backoff grows, so this logs less and less often.
                tracing::warn!(error = %e, retryable = e.is_retryable(), retry_in = ?wait, "pulling from Pub/Sub failed");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = beating(&ctx.beat, tokio::time::sleep(wait)) => {}
                }
            }
        }
    }
}

/// The answer's `Date` (Google's clock, which NTP keeps with LINE's) as a
/// sample of how far this board's clock is from LINE's, as a webhook's
/// delay is: without it a board fed only by Pub/Sub would judge every
/// event's age by its own clock alone. Whole seconds: the sample is at most
/// a second high, and the estimator keeps the smallest.
fn learn_offset(ctx: &PullContext, date_ms: Option<i64>) {
    if let Some(date) = date_ms {
        ctx.clock
            .observe_line(ctx.clock.steady_ms().saturating_sub(date));
    }
}

/// Runs `fut`, telling the watchdog every second that the loop is alive:
/// a long poll or a backoff is waiting, not stuck.
async fn beating<F: std::future::Future>(beat: &(dyn Fn() + Send + Sync), fut: F) -> F::Output {
    tokio::pin!(fut);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            out = &mut fut => return out,
            _ = tick.tick() => beat(),
        }
    }
}

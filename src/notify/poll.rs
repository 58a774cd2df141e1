//! Polling: the safety net for lost webhooks (kintone drops more than 60 a
//! minute and never retries), and the first scan that sets an app's baseline.
//!
//! Each pass asks for `updated >= watermark − overlap`, pages by `$id` (the
//! seek method — no offsets, no cursors), and judges every record through the
//! same path as webhooks, so revisions already seen change nothing. The
//! watermark comes from kintone's own timestamps, never the local clock, and
//! is stored after each full pass.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::changes::announce;
use super::examine::{examine, Item};
use super::NotifyContext;
use crate::clock::now_ms;
use crate::domain::AppId;
use crate::kintone::query;
use crate::retry::default_backoff;
use crate::store::poll_state::{baseline_done, finish_baseline, save_watermark, watermark};
use crate::store::verdicts::Source;
use crate::store::StoreError;

/// kintone's page size limit.
pub const PAGE: usize = 500;
/// How far back each pass re-reads (kintone writes times at minute precision).
pub const OVERLAP: Duration = Duration::from_secs(120);
pub use super::budget::{daily_requests, log_budget, Budget, DAILY_LIMIT};

/// Polls one app until `shutdown`.
pub async fn run_app(ctx: Arc<NotifyContext>, app: AppId, shutdown: CancellationToken) {
    let Some(cfg) = ctx.apps.app(app) else {
        return;
    };
    let updated_field = loop {
        match updated_field(&ctx, app).await {
            Ok(f) => break f,
            Err(e) => {
                tracing::warn!(app = %app, error = %e, "cannot read the app's form; retrying");
                if sleep_or_stop(&shutdown, default_backoff(3)).await {
                    return;
                }
            }
        }
    };
    let mut failures = 0u32;
    let mut reloads = ctx.poll_intervals.subscribe();
    loop {
        let pass = pass(&ctx, app, &updated_field).await;
        let interval = || {
            let now = ctx.poll_intervals.get();
            now.get(&app).copied().unwrap_or(cfg.poll_interval)
        };
        let wait = match pass {
            Ok(()) => {
                failures = 0;
                if !cfg.poll {
                    return;
                }
                interval()
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(app = %app, error = %e, "poll failed; will retry");
                default_backoff(failures).min(interval())
            }
        };
        // A reload that changes the interval ends the wait: one pass now,
        // then the new interval.
        let sleep = tokio::time::sleep(wait);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = &mut sleep => break,
                r = reloads.changed() => {
                    if r.is_err() || interval() != wait {
                        tracing::info!(app = %app, interval = ?interval(), "poll interval reloaded");
                        break;
                    }
                }
            }
        }
    }
}

async fn sleep_or_stop(shutdown: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => true,
        () = tokio::time::sleep(d) => false,
    }
}

async fn updated_field(ctx: &NotifyContext, app: AppId) -> anyhow::Result<String> {
    let cfg = ctx
        .apps
        .app(app)
        .ok_or_else(|| anyhow::anyhow!("app not configured"))?;
    let fields = ctx.kintone.form_fields(&cfg.auth).await?;
    fields
        .into_iter()
        .find(|f| f.field_type == "UPDATED_TIME")
        .map(|f| f.code)
        .ok_or_else(|| anyhow::anyhow!("app {app} has no UPDATED_TIME field"))
}

/// One pass: a full baseline scan the first time, then changes since the watermark.
async fn pass(ctx: &Arc<NotifyContext>, app: AppId, updated: &str) -> anyhow::Result<()> {
    let baseline = ctx.store.read(move |c| baseline_done(c, app)).await?;
    let watermark = if baseline {
        ctx.store.read(move |c| watermark(c, app)).await?
    } else {
        None
    };
    let filter = watermark
        .as_deref()
        .map(|w| since(updated, w))
        .unwrap_or_default();
    let mut seen = Progress {
        last_id: 0,
        max_updated: watermark,
    };
    while page(ctx, app, &filter, updated, &mut seen).await? >= PAGE {}
    let baseline_max = (!baseline).then_some(seen.last_id);
    finish_pass(ctx, app, baseline_max, seen.max_updated).await?;
    Ok(())
}

/// How far a pass has read.
struct Progress {
    /// The highest `$id` read: the next page starts after it.
    last_id: u64,
    /// The newest `updated` time read.
    max_updated: Option<String>,
}

/// Reads and judges the page after `seen.last_id`; returns its length.
async fn page(
    ctx: &Arc<NotifyContext>,
    app: AppId,
    filter: &str,
    updated: &str,
    seen: &mut Progress,
) -> anyhow::Result<usize> {
    let cfg = ctx
        .apps
        .app(app)
        .ok_or_else(|| anyhow::anyhow!("app not configured"))?;
    let query = format!(
        "{filter}$id > {} order by $id asc limit {PAGE}",
        seen.last_id
    );
    let page = ctx.kintone.get_records(&cfg.auth, &query, None).await?;
    let n = page.len();
    ctx.metrics
        .kintone_polled
        .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    for r in &page {
        seen.last_id = seen.last_id.max(r.id.get());
        if let Some(u) = r.text(updated) {
            if seen.max_updated.as_deref().is_none_or(|m| u.as_str() > m) {
                seen.max_updated = Some(u);
            }
        }
    }
    let items = page
        .into_iter()
        .map(|record| Item {
            record,
            source: Source::Poll,
        })
        .collect();
    for v in examine(ctx, app, items, None).await? {
        announce(ctx, &v);
    }
    Ok(n)
}

/// Stores what a full pass learnt: the baseline (`baseline_max`, on the
/// first pass) and the new watermark.
async fn finish_pass(
    ctx: &NotifyContext,
    app: AppId,
    baseline_max: Option<u64>,
    max_updated: Option<String>,
) -> Result<(), StoreError> {
    let now = now_ms();
    ctx.store
        .call(move |c| {
            if let Some(max) = baseline_max {
                finish_baseline(c, app, i64::try_from(max).unwrap_or(i64::MAX), now)?;
                tracing::info!(app = %app, "baseline set: existing records will not notify");
            }
            if let Some(m) = max_updated {
                save_watermark(c, app, &m)?;
            }
            Ok(())
        })
        .await
}

/// The condition of a pass after the baseline: records updated since
/// `watermark − OVERLAP`. `updated` is the form's code, bare (`更新日時`).
fn since(updated: &str, watermark: &str) -> String {
    format!(
        "{updated} >= {} and ",
        query::string(&minus_overlap(watermark))
    )
}

/// `watermark − OVERLAP`, in kintone's query format; the watermark itself if
/// it does not parse (safe: only less overlap).
fn minus_overlap(w: &str) -> String {
    match w.parse::<jiff::Timestamp>() {
        Ok(t) => {
            let back = jiff::SignedDuration::try_from(OVERLAP).unwrap_or_default();
            t.checked_sub(back).map_or_else(
                |_| w.to_owned(),
                |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        }
        Err(_) => w.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap() {
        assert_eq!(
            minus_overlap("2026-11-25T09:01:00Z"),
            "2026-11-25T08:59:00Z"
        );
        assert_eq!(minus_overlap("junk"), "junk");
    }

    /// A Japanese updated-time code is written bare; the time is quoted,
    /// and a watermark that is not a time (stored from a kintone answer)
    /// cannot end the string early and change the query.
    #[test]
    fn since_filter_for_a_japanese_form() {
        assert_eq!(
            since("更新日時", "2026-11-25T09:01:00Z"),
            "更新日時 >= \"2026-11-25T08:59:00Z\" and "
        );
        assert_eq!(
            since("更新日時", "x\" or $id > \"0"),
            "更新日時 >= \"x\\\" or $id > \\\"0\" and "
        );
    }
}

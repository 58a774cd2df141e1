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

use rusqlite::{params, OptionalExtension};
use tokio_util::sync::CancellationToken;

use super::changes::announce;
use super::detect::{baseline_done, examine, finish_baseline, Verdict};
use super::NotifyContext;
use crate::clock::now_ms;
use crate::domain::AppId;
use crate::kintone::record::Record;
use crate::retry::default_backoff;
use crate::store::intents::queue_held;
use crate::store::StoreError;

/// kintone's page size limit.
pub const PAGE: usize = 500;
/// How far back each pass re-reads (kintone writes times at minute precision).
pub const OVERLAP: Duration = Duration::from_secs(120);
/// Requests a kintone app may take per day on the Standard plan.
pub const DAILY_LIMIT: u64 = 10_000;

/// Requests a day that polling every `interval` costs (one page per pass).
pub fn daily_requests(interval: Duration) -> u64 {
    86_400 / interval.as_secs().max(1)
}

/// One line on what polling `app` costs a day, for `check-config`.
pub fn budget_line(app: &crate::config::AppConfig) -> String {
    if !app.poll {
        return format!(
            "app {} ({}): polling off — webhooks only; a lost webhook is not recovered",
            app.id, app.name
        );
    }
    let per_day = daily_requests(app.poll_interval);
    let warning = if per_day > DAILY_LIMIT / 3 {
        " — WARNING: more than a third of the limit; raise poll_interval"
    } else {
        ""
    };
    format!(
        "app {} ({}): polling every {}s ≈ {per_day} requests/day, {}% of kintone's {DAILY_LIMIT}{warning}",
        app.id,
        app.name,
        app.poll_interval.as_secs(),
        per_day * 100 / DAILY_LIMIT
    )
}

/// Logs the daily request budget polling will use; warns past a third of the limit.
pub fn log_budget(ctx: &NotifyContext) {
    for app in &ctx.config.kintone.apps {
        if !app.poll {
            tracing::info!(app = %app.id, "polling off: webhooks only (a lost webhook is not recovered)");
            continue;
        }
        let per_day = daily_requests(app.poll_interval);
        let share = per_day * 100 / DAILY_LIMIT;
        if per_day > DAILY_LIMIT / 3 {
            tracing::warn!(app = %app.id, interval = ?app.poll_interval, per_day, "polling would use {share}% of kintone's {DAILY_LIMIT} requests/day; raise poll_interval");
        } else {
            tracing::info!(app = %app.id, interval = ?app.poll_interval, per_day, "polling budget: {share}% of kintone's {DAILY_LIMIT} requests/day");
        }
    }
}

/// Polls one app until `shutdown`.
pub async fn run_app(ctx: Arc<NotifyContext>, app: AppId, shutdown: CancellationToken) {
    let Some(cfg) = ctx.config.app(app) else {
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
    loop {
        let pass = pass(&ctx, app, &updated_field).await;
        let wait = match pass {
            Ok(()) => {
                failures = 0;
                if !cfg.poll {
                    return;
                }
                cfg.poll_interval
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(app = %app, error = %e, "poll failed; will retry");
                default_backoff(failures).min(cfg.poll_interval)
            }
        };
        if sleep_or_stop(&shutdown, wait).await {
            return;
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
        .config
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
    let baseline = ctx.store.call(move |c| baseline_done(c, app)).await?;
    let watermark = if baseline {
        watermark(ctx, app).await?
    } else {
        None
    };
    let filter = watermark
        .as_deref()
        .map(|w| format!("{updated} >= \"{}\" and ", minus_overlap(w)));
    let cfg = ctx
        .config
        .app(app)
        .ok_or_else(|| anyhow::anyhow!("app not configured"))?;
    let auth = &cfg.auth;
    let (mut last_id, mut max_updated) = (0u64, watermark.clone());
    loop {
        let query = format!(
            "{}$id > {last_id} order by $id asc limit {PAGE}",
            filter.as_deref().unwrap_or("")
        );
        let page = ctx.kintone.get_records(auth, &query, None).await?;
        let n = page.len();
        ctx.metrics
            .kintone_polled
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        for r in &page {
            last_id = last_id.max(r.id.get());
            if let Some(u) = r.text(updated) {
                if max_updated.as_deref().is_none_or(|m| u.as_str() > m) {
                    max_updated = Some(u);
                }
            }
        }
        for v in judge_page(ctx, app, page).await? {
            announce(ctx, &v);
        }
        if n < PAGE {
            break;
        }
    }
    let now = now_ms();
    ctx.store
        .call(move |c| {
            if !baseline {
                finish_baseline(c, app, last_id, now)?;
                tracing::info!(app = %app, "baseline set: existing records will not notify");
            }
            if let Some(m) = max_updated {
                c.prepare_cached(
                    "INSERT INTO watermarks(app, updated) VALUES (?1, ?2)
                     ON CONFLICT(app) DO UPDATE SET updated = excluded.updated",
                )?
                .execute(params![i64::try_from(app.get()).unwrap_or(i64::MAX), m])?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

async fn judge_page(
    ctx: &Arc<NotifyContext>,
    app: AppId,
    page: Vec<Record>,
) -> Result<Vec<Verdict>, StoreError> {
    let ctx2 = ctx.clone();
    let rules = ctx.rules_for(app);
    ctx.store
        .call(move |c| {
            let cfg = ctx2
                .config
                .app(app)
                .ok_or_else(|| StoreError::Invalid("app vanished".into()))?;
            let judge = ctx2.judge(cfg, &rules, None);
            let now = ctx2.clock.steady_ms();
            let mut verdicts = Vec::with_capacity(page.len());
            for r in &page {
                let v = examine(c, &judge, r, now)?;
                if let Verdict::Held { until_ms } = v {
                    // Not judged yet: the change worker takes it over, so
                    // the watermark can move on without losing it.
                    let i = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
                    queue_held(c, i(app.get()), i(r.id.get()), until_ms, now)?;
                }
                verdicts.push(v);
            }
            Ok(verdicts)
        })
        .await
}

async fn watermark(ctx: &NotifyContext, app: AppId) -> Result<Option<String>, StoreError> {
    ctx.store
        .call(move |c| {
            Ok(
                c.prepare_cached("SELECT updated FROM watermarks WHERE app = ?1")?
                    .query_row([i64::try_from(app.get()).unwrap_or(i64::MAX)], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
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
    fn overlap_and_budget() {
        assert_eq!(
            minus_overlap("2026-11-25T09:01:00Z"),
            "2026-11-25T08:59:00Z"
        );
        assert_eq!(minus_overlap("junk"), "junk");
        assert_eq!(daily_requests(Duration::from_secs(60)), 1440);
        assert!(daily_requests(Duration::from_secs(60)) < DAILY_LIMIT / 3);
    }
}

//! `acks`, `outbox` and `status`: reports read from the store alone, opened
//! read-only. Each writes to stdout with `writeln!`, so a closed pipe ends
//! the report (exit 0) instead of a panic.

use std::io::Write;
use std::path::Path;

use jiff::tz::TimeZone;

use super::exit_code::UsageError;
use super::read_store;
use crate::clock::{format_ms, now_ms};
use crate::config::reader::parse_duration;
use crate::config::time_zone_of;

pub(super) async fn acks(config: &Path, since: &str, json: bool) -> anyhow::Result<()> {
    let zone = time_zone_of(config)?;
    let since_ms = parse_since(since, now_ms(), &zone)?;
    let store = read_store(config)?;
    let rows = store.acks_since(since_ms).await?;
    let mut out = std::io::stdout().lock();
    if json {
        for r in &rows {
            writeln!(out, "{}", serde_json::to_string(r)?)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{} acknowledgement(s) since {}",
        rows.len(),
        format_ms(since_ms, &zone)
    )?;
    for a in rows {
        writeln!(
            out,
            "{}  app {} #{:<6} {:<20} {:<8} {:<16} {}",
            format_ms(a.at_ms, &zone),
            a.app,
            a.record,
            a.actor,
            a.method,
            a.outcome,
            a.reply
        )?;
    }
    Ok(())
}

pub(super) async fn outbox(config: &Path, all: bool) -> anyhow::Result<()> {
    let zone = time_zone_of(config)?;
    let store = read_store(config)?;
    let rows = store.outbox_report(all).await?;
    let nobody = store.undeliverable(UNDELIVERABLE_SHOWN).await?;
    let mut put_back = Vec::with_capacity(rows.len());
    for r in &rows {
        put_back.push(store.retries_of(r.id).await?);
    }
    let mut out = std::io::stdout().lock();
    if rows.is_empty() && nobody.is_empty() {
        writeln!(out, "The outbox is empty: nothing queued, no dead letters.")?;
    }
    for (r, put_back) in rows.into_iter().zip(put_back) {
        writeln!(
            out,
            "#{:<6} {:<8} {} message(s) to {}  attempts {}  created {}",
            r.id,
            r.state,
            r.message_count,
            r.recipients,
            r.attempts,
            format_ms(r.created_ms, &zone)
        )?;
        if r.state == crate::store::outbox::PushState::Pending && r.attempts > 0 {
            writeln!(
                out,
                "        next attempt {}",
                format_ms(r.next_attempt_ms, &zone)
            )?;
        }
        if let Some(e) = r.last_error {
            writeln!(out, "        last error: {e}")?;
        }
        for (at_ms, actor, _) in put_back {
            writeln!(
                out,
                "        put back in the queue by {actor} {}",
                format_ms(at_ms, &zone)
            )?;
        }
        if r.state == crate::store::outbox::PushState::Dead {
            writeln!(
                out,
                "        a dead letter: `outbox retry {}` sends it again",
                r.id
            )?;
        }
    }
    for u in nobody {
        writeln!(
            out,
            "undeliverable  rule {:?}, app {} #{}  created {}",
            u.rule,
            u.app,
            u.record,
            format_ms(u.created_ms, &zone)
        )?;
        writeln!(out, "        {}", u.reason)?;
        match u.fallback {
            Some(to) => writeln!(out, "        sent to the fallback instead: {to}")?,
            None => writeln!(
                out,
                "        sent to nobody (set [notify] fallback to catch these)"
            )?,
        }
    }
    Ok(())
}

/// Undeliverable notifications `outbox` lists, newest first.
const UNDELIVERABLE_SHOWN: i64 = 20;

pub(super) async fn status(config: &Path) -> anyhow::Result<()> {
    let zone = time_zone_of(config)?;
    let store = read_store(config)?;
    let s = store.summary().await?;
    let saved_usage = store.kintone_usage().await?;
    let mut out = std::io::stdout().lock();
    match &s.daemon_status {
        Some((line, at)) => writeln!(out, "daemon ({}): {line}", format_ms(*at, &zone))?,
        None => writeln!(out, "daemon: no status recorded yet (has it run?)")?,
    }
    writeln!(
        out,
        "store: {} pending ack(s), {} push(es) queued, {} dead letter(s), {} undeliverable notification(s), {} LINE event(s) and {} kintone change(s) in progress, last push {}",
        s.pending_acks,
        s.outbox_pending,
        s.dead_letters,
        s.undeliverable,
        s.inbox_pending,
        s.changes_pending,
        s.last_push_ms
            .map_or_else(|| "never".to_owned(), |ms| format_ms(ms, &zone))
    )?;
    match &s.contacts {
        Some(c) => {
            for (name, seen) in [("LINE", &c.line), ("kintone", &c.kintone)] {
                writeln!(out, "{name}: {}", seen.describe(now_ms()))?;
            }
        }
        // A store from before these were saved, or a service that never
        // saved a status: nothing is known either way.
        None => writeln!(
            out,
            "LINE, kintone: nothing recorded yet (the service saves what it saw within seconds of starting)"
        )?,
    }
    write_chains(&mut out, &store.open_chains().await?, &zone)?;
    // The daemon saves its counts at least every ten minutes while they
    // move (and when it stops); an older day's are void.
    let today = crate::metrics::KintoneUsage::default();
    if let Some(saved) = saved_usage {
        today.restore(&saved, now_ms());
    }
    let today = today.today(now_ms());
    if today.per_app.is_empty() {
        writeln!(out, "kintone requests today (since 09:00 JST): none")?;
    }
    for (app, n) in &today.per_app {
        writeln!(
            out,
            "kintone requests today (since 09:00 JST), app {app}: {n} ({}% of the 10,000 a day)",
            n * 100 / 10_000
        )?;
    }
    Ok(())
}

/// Open reminder chains: each notification's age, the stage it reached and
/// when its next step is due.
fn write_chains(
    out: &mut impl Write,
    open: &[crate::store::chains::OpenChain],
    zone: &TimeZone,
) -> std::io::Result<()> {
    writeln!(out, "reminders: {} open chain(s)", open.len())?;
    for c in open {
        let age_min = now_ms().saturating_sub(c.base_ms).max(0) / 60_000;
        writeln!(
            out,
            "  #{} {} — {}, {} min old, next step {}",
            c.record,
            c.title,
            c.stage.as_text(),
            age_min,
            format_ms(c.due_ms, zone)
        )?;
    }
    Ok(())
}

/// `backup FILE`: the online copy, and how to put it back.
pub(super) fn backup(config: &Path, file: &Path) -> anyhow::Result<()> {
    let dir = crate::config::state_dir_of(config)?;
    let done = crate::store::backup::backup(&dir, file).map_err(|e| match e {
        // A missing store exits as the reports do (66).
        crate::store::backup::BackupError::Store(s) => anyhow::Error::from(s),
        other => other.into(),
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Copied the store ({} pages, {} bytes) to {}: integrity check ok.",
        done.pages,
        done.bytes,
        done.path.display()
    )?;
    writeln!(
        out,
        "To restore: stop the service, copy it over {} (and delete gateway.db-wal and gateway.db-shm there), start the service.",
        dir.join("gateway.db").display()
    )?;
    Ok(())
}

/// `--since`: a span back from now (`24h`, `7d`), a date (midnight in the
/// site's zone), or a timestamp.
fn parse_since(s: &str, now: i64, zone: &TimeZone) -> anyhow::Result<i64> {
    if let Some(days) = s.strip_suffix('d').and_then(|d| d.parse::<i64>().ok()) {
        return Ok(now - days * 86_400_000);
    }
    if let Ok(d) = parse_duration(s) {
        return Ok(now - i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(date) = s.parse::<jiff::civil::Date>() {
        let zoned = date
            .to_zoned_datetime(zone.clone())
            .map_err(|e| UsageError(format!("--since {s:?}: {e}")))?;
        return Ok(zoned.timestamp().as_millisecond());
    }
    Err(UsageError(format!(
        "--since {s:?}: use a span (24h, 7d), a date (2026-11-01) or a timestamp"
    ))
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_forms() {
        let now = 10 * 86_400_000;
        let utc = TimeZone::UTC;
        assert_eq!(parse_since("24h", now, &utc).unwrap(), now - 86_400_000);
        assert_eq!(parse_since("7d", now, &utc).unwrap(), now - 7 * 86_400_000);
        assert_eq!(
            parse_since("2026-01-01T00:00:00Z", now, &utc).unwrap(),
            1_767_225_600_000
        );
        assert!(parse_since("yesterday", now, &utc).is_err());
        // A date is midnight at the site, not on the machine.
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(
            parse_since("2026-01-01", now, &tokyo).unwrap(),
            1_767_225_600_000 - 9 * 3_600_000
        );
    }
}

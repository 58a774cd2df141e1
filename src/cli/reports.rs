//! `acks`, `outbox` and `status`: reports read from the store alone, opened
//! read-only. Each writes to stdout with `writeln!`, so a closed pipe ends
//! the report (exit 0) instead of a panic.

use std::io::Write;
use std::path::Path;

use jiff::tz::TimeZone;

use super::exit_code::UsageError;
use super::read_store;
use super::words;
use crate::clock::{format_ms, now_ms};
use crate::config::reader::parse_duration;
use crate::config::report_settings;
use crate::text::audit::audit_word;
use crate::text::Language;

pub(super) async fn acks(config: &Path, since: &str, json: bool) -> anyhow::Result<()> {
    let settings = report_settings(config)?;
    let (zone, lang) = (settings.time_zone()?, settings.language);
    let since_ms = parse_since(since, now_ms(), &zone)?;
    let store = read_store(&settings)?;
    let rows = store.acks_since(since_ms).await?;
    let mut out = std::io::stdout().lock();
    if json {
        for r in &rows {
            writeln!(out, "{}", serde_json::to_string(r)?)?;
        }
        return Ok(());
    }
    let (n, since) = (rows.len().to_string(), format_ms(since_ms, &zone));
    let args = [("n", n.as_str()), ("since", &since)];
    writeln!(out, "{}", words::ACKS_SINCE.fill(lang, &args))?;
    for a in rows {
        writeln!(
            out,
            "{}  app {} #{:<6} {:<20} {:<8} {:<16} {}",
            format_ms(a.at_ms, &zone),
            a.app,
            a.record,
            a.actor,
            a.method,
            audit_word(lang, &a.outcome),
            audit_word(lang, &a.reply)
        )?;
    }
    Ok(())
}

pub(super) async fn outbox(config: &Path, all: bool) -> anyhow::Result<()> {
    let settings = report_settings(config)?;
    let (zone, lang) = (settings.time_zone()?, settings.language);
    let store = read_store(&settings)?;
    let rows = store.outbox_report(all).await?;
    let nobody = store.undeliverable(UNDELIVERABLE_SHOWN).await?;
    let mut put_back = Vec::with_capacity(rows.len());
    for r in &rows {
        put_back.push(store.retries_of(r.id).await?);
    }
    let mut out = std::io::stdout().lock();
    if rows.is_empty() && nobody.is_empty() {
        writeln!(out, "{}", words::OUTBOX_EMPTY.in_(lang))?;
    }
    for (r, put_back) in rows.into_iter().zip(put_back) {
        write_request(&mut out, lang, &zone, &r, &put_back)?;
    }
    for u in nobody {
        let (app, record) = (u.app.to_string(), u.record.to_string());
        let at = format_ms(u.created_ms, &zone);
        let args = [
            ("rule", u.rule.as_str()),
            ("app", &app),
            ("record", &record),
            ("at", &at),
        ];
        writeln!(out, "{}", words::UNDELIVERABLE_ROW.fill(lang, &args))?;
        writeln!(out, "        {}", u.reason)?;
        match u.fallback {
            Some(to) => writeln!(
                out,
                "{}",
                words::UNDELIVERABLE_FALLBACK.fill(lang, &[("to", &to)])
            )?,
            None => writeln!(out, "{}", words::UNDELIVERABLE_NOBODY.in_(lang))?,
        }
    }
    Ok(())
}

/// One push request: its row, and what happened to it since.
fn write_request(
    out: &mut impl Write,
    lang: Language,
    zone: &TimeZone,
    r: &crate::store::report::OutboxEntry,
    put_back: &[(i64, String, String)],
) -> std::io::Result<()> {
    use crate::store::outbox::PushState;
    let (id, state) = (format!("{:<6}", r.id), format!("{:<8}", r.state));
    let (n, attempts) = (r.message_count.to_string(), r.attempts.to_string());
    let at = format_ms(r.created_ms, zone);
    let args = [
        ("id", id.as_str()),
        ("state", &state),
        ("n", &n),
        ("to", &r.recipients),
        ("attempts", &attempts),
        ("at", &at),
    ];
    writeln!(out, "{}", words::OUTBOX_ROW.fill(lang, &args))?;
    if r.state == PushState::Pending && r.attempts > 0 {
        let at = format_ms(r.next_attempt_ms, zone);
        writeln!(out, "{}", words::OUTBOX_NEXT.fill(lang, &[("at", &at)]))?;
    }
    if let Some(e) = &r.last_error {
        writeln!(out, "{}", words::OUTBOX_ERROR.fill(lang, &[("e", e)]))?;
    }
    for (at_ms, actor, _) in put_back {
        let at = format_ms(*at_ms, zone);
        let args = [("actor", actor.as_str()), ("at", &at)];
        writeln!(out, "{}", words::OUTBOX_PUT_BACK.fill(lang, &args))?;
    }
    if r.state == PushState::Dead {
        let id = r.id.to_string();
        writeln!(out, "{}", words::OUTBOX_DEAD.fill(lang, &[("id", &id)]))?;
    }
    Ok(())
}

/// Undeliverable notifications `outbox` lists, newest first.
const UNDELIVERABLE_SHOWN: i64 = 20;

/// `backup FILE`: the online copy, and how to put it back.
pub(super) fn backup(config: &Path, file: &Path) -> anyhow::Result<()> {
    let settings = report_settings(config)?;
    let lang = settings.language;
    let done = crate::store::backup::backup(&settings.state_dir, file).map_err(|e| match e {
        // A missing store exits as the reports do (66).
        crate::store::backup::BackupError::Store(s) => anyhow::Error::from(s),
        other => other.into(),
    })?;
    let mut out = std::io::stdout().lock();
    let (pages, bytes) = (done.pages.to_string(), done.bytes.to_string());
    let path = done.path.display().to_string();
    let args = [
        ("pages", pages.as_str()),
        ("bytes", &bytes),
        ("path", &path),
    ];
    writeln!(out, "{}", super::words::BACKUP_DONE.fill(lang, &args))?;
    let db = settings.state_dir.join("gateway.db").display().to_string();
    writeln!(
        out,
        "{}",
        super::words::BACKUP_RESTORE.fill(lang, &[("db", &db)])
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
        let zoned = date.to_zoned_datetime(zone.clone()).map_err(|e| {
            UsageError::new(
                &words::USAGE_SINCE_DATE,
                &[("value", &format!("{s:?}")), ("e", &e.to_string())],
            )
        })?;
        return Ok(zoned.timestamp().as_millisecond());
    }
    Err(UsageError::new(&words::USAGE_SINCE, &[("value", &format!("{s:?}"))]).into())
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

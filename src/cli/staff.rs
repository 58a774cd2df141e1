//! `staff`: invite, list and unlink staff LINE accounts.

use std::io::Write as _;
use std::path::Path;

use super::args::StaffAction;
use super::exit_code::UsageError;
use super::open_store;
use super::words;
use crate::clock::{format_ms, now_ms};
use crate::config::reader::parse_duration;
use crate::store::Store;
use crate::text::Language;

pub(super) async fn staff(config: &Path, action: StaffAction) -> anyhow::Result<()> {
    // A bad --valid is a usage error, said before the store is touched.
    if let StaffAction::Invite { valid, .. } = &action {
        parse_duration(valid).map_err(|e| {
            UsageError::new(
                &words::USAGE_VALID,
                &[("value", &format!("{valid:?}")), ("e", &e.to_string())],
            )
        })?;
    }
    let settings = crate::config::report_settings(config)?;
    let store = open_store(&settings)?;
    let (zone, lang) = (settings.time_zone()?, settings.language);
    match action {
        StaffAction::Invite {
            name,
            kintone_user,
            valid,
        } => invite(&store, (&zone, lang), name, kintone_user, &valid).await?,
        StaffAction::List => {
            let staff = store.staff_list().await?;
            let mut out = std::io::stdout().lock();
            if staff.is_empty() {
                writeln!(out, "{}", words::NO_STAFF.in_(lang))?;
            }
            for s in staff {
                let (name, kintone) = (
                    format!("{:<24}", s.display_name),
                    format!("{:<20}", s.kintone_user.as_deref().unwrap_or("-")),
                );
                let at = format_ms(s.linked_ms, &zone);
                let row = [
                    ("name", name.as_str()),
                    ("kintone", &kintone),
                    ("line", &s.line_user_id),
                    ("at", &at),
                ];
                writeln!(out, "{}", words::STAFF_ROW.fill(lang, &row))?;
            }
        }
        StaffAction::Remove { who } => {
            let n = store.staff_remove(who.clone()).await?;
            anyhow::ensure!(
                n > 0,
                "{}",
                words::STAFF_NO_MATCH.fill(lang, &[("who", &who)])
            );
            let mut out = std::io::stdout().lock();
            let n = n.to_string();
            writeln!(out, "{}", words::STAFF_REMOVED.fill(lang, &[("n", &n)]))?;
        }
    }
    Ok(())
}

/// Prints a one-time code valid for `valid` (a span such as `72h`).
async fn invite(
    store: &Store,
    (zone, lang): (&jiff::tz::TimeZone, Language),
    name: String,
    kintone_user: Option<String>,
    valid: &str,
) -> anyhow::Result<()> {
    let valid = parse_duration(valid).map_err(anyhow::Error::msg)?;
    let now = now_ms();
    let valid_ms = i64::try_from(valid.as_millis()).unwrap_or(i64::MAX);
    let inv = store
        .invite_create(name, kintone_user, now, now.saturating_add(valid_ms))
        .await?;
    let mut out = std::io::stdout().lock();
    let code = [("name", inv.display_name.as_str()), ("code", &inv.code)];
    writeln!(out, "{}", words::INVITE_CODE.fill(lang, &code))?;
    let until = format_ms(inv.expires_ms, zone);
    writeln!(
        out,
        "{}",
        words::INVITE_UNTIL.fill(lang, &[("until", &until)])
    )?;
    writeln!(out, "{}", words::INVITE_HOW.in_(lang))?;
    Ok(())
}

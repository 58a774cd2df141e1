//! `staff`: invite, list and unlink staff LINE accounts.

use std::io::Write as _;
use std::path::Path;

use super::args::StaffAction;
use super::exit_code::UsageError;
use super::open_store;
use crate::clock::{format_ms, now_ms};
use crate::config::reader::parse_duration;
use crate::store::Store;

pub(super) async fn staff(config: &Path, action: StaffAction) -> anyhow::Result<()> {
    // A bad --valid is a usage error, said before the store is touched.
    if let StaffAction::Invite { valid, .. } = &action {
        parse_duration(valid).map_err(|e| UsageError(format!("--valid {valid:?}: {e}")))?;
    }
    let store = open_store(config)?;
    let zone = crate::config::time_zone_of(config)?;
    match action {
        StaffAction::Invite {
            name,
            kintone_user,
            valid,
        } => invite(&store, &zone, name, kintone_user, &valid).await?,
        StaffAction::List => {
            let staff = store.staff_list().await?;
            let mut out = std::io::stdout().lock();
            if staff.is_empty() {
                writeln!(out, "No staff linked yet. Use `staff invite NAME`.")?;
            }
            for s in staff {
                writeln!(
                    out,
                    "{:<24} {:<20} {}  linked {}",
                    s.display_name,
                    s.kintone_user.as_deref().unwrap_or("-"),
                    s.line_user_id,
                    format_ms(s.linked_ms, &zone)
                )?;
            }
        }
        StaffAction::Remove { who } => {
            let n = store.staff_remove(who.clone()).await?;
            anyhow::ensure!(n > 0, "no staff member matches {who:?}");
            let mut out = std::io::stdout().lock();
            writeln!(out, "Removed {n} staff member(s).")?;
        }
    }
    Ok(())
}

/// Prints a one-time code valid for `valid` (a span such as `72h`).
async fn invite(
    store: &Store,
    zone: &jiff::tz::TimeZone,
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
    writeln!(out, "Invite code for {}: {}", inv.display_name, inv.code)?;
    writeln!(out, "Valid until {}.", format_ms(inv.expires_ms, zone))?;
    writeln!(
        out,
        "They add the bot as a friend in LINE and send this code in the chat."
    )?;
    Ok(())
}

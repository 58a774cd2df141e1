//! `outbox retry ID|--all`: dead letters back in the queue. A write, so it
//! opens the store as the service does (run it as the service's user); the
//! running service's outbox picks the requests up on its next round.

use std::io::Write as _;
use std::path::Path;

use super::exit_code::UsageError;
use super::open_store;
use super::words;
use crate::clock::now_ms;
use crate::store::operator_audit::RetryWhich;

pub(super) async fn retry(config: &Path, id: Option<i64>, all: bool) -> anyhow::Result<()> {
    let which = match (id, all) {
        (Some(id), false) => RetryWhich::One(id),
        (None, true) => RetryWhich::AllDead,
        _ => return Err(UsageError::new(&words::USAGE_RETRY_WHICH, &[]).into()),
    };
    let settings = crate::config::report_settings(config)?;
    let store = open_store(&settings)?;
    let lang = settings.language;
    let retried = store.outbox_retry(which, actor(), now_ms()).await??;
    let mut out = std::io::stdout().lock();
    if retried.is_empty() {
        writeln!(out, "{}", words::NOTHING_TO_RETRY.in_(lang))?;
        return Ok(());
    }
    for r in &retried {
        let id = r.id.to_string();
        writeln!(out, "{}", words::RETRIED.fill(lang, &[("id", &id)]))?;
    }
    writeln!(out, "{}", words::RETRY_WHY.in_(lang))?;
    Ok(())
}

/// Who ran the command: the user behind `sudo`, else the login user.
fn actor() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .into_iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown user".into())
}

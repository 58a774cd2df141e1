//! `outbox retry ID|--all`: dead letters back in the queue. A write, so it
//! opens the store as the service does (run it as the service's user); the
//! running service's outbox picks the requests up on its next round.

use std::io::Write as _;
use std::path::Path;

use super::exit_code::UsageError;
use super::open_store;
use crate::clock::now_ms;
use crate::store::operator_audit::RetryWhich;

pub(super) async fn retry(config: &Path, id: Option<i64>, all: bool) -> anyhow::Result<()> {
    let which = match (id, all) {
        (Some(id), false) => RetryWhich::One(id),
        (None, true) => RetryWhich::AllDead,
        _ => return Err(UsageError("give a request number or --all".into()).into()),
    };
    let store = open_store(config)?;
    let retried = store.outbox_retry(which, actor(), now_ms()).await??;
    let mut out = std::io::stdout().lock();
    if retried.is_empty() {
        writeln!(out, "No dead letters: nothing to retry.")?;
        return Ok(());
    }
    for r in &retried {
        writeln!(out, "#{} back in the queue with a new retry key.", r.id)?;
    }
    writeln!(
        out,
        "LINE will send {} again: a new key, so LINE does not take it for a repeat (it drops a key it has seen in the last 24 hours). The audit records who put it back.",
        if retried.len() == 1 { "it" } else { "them" }
    )?;
    Ok(())
}

/// Who ran the command: the user behind `sudo`, else the login user.
fn actor() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .into_iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown user".into())
}

//! The store check: opened read-only, as `status` does (never created,
//! never upgraded): readable by this user, of this gateway's schema, and
//! what waits in it.

use std::path::Path;

use super::Check;
use crate::store::{Store, StoreError};

/// Reads the store without changing it.
pub(super) async fn store(state_dir: &Path) -> Check {
    let name = "store";
    let store = match Store::open_read_only(state_dir) {
        Ok(s) => s,
        // A new installation: the service makes it at its first start.
        Err(StoreError::Missing { path }) => {
            return Check::pass(
                name,
                format!("no store yet at {}: the service creates it when it first starts", path.display()),
            )
        }
        Err(e @ StoreError::Version { .. }) => return Check::fail(name, e.to_string()),
        Err(e) => {
            return Check::fail(
                name,
                format!("{e} — run doctor as the service's user (docs/INSTALL.md), and check the owner of the state directory"),
            )
        }
    };
    match store.summary().await {
        Ok(s) => {
            let dead = if s.dead_letters > 0 {
                " — `outbox` lists the dead letters, `outbox retry` sends them again"
            } else {
                ""
            };
            Check::pass(
                name,
                format!(
                    "{} readable: {} push(es) queued, {} dead letter(s), {} pending ack(s){dead}",
                    store.path().display(),
                    s.outbox_pending,
                    s.dead_letters,
                    s.pending_acks
                ),
            )
        }
        Err(e) => Check::fail(
            name,
            format!("{e} — the store may be damaged: restore a backup (docs/INSTALL.md)"),
        ),
    }
}

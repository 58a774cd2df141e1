//! The store check, read-only as `status` is (never created, never
//! upgraded): every page and index reads back whole (`PRAGMA
//! integrity_check`), it is of this gateway's schema and readable by this
//! user, and what waits in it.

use std::path::Path;

use super::Check;
use crate::store::{Integrity, Store, StoreError};

/// Reads the store without changing it.
pub(super) async fn store(state_dir: &Path) -> Check {
    let name = "store";
    match crate::store::integrity(state_dir) {
        Ok(Integrity::Sound) => {}
        // A new installation: the service makes it at its first start.
        Ok(Integrity::NoStore { had_one: false }) => {
            return Check::pass(
                name,
                format!(
                    "no store yet at {}: the service creates it when it first starts",
                    state_dir.join("gateway.db").display()
                ),
            )
        }
        Ok(Integrity::NoStore { had_one: true }) => {
            return Check::fail(
                name,
                format!(
                    "gateway.db is gone from {} although a store was made there — restore it from a backup, or start with `run --new-store` to begin empty on purpose",
                    state_dir.display()
                ),
            )
        }
        Ok(Integrity::Damaged(found)) => {
            return Check::fail(
                name,
                format!(
                    "gateway.db is damaged ({found}) — stop the service and run `kintone-line-gateway store rescue`"
                ),
            )
        }
        Err(e) => return Check::fail(name, not_readable(&e)),
    }
    let store = match Store::open_read_only(state_dir) {
        Ok(s) => s,
        Err(e @ StoreError::Version { .. }) => return Check::fail(name, e.to_string()),
        Err(e) => return Check::fail(name, not_readable(&e)),
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
                    "{} reads back whole: {} push(es) queued, {} dead letter(s), {} pending ack(s){dead}",
                    store.path().display(),
                    s.outbox_pending,
                    s.dead_letters,
                    s.pending_acks
                ),
            )
        }
        Err(e) => Check::fail(
            name,
            format!("{e} — the store may be damaged: stop the service and run `kintone-line-gateway store rescue`"),
        ),
    }
}

fn not_readable(e: &StoreError) -> String {
    format!("{e} — run doctor as the service's user (docs/INSTALL.md), and check the owner of the state directory")
}

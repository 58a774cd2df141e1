//! The store check, read-only as `status` is (never created, never
//! upgraded): every page and index reads back whole (`PRAGMA
//! integrity_check`), it is of this gateway's schema and readable by this
//! user, and what waits in it.

use std::path::Path;

use super::{words, Check};
use crate::store::said::plain;
use crate::store::{Integrity, Store, StoreError};
use crate::text::Language;

/// Reads the store without changing it.
pub(super) async fn store(state_dir: &Path, lang: Language) -> Check {
    let name = words::NAME_STORE.in_(lang);
    match crate::store::integrity(state_dir) {
        Ok(Integrity::Sound) => {}
        // A new installation: the service makes it at its first start.
        Ok(Integrity::NoStore { had_one: false }) => {
            let db = state_dir.join("gateway.db").display().to_string();
            return Check::pass(name, words::STORE_NONE_YET.fill(lang, &[("db", &db)]));
        }
        Ok(Integrity::NoStore { had_one: true }) => {
            let dir = state_dir.display().to_string();
            return Check::fail(name, words::STORE_GONE.fill(lang, &[("dir", &dir)]));
        }
        Ok(Integrity::Damaged(found)) => {
            let found = found.to_string();
            return Check::fail(name, words::STORE_DAMAGED.fill(lang, &[("found", &found)]));
        }
        Err(e) => return Check::fail(name, not_readable(&e, lang)),
    }
    let store = match Store::open_read_only(state_dir) {
        Ok(s) => s,
        Err(e @ StoreError::Version { .. }) => return Check::fail(name, plain(&e, lang)),
        Err(e) => return Check::fail(name, not_readable(&e, lang)),
    };
    match store.summary().await {
        Ok(s) => {
            let dead_hint = if s.dead_letters > 0 {
                words::STORE_DEAD_HINT.in_(lang)
            } else {
                ""
            };
            // An older gateway's layout: said, not failed (it works).
            let layout_hint = match store.layout().await {
                Ok(l) if !l.is_current() => {
                    let page = l.page_size.to_string();
                    words::STORE_OLD_LAYOUT_HINT.fill(lang, &[("page", &page)])
                }
                _ => String::new(),
            };
            let path = store.path().display().to_string();
            let (queued, dead) = (s.outbox_pending.to_string(), s.dead_letters.to_string());
            let acks = s.pending_acks.to_string();
            let args = [
                ("path", path.as_str()),
                ("queued", &queued),
                ("dead", &dead),
                ("acks", &acks),
                ("dead_hint", dead_hint),
                ("layout_hint", &layout_hint),
            ];
            Check::pass(name, words::STORE_WHOLE.fill(lang, &args))
        }
        Err(e) => {
            let e = plain(&e, lang);
            Check::fail(name, words::STORE_MAYBE_DAMAGED.fill(lang, &[("e", &e)]))
        }
    }
}

fn not_readable(e: &StoreError, lang: Language) -> String {
    words::STORE_UNREADABLE.fill(lang, &[("e", &plain(e, lang))])
}

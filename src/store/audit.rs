//! The local audit trail: one row per acknowledgement — who, when, which
//! record, how it was written back, and whether they got a Reply or a fallback.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection};
use serde::Serialize;

use super::notifications::{notification_in, recipients_in, NotificationState};
use super::staff::{profile_name_in, staff_in};
use super::{Store, StoreError};

/// One acknowledgement, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckRecord {
    pub at_ms: i64,
    /// The webhook event (or panel action, `panel:<notification>`: each
    /// press is a row of its own) it came from.
    pub event_id: String,
    pub line_user_id: Option<String>,
    /// Display name, or "office panel".
    pub actor: String,
    pub app: i64,
    pub record: i64,
    pub notification: String,
    /// comment | fields | status
    pub method: String,
    /// written | already-written | failed: <reason>
    pub outcome: String,
    /// replied | replied-early | fallback-none | fallback-push | reply-failed: … | none
    pub reply: String,
}

/// The columns [`ack_row`] reads, in its order.
pub(super) const ACK_COLUMNS: &str =
    "at_ms, event_id, line_user_id, actor, app, record, notification, method, outcome, reply";

/// An `acks` row selected with [`ACK_COLUMNS`].
pub(super) fn ack_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AckRecord> {
    Ok(AckRecord {
        at_ms: r.get(0)?,
        event_id: r.get(1)?,
        line_user_id: r.get(2)?,
        actor: r.get(3)?,
        app: r.get(4)?,
        record: r.get(5)?,
        notification: r.get(6)?,
        method: r.get(7)?,
        outcome: r.get(8)?,
        reply: r.get(9)?,
    })
}

pub(super) fn insert(c: &Connection, a: &AckRecord) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO acks(at_ms, event_id, line_user_id, actor, app, record,
            notification, method, outcome, reply)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        a.at_ms,
        a.event_id,
        a.line_user_id,
        a.actor,
        a.app,
        a.record,
        a.notification,
        a.method,
        a.outcome,
        a.reply
    ])?;
    Ok(())
}

/// What the acknowledgement of a batch of postbacks reads before it starts:
/// the tapping people's names, whether they are linked staff, and the
/// notifications they answer with whom each was sent to.
#[derive(Debug, Default)]
pub struct AckLookups {
    /// LINE user → name and kintone user, for the users the directory or a
    /// fresh profile knows; the rest are missing.
    pub names: HashMap<String, (String, Option<String>)>,
    /// The LINE users among them who are linked staff.
    pub staff: HashSet<String>,
    /// Notification id → its state, for the ids that exist.
    pub notifications: HashMap<String, NotificationState>,
    /// Notification id → the LINE user and group ids it was sent to, for
    /// the ids that exist.
    pub recipients: HashMap<String, Vec<String>>,
}

impl Store {
    /// Names (directory first, then profiles fetched after `fresh_after_ms`),
    /// staff links, and notifications with their recipients for a batch of
    /// postbacks, in one read — one round
    /// trip to the reader thread for the batch instead of two per event.
    ///
    /// # Errors
    /// The read failed.
    pub async fn ack_lookups(
        &self,
        users: Vec<String>,
        fresh_after_ms: i64,
        notifications: Vec<String>,
    ) -> Result<AckLookups, StoreError> {
        self.read(move |c| {
            let mut out = AckLookups::default();
            for user in users {
                if out.names.contains_key(&user) {
                    continue;
                }
                if let Some(found) = staff_in(c, &user)? {
                    out.staff.insert(user.clone());
                    out.names.insert(user, found);
                } else if let Some(found) = profile_name_in(c, &user, fresh_after_ms)? {
                    out.names.insert(user, found);
                }
            }
            for id in notifications {
                if out.notifications.contains_key(&id) {
                    continue;
                }
                if let Some(n) = notification_in(c, &id)? {
                    out.recipients.insert(id.clone(), recipients_in(c, &id)?);
                    out.notifications.insert(id, n);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Acknowledgements at or after `since_ms`, oldest first.
    ///
    /// # Errors
    /// The read failed.
    pub async fn acks_since(&self, since_ms: i64) -> Result<Vec<AckRecord>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare(&format!(
                "SELECT {ACK_COLUMNS} FROM acks WHERE at_ms >= ?1 ORDER BY id"
            ))?;
            let rows = st.query_map([since_ms], ack_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Records an acknowledgement on its own (panel acknowledgements have no
    /// inbox row).
    ///
    /// # Errors
    /// The write failed.
    pub async fn ack_record(&self, a: AckRecord) -> Result<(), StoreError> {
        self.call(move |c| insert(c, &a)).await
    }

    /// Corrects how the answer to event `event_id` went (its audit row was
    /// written before the Reply was sent).
    ///
    /// # Errors
    /// The write failed.
    pub async fn audit_set_reply(&self, event_id: String, reply: String) -> Result<(), StoreError> {
        self.call(move |c| {
            // The row was written moments ago: newest first, it is the
            // first one read (the table has no event-id index).
            c.prepare_cached(
                "UPDATE acks SET reply = ?2 WHERE id =
                    (SELECT id FROM acks WHERE event_id = ?1 ORDER BY id DESC LIMIT 1)",
            )?
            .execute([event_id, reply])?;
            Ok(())
        })
        .await
    }
}

impl Store {
    /// Records an acknowledgement made at the office panel and, when it was
    /// written back, marks the notification acknowledged — in one transaction.
    ///
    /// # Errors
    /// The write failed.
    pub async fn panel_ack(&self, a: AckRecord) -> Result<(), StoreError> {
        self.call(move |c| record(c, &a).map(|_| ())).await
    }
}

/// Writes the audit row and, when the acknowledgement reached kintone, marks
/// its notification acknowledged (the first acknowledgement wins). Returns
/// whether this was that first one.
pub(super) fn record(c: &Connection, a: &AckRecord) -> Result<bool, StoreError> {
    insert(c, a)?;
    let mut first = false;
    if a.outcome == "written" || a.outcome == "already-written" {
        first = c
            .prepare_cached(
                "UPDATE notifications SET acked_ms = ?2, acked_by = ?3
             WHERE id = ?1 AND acked_ms IS NULL",
            )?
            .execute(params![a.notification, a.at_ms, a.actor])?
            > 0;
        super::chains::stop(
            c,
            &a.notification,
            super::chains::StopReason::Acknowledged,
            a.at_ms,
        )?;
    }
    Ok(first)
}

/// Deletes up to `limit` audit rows stamped before `before`, oldest first.
///
/// # Errors
/// The write failed.
pub(super) fn prune(c: &Connection, before: i64, limit: i64) -> Result<usize, StoreError> {
    let keys = super::retention::oldest(c, OLDEST, rusqlite::params![], before, limit)?;
    super::retention::delete_keys(c, "DELETE FROM acks WHERE id = ?1", &keys)
}

/// The pruning walk: `time, prunable, key` in row order (the tests read
/// its plan).
pub(super) const OLDEST: &str = "SELECT at_ms, 1, id FROM acks ORDER BY id";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::staff::normalise_code;

    const STAFF: &str = "U00000000000000000000000000000001";
    const FRESH: &str = "U00000000000000000000000000000002";
    const STALE: &str = "U00000000000000000000000000000003";

    #[tokio::test]
    async fn ack_lookups_read_names_and_notifications_for_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let invite = store
            .invite_create("Taro Yamada".into(), Some("taro".into()), 0, 10_000)
            .await
            .unwrap();
        let code = normalise_code(&invite.code).unwrap();
        store.invite_redeem(STAFF.into(), code, 1).await.unwrap();
        // A directory name wins over a cached profile.
        store
            .profile_put(STAFF.into(), "Taro (LINE)".into(), 500)
            .await
            .unwrap();
        store
            .profile_put(FRESH.into(), "Hanako".into(), 500)
            .await
            .unwrap();
        store
            .profile_put(STALE.into(), "Old name".into(), 100)
            .await
            .unwrap();
        let group = "C00000000000000000000000000000004";
        store
            .seed_notification_to("n1", 7, "Invoice", 0, &[FRESH, group])
            .await
            .unwrap();

        let found = store
            .ack_lookups(
                vec![STAFF.into(), FRESH.into(), STALE.into(), STAFF.into()],
                200,
                vec!["n1".into(), "missing".into(), "n1".into()],
            )
            .await
            .unwrap();
        assert_eq!(
            found.names.get(STAFF),
            Some(&("Taro Yamada".to_owned(), Some("taro".to_owned())))
        );
        assert_eq!(found.names.get(FRESH), Some(&("Hanako".to_owned(), None)));
        assert!(
            !found.names.contains_key(STALE),
            "a profile fetched before the cut-off is asked for again"
        );
        assert_eq!(found.names.len(), 2);
        let n = &found.notifications["n1"];
        assert_eq!(
            (n.record, n.title.as_str(), n.acked_ms),
            (7, "Invoice", None)
        );
        assert_eq!(found.notifications.len(), 1, "unknown ids are left out");
        assert_eq!(
            found.staff,
            HashSet::from([STAFF.to_owned()]),
            "linked staff only, not profile names"
        );
        let mut to = found.recipients["n1"].clone();
        to.sort();
        assert_eq!(to, [group, FRESH], "whom the notification was sent to");
        assert_eq!(found.recipients.len(), 1);
    }
}

//! Notifications as the acknowledgement loop sees them: which ones exist, who
//! acknowledged them, and the revisions the gateway wrote itself (so their
//! webhook echoes never notify anyone).

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// A notification's acknowledgement state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationState {
    pub id: String,
    pub app: i64,
    pub record: i64,
    pub title: String,
    pub to_value: String,
    /// The rule that made it (its settings say who may acknowledge).
    pub rule: String,
    pub acked_ms: Option<i64>,
    pub acked_by: Option<String>,
}

/// The columns, in order: `id, app, record, title, to_value, acked_ms, acked_by, rule`.
const NOTIFICATION_COLUMNS: &str = "id, app, record, title, to_value, acked_ms, acked_by, rule";

fn notification_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<NotificationState> {
    Ok(NotificationState {
        id: r.get(0)?,
        app: r.get(1)?,
        record: r.get(2)?,
        title: r.get(3)?,
        to_value: r.get(4)?,
        acked_ms: r.get(5)?,
        acked_by: r.get(6)?,
        rule: r.get(7)?,
    })
}

/// One notification by id, on connection `c`.
pub(super) fn notification_in(
    c: &rusqlite::Connection,
    id: &str,
) -> Result<Option<NotificationState>, StoreError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = ?1"
    ))?
    .query_row([id], notification_row)
    .optional()?)
}

/// Whom a notification was sent to (LINE user and group ids), on
/// connection `c`: every delivery the gateway made for it, pushed or still
/// owed — a tap can race the outbox recording that its push went out.
pub(super) fn recipients_in(c: &rusqlite::Connection, id: &str) -> Result<Vec<String>, StoreError> {
    let mut st =
        c.prepare_cached("SELECT DISTINCT recipient FROM deliveries WHERE notification = ?1")?;
    let rows = st.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Unacknowledged notifications: the one count behind the `pending_acks`
/// gauge, the indicator and `status`.
///
/// # Errors
/// The read failed.
pub fn pending_acks_in(c: &rusqlite::Connection) -> Result<i64, StoreError> {
    Ok(
        c.prepare_cached("SELECT COUNT(*) FROM notifications WHERE acked_ms IS NULL")?
            .query_row([], |r| r.get(0))?,
    )
}

/// Sets the `pending_acks` gauge: the one place it is written, whichever
/// loop read the count last.
pub fn show_pending_acks(metrics: &crate::metrics::Metrics, count: i64) {
    metrics
        .pending_acks
        .store(count, std::sync::atomic::Ordering::Relaxed);
}

impl Store {
    /// One notification by id.
    ///
    /// # Errors
    /// The read failed.
    pub async fn notification_get(
        &self,
        id: String,
    ) -> Result<Option<NotificationState>, StoreError> {
        self.read(move |c| notification_in(c, &id)).await
    }

    /// Unacknowledged notifications.
    ///
    /// # Errors
    /// The read failed.
    pub async fn pending_acks(&self) -> Result<i64, StoreError> {
        self.read(pending_acks_in).await
    }
}

/// Dead-lettered push requests carrying a notification nobody has
/// acknowledged. Read up to 100 times a second during a burst of taps, so
/// it walks the few dead requests (`outbox_dead`, `deliveries_push`), never
/// every delivery ever made.
pub(super) const DEAD_LETTERS: &str = "SELECT COUNT(DISTINCT o.id) FROM outbox o
     JOIN deliveries d ON d.push_id = o.id
     JOIN notifications n ON n.id = d.notification
     WHERE o.state = 'dead' AND n.acked_ms IS NULL";

impl Store {
    /// Unacknowledged notifications, oldest first (the panel acknowledges them).
    ///
    /// # Errors
    /// The read failed.
    pub async fn pending_notifications(&self) -> Result<Vec<NotificationState>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {NOTIFICATION_COLUMNS} FROM notifications
                 WHERE acked_ms IS NULL ORDER BY created_ms, id"
            ))?;
            let rows = st.query_map([], notification_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// What the indicator shows, in one read: unacknowledged notifications,
    /// and dead-lettered push requests that carry a notification nobody has
    /// acknowledged yet — trouble the office must see. Acknowledging the
    /// notification (in LINE or at the panel) clears it.
    ///
    /// # Errors
    /// The read failed.
    pub async fn pending_and_dead_letters(&self) -> Result<(i64, i64), StoreError> {
        self.read(|c| {
            let dead = c
                .prepare_cached(DEAD_LETTERS)?
                .query_row([], |r| r.get(0))?;
            Ok((pending_acks_in(c)?, dead))
        })
        .await
    }
}

#[cfg(any(test, feature = "sim"))]
impl Store {
    /// Stores an unacknowledged notification directly, as if the
    /// notification loop had made it but sent it to nobody: a fixture for
    /// the tests.
    ///
    /// # Errors
    /// The write failed (e.g. the id exists).
    pub async fn seed_notification(
        &self,
        id: &str,
        record: i64,
        title: &str,
        created_ms: i64,
    ) -> Result<(), StoreError> {
        self.seed_notification_to(id, record, title, created_ms, &[])
            .await
    }

    /// Like [`Store::seed_notification`], and pushed to `recipients` (LINE
    /// user or group ids): they may acknowledge it.
    ///
    /// # Errors
    /// The write failed (e.g. the id exists).
    pub async fn seed_notification_to(
        &self,
        id: &str,
        record: i64,
        title: &str,
        created_ms: i64,
        recipients: &[&str],
    ) -> Result<(), StoreError> {
        let seed = Seed {
            id: id.to_owned(),
            app: 1,
            record,
            rule: "r".to_owned(),
            title: title.to_owned(),
            created_ms,
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        };
        self.call(move |c| seed_in(c, &seed)).await
    }
}

/// A notification as a fixture stores it.
#[cfg(any(test, feature = "sim"))]
#[derive(Debug, Clone)]
pub struct Seed {
    pub id: String,
    pub app: i64,
    pub record: i64,
    pub rule: String,
    pub title: String,
    pub created_ms: i64,
    /// Whom it was pushed to (LINE user or group ids).
    pub recipients: Vec<String>,
}

/// Stores `n` on `c` as the notification loop would have after pushing it:
/// the notification, a sent push request, and a delivery per recipient.
/// Plain SQL on a connection, so the benchmark can seed the store of a
/// gateway binary running in another process.
///
/// # Errors
/// The write failed (e.g. the id exists).
#[cfg(any(test, feature = "sim"))]
pub fn seed_in(c: &rusqlite::Connection, n: &Seed) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO notifications(id, app, record, rule, to_value, revision, created_ms, title)
         VALUES (?1, ?2, ?3, ?4, 'Urgent', 3, ?5, ?6)",
    )?
    .execute(params![
        n.id,
        n.app,
        n.record,
        n.rule,
        n.created_ms,
        n.title
    ])?;
    if n.recipients.is_empty() {
        return Ok(());
    }
    let to =
        serde_json::to_string(&n.recipients).map_err(|e| StoreError::Invalid(e.to_string()))?;
    c.prepare_cached(
        "INSERT INTO outbox(retry_key, recipients, messages, message_count, state, attempts,
            created_ms, sent_ms)
         VALUES (?1, ?2, '[]', ?3, 'sent', 1, ?4, ?4)",
    )?
    .execute(params![
        format!("seed-{}", n.id),
        to,
        i64::try_from(n.recipients.len()).unwrap_or(i64::MAX),
        n.created_ms
    ])?;
    let push_id = c.last_insert_rowid();
    for r in &n.recipients {
        c.prepare_cached(
            "INSERT INTO deliveries(notification, recipient, created_ms, push_id)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![n.id, r, n.created_ms, push_id])?;
    }
    Ok(())
}

/// A notification to create: its card already rendered (the store thread
/// renders nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub id: String,
    pub app: crate::domain::AppId,
    pub record: crate::domain::RecordId,
    pub rule: String,
    pub from: Option<String>,
    pub to: String,
    pub revision: i64,
    pub title: String,
    pub buzz: bool,
    /// Whom it goes to, resolved when it is stored.
    pub recipients: Vec<super::recipients::RecipientKey>,
    /// Whom it goes to instead when `recipients` reach nobody.
    pub fallback: Vec<super::recipients::RecipientKey>,
    /// The Flex bubble, as JSON.
    pub bubble: String,
    pub alt_text: String,
    /// Its reminders and escalations, if its rule has any.
    pub chain: Option<super::chains::NewChain>,
    /// What its cards do in the quiet hours.
    pub night: crate::domain::AtNight,
}

/// Stores `n` (created at `now_ms`).
///
/// # Errors
/// The write failed.
pub(super) fn insert_notification(
    c: &rusqlite::Connection,
    n: &NewNotification,
    now_ms: i64,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO notifications(id, app, record, rule, from_value, to_value, revision, title, created_ms, buzz)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        n.id,
        n.app.stored(),
        n.record.stored(),
        n.rule,
        n.from,
        n.to,
        n.revision,
        n.title,
        now_ms,
        n.buzz
    ])?;
    Ok(())
}

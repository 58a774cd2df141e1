//! Getting a batch of due events ready: each parsed, and what their handling
//! reads from the store (names, staff links, notifications, recipients) read
//! once for the whole batch.

use super::{onboarding, AckContext};
use crate::clock::now_ms;
use crate::domain::LineUserId;
use crate::inbound::events::{EventKind, InboundEvent, Malformed};
use crate::inbound::reply::Receipt;
use crate::postback::AckData;
use crate::store::audit::AckLookups;
use crate::store::inbox::InboxRow;
use crate::store::notifications::NotificationState;
use crate::store::StoreError;

/// A due event, parsed, with what its handling reads from the store.
pub(super) struct Prepared {
    pub(super) row: InboxRow,
    pub(super) event: Result<InboundEvent, Malformed>,
    /// `None` when the batch read failed: the event reads for itself.
    pub(super) known: Option<Known>,
}

impl Prepared {
    pub(super) fn seq(&self) -> i64 {
        self.row.seq
    }
}

/// A postback's tapping person and the notification it answers, as the
/// store had them when the batch was read.
pub(super) struct Known {
    /// `None`: not in the directory and no fresh profile — ask LINE.
    pub(super) name: Option<(String, Option<String>)>,
    /// The tapping person is linked staff.
    pub(super) is_staff: bool,
    pub(super) notification: Option<NotificationState>,
    /// Whom the notification was sent to (LINE user and group ids).
    pub(super) recipients: Vec<String>,
}

impl Known {
    /// What `found` holds for one event's user and notification.
    fn from(found: &AckLookups, user: Option<String>, notification: Option<String>) -> Known {
        Known {
            name: user.as_ref().and_then(|u| found.names.get(u).cloned()),
            is_staff: user.is_some_and(|u| found.staff.contains(&u)),
            recipients: notification
                .as_ref()
                .and_then(|n| found.recipients.get(n).cloned())
                .unwrap_or_default(),
            notification: notification.and_then(|n| found.notifications.get(&n).cloned()),
        }
    }
}

/// The user and notification a postback event names, if it is one of ours.
fn postback_keys(ev: &InboundEvent) -> Option<(Option<String>, Option<String>)> {
    match &ev.kind {
        EventKind::Postback { data, .. } => Some((
            ev.source.user().map(|u| u.as_str().to_owned()),
            AckData::parse(data)
                .ok()
                .map(|a| a.notification.to_string()),
        )),
        _ => None,
    }
}

/// Parses a batch of due events and reads what their handling needs in one
/// round trip to the store, rather than two per event.
pub(super) async fn prepare(ctx: &AckContext, rows: Vec<InboxRow>) -> Vec<Prepared> {
    let events: Vec<_> = rows.iter().map(|r| parse(ctx, r)).collect();
    let keys: Vec<_> = events
        .iter()
        .map(|e| e.as_ref().ok().and_then(postback_keys))
        .collect();
    let found = read_batch(ctx, &keys).await;
    rows.into_iter()
        .zip(events)
        .zip(keys)
        .map(|((row, event), keys)| {
            let known = found
                .as_ref()
                .zip(keys)
                .map(|(found, (user, notification))| Known::from(found, user, notification));
            Prepared { row, event, known }
        })
        .collect()
}

/// The stored event with its reply token, timed from its receipt.
fn parse(ctx: &AckContext, row: &InboxRow) -> Result<InboundEvent, Malformed> {
    // A receipt time ahead of now was stored by a run whose steady timeline
    // was ahead (the clock set back between runs): counting from it would
    // keep a stale token "valid" past the deadline.
    let receipt = Receipt {
        received_ms: row.received_ms.min(ctx.clock.steady_ms()),
        line_offset_ms: ctx.clock.line_offset_ms(),
    };
    ctx.replies.parse_event(row, receipt)
}

/// One read for every user and notification the batch names; `None` when
/// there are none or the read failed.
async fn read_batch(
    ctx: &AckContext,
    keys: &[Option<(Option<String>, Option<String>)>],
) -> Option<AckLookups> {
    let (mut users, mut notifications) = (Vec::new(), Vec::new());
    for (user, notification) in keys.iter().flatten() {
        users.extend(user.clone());
        notifications.extend(notification.clone());
    }
    if users.is_empty() && notifications.is_empty() {
        return None;
    }
    let fresh_after = now_ms() - onboarding::PROFILE_TTL_MS;
    match ctx
        .store
        .ack_lookups(users, fresh_after, notifications)
        .await
    {
        Ok(found) => Some(found),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read names and notifications for a batch; each event reads its own");
            None
        }
    }
}

/// The batch read failed for this event: reads its user and notification
/// on its own.
pub(super) async fn read_known(
    ctx: &AckContext,
    user: Option<&LineUserId>,
    ack: &AckData,
) -> Result<Known, StoreError> {
    let user = user.map(|u| u.as_str().to_owned());
    let id = ack.notification.to_string();
    let fresh_after = now_ms() - onboarding::PROFILE_TTL_MS;
    let found = ctx
        .store
        .ack_lookups(
            user.iter().cloned().collect(),
            fresh_after,
            vec![id.clone()],
        )
        .await?;
    Ok(Known::from(&found, user, Some(id)))
}

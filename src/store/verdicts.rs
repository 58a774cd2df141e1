//! The transaction that stores a judged record revision: its watched
//! values, its notifications and their deliveries, and what becomes of the
//! queued change that brought it.
//!
//! The judging itself (`notify::detect`) and the card rendering run outside
//! the store thread, on a [`RecordState`] read beforehand. So the
//! transaction first reads that state again: if a webhook and a poll (or a
//! write-back's answer) got there in between, nothing is written and the
//! fresh state goes back to be judged again. A revision is thus still judged
//! once, against the state it is stored over.

use rusqlite::Connection;

use super::chains::{insert_chain, stop_moved_on};
use super::changes;
use super::deliveries::{insert_delivery, NewDelivery};
use super::field_state::{load, store_values, RecordState, RevisionKey};
use super::notifications::{insert_notification, NewNotification};
use super::recipients::{resolve, Resolved};
use super::{undeliverable, StoreError};

/// What judging a revision decided the store should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to store (stale).
    Nothing,
    /// Not judged yet: a write-back may have produced it.
    Held { until_ms: i64 },
    /// Store these watched values and create these notifications.
    Store {
        values: Vec<(String, String)>,
        notifications: Vec<NewNotification>,
    },
}

/// One judged revision, with the state it was judged on.
#[derive(Debug, Clone)]
pub struct Judged {
    pub key: RevisionKey,
    /// The watched fields whose state was read.
    pub fields: Vec<String>,
    pub judged_on: RecordState,
    pub outcome: Outcome,
}

/// The queue entry a revision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Queued change `seq`: closed, or held, in the same transaction.
    Change { seq: i64 },
    /// A polled record: queued as a held change if it is held.
    Poll,
}

/// What storing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Written; the recipients each notification reached, in order.
    Done(Vec<Resolved>),
    /// The state changed since it was read: judge again on this one.
    Stale(RecordState),
}

/// Stores `judged` at steady time `now_ms`, unless its state moved on.
///
/// # Errors
/// A write failed (the caller's savepoint is rolled back).
pub fn store_judged(
    c: &Connection,
    judged: &Judged,
    source: Source,
    now_ms: i64,
) -> Result<Stored, StoreError> {
    let fresh = load(c, judged.key, &judged.fields, now_ms)?;
    if fresh != judged.judged_on {
        return Ok(Stored::Stale(fresh));
    }
    let resolved = match &judged.outcome {
        Outcome::Held { until_ms } => {
            hold(c, judged.key, source, *until_ms, now_ms)?;
            return Ok(Stored::Done(Vec::new()));
        }
        Outcome::Nothing => Vec::new(),
        Outcome::Store {
            values,
            notifications,
        } => {
            store_values(c, judged.key, values)?;
            let record = (judged.key.app.stored(), judged.key.record.stored());
            stop_moved_on(c, record, values, now_ms)?;
            notifications
                .iter()
                .map(|n| notify(c, n, now_ms))
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    if let Source::Change { seq } = source {
        changes::close(c, seq, None)?;
    }
    Ok(Stored::Done(resolved))
}

fn hold(
    c: &Connection,
    key: RevisionKey,
    source: Source,
    until_ms: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    match source {
        Source::Change { seq } => changes::hold_change(c, seq, until_ms),
        // The change worker takes it over, so the watermark can move on
        // without losing it.
        Source::Poll => {
            changes::queue_held(c, key.app.stored(), key.record.stored(), until_ms, now_ms)
        }
    }
}

/// Creates one notification and a delivery per recipient it reaches; one
/// that reaches nobody is recorded as undeliverable and goes to the
/// fallback recipients instead (who may then acknowledge it).
fn notify(c: &Connection, n: &NewNotification, now_ms: i64) -> Result<Resolved, StoreError> {
    insert_notification(c, n, now_ms)?;
    if let Some(chain) = &n.chain {
        let about = (n.app.stored(), n.record.stored(), n.to.as_str());
        insert_chain(c, &n.id, about, chain, now_ms)?;
    }
    let mut resolved = resolve(c, &n.recipients)?;
    if resolved.ids.is_empty() {
        let fallback = resolve(c, &n.fallback)?.ids;
        let to = (!fallback.is_empty()).then(|| fallback.join(","));
        undeliverable::record(
            c,
            &n.id,
            &undeliverable::reason(&n.recipients),
            to.as_deref(),
            now_ms,
        )?;
        resolved.ids = fallback;
        resolved.undeliverable = true;
    }
    for who in &resolved.ids {
        let d = NewDelivery {
            notification: &n.id,
            recipient: who,
            bubble: &n.bubble,
            alt_text: &n.alt_text,
            night: n.night,
        };
        insert_delivery(c, d, now_ms)?;
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AppId, RecordId};
    use crate::store::Store;

    fn key() -> RevisionKey {
        RevisionKey {
            app: AppId::new(1).expect("app"),
            record: RecordId::new(5).expect("record"),
            revision: 4,
        }
    }

    fn storing(value: &str, judged_on: RecordState) -> Judged {
        Judged {
            key: key(),
            fields: vec!["STATUS".into()],
            judged_on,
            outcome: Outcome::Store {
                values: vec![("STATUS".into(), value.into())],
                notifications: Vec::new(),
            },
        }
    }

    /// A webhook and a poll bringing the same revision, both judged on the
    /// state before either was stored: the second finds the state moved on
    /// and writes nothing, so the revision is judged once.
    #[tokio::test]
    async fn a_decision_on_a_state_that_moved_on_is_not_stored() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let before = store
            .read(|c| load(c, key(), &["STATUS".into()], 0))
            .await
            .expect("load");
        let (first, second) = (
            storing("Approved", before.clone()),
            storing("Other", before),
        );
        let stored = store
            .call(move |c| {
                Ok((
                    store_judged(c, &first, Source::Poll, 0)?,
                    store_judged(c, &second, Source::Poll, 0)?,
                ))
            })
            .await
            .expect("store");
        assert_eq!(stored.0, Stored::Done(Vec::new()));
        let Stored::Stale(fresh) = stored.1 else {
            panic!("stored over a moved state: {:?}", stored.1);
        };
        assert_eq!(fresh.seen_revision, Some(4));
        assert_eq!(
            fresh.values.get("STATUS").map(String::as_str),
            Some("Approved")
        );
    }
}

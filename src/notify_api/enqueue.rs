//! Messages for configured recipients become stored push requests, in one
//! transaction: the recipients are resolved in the store (staff linked later
//! get later messages), users share multicasts, each group gets its own
//! push, and every request has its retry key fixed before the outbox sends
//! it (quota guard, retries and dead letters as for cards). Shared by
//! `POST /api/notify` and the `send` command.

use rusqlite::Connection;

use crate::config::rules::Recipient;
use crate::line::client::MULTICAST_MAX;
use crate::line::message::Message;
use crate::store::outbox::insert_request;
use crate::store::recipients::{resolve, RecipientKey};
use crate::store::{Store, StoreError};

/// What storing a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    /// Push requests stored for these LINE ids.
    Sent {
        recipients: Vec<String>,
        requests: usize,
    },
    /// Nobody: no recipient is linked or recorded (yet).
    Nobody,
    /// Taken in before (the same Pub/Sub message delivered again).
    Already,
}

/// The store's keys for `to` (no record: `field:` recipients never get here).
pub fn keys(to: &[Recipient]) -> Vec<RecipientKey> {
    to.iter()
        .filter_map(|r| match r {
            Recipient::Staff(n) => Some(RecipientKey::StaffName(n.clone())),
            Recipient::KintoneUser(c) => Some(RecipientKey::KintoneUsers(vec![c.clone()])),
            Recipient::GroupName(n) => Some(RecipientKey::GroupName(n.clone())),
            Recipient::User(u) => Some(RecipientKey::LineId(u.as_str().to_owned())),
            Recipient::Group(g) => Some(RecipientKey::LineId(g.as_str().to_owned())),
            Recipient::Field(_) => None,
        })
        .collect()
}

/// Stores `messages` for `to`. `pulled`: the Pub/Sub message id of a call
/// the relay published; in the same transaction it is marked taken in, and
/// a second delivery of it stores nothing ([`Queued::Already`]).
///
/// # Errors
/// The store failed, or the messages cannot be written as JSON.
pub async fn enqueue(
    store: &Store,
    to: &[Recipient],
    messages: &[Message],
    pulled: Option<&str>,
) -> Result<Queued, StoreError> {
    let keys = keys(to);
    let messages =
        serde_json::to_string(messages).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let created_ms = crate::clock::now_ms();
    let pulled = pulled.map(str::to_owned);
    store
        .call(move |c| {
            if let Some(id) = &pulled {
                if !crate::store::pulled_seen::mark_seen(c, id, created_ms)? {
                    return Ok(Queued::Already);
                }
            }
            store_for(c, &keys, &messages, created_ms)
        })
        .await
}

fn store_for(
    c: &Connection,
    keys: &[RecipientKey],
    messages: &str,
    created_ms: i64,
) -> Result<Queued, StoreError> {
    let ids = resolve(c, keys)?.ids;
    if ids.is_empty() {
        return Ok(Queued::Nobody);
    }
    let (users, groups): (Vec<&String>, Vec<&String>) =
        ids.iter().partition(|id| id.starts_with('U'));
    let mut batches: Vec<Vec<&String>> = users.chunks(MULTICAST_MAX).map(<[_]>::to_vec).collect();
    batches.extend(groups.into_iter().map(|g| vec![g]));
    for batch in &batches {
        let to = serde_json::to_string(batch).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let count = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        insert_request(c, &to, messages, count, created_ms)?;
    }
    Ok(Queued::Sent {
        requests: batches.len(),
        recipients: ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LineGroupId, LineUserId};

    const TARO: &str = "U1111111111111111111111111111aaaa";
    const HANA: &str = "U2222222222222222222222222222bbbb";
    const GROUP: &str = "C3333333333333333333333333333cccc";

    /// Pub/Sub delivers at least once: the second delivery of a message
    /// stores nothing.
    #[tokio::test]
    async fn a_pulled_message_delivered_twice_is_queued_once() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let to = [Recipient::User(LineUserId::parse(TARO).expect("id"))];
        let once = |id: &'static str| {
            let (store, to) = (store.clone(), to.clone());
            async move {
                enqueue(&store, &to, &[Message::text("hi")], Some(id))
                    .await
                    .expect("enqueue")
            }
        };
        assert!(matches!(
            once("m-1").await,
            Queued::Sent { requests: 1, .. }
        ));
        assert_eq!(once("m-1").await, Queued::Already);
        assert!(matches!(once("m-2").await, Queued::Sent { .. }));
        let requests = store
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))?))
            .await
            .expect("count");
        assert_eq!(requests, 2);
    }

    #[tokio::test]
    async fn users_share_a_multicast_groups_push_alone_nobody_is_said() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let to = [
            Recipient::User(LineUserId::parse(TARO).expect("id")),
            Recipient::User(LineUserId::parse(HANA).expect("id")),
            Recipient::Group(LineGroupId::parse(GROUP).expect("id")),
        ];
        let q = enqueue(&store, &to, &[Message::text("hi")], None)
            .await
            .expect("enqueue");
        assert_eq!(
            q,
            Queued::Sent {
                recipients: vec![GROUP.into(), TARO.into(), HANA.into()],
                requests: 2
            }
        );
        let due = store
            .read(|c| crate::store::outbox::due(c, 0, 10))
            .await
            .expect("due");
        let to: Vec<Vec<String>> = due.iter().map(|r| r.recipients.clone()).collect();
        assert_eq!(
            to,
            [
                vec![TARO.to_owned(), HANA.to_owned()],
                vec![GROUP.to_owned()]
            ]
        );
        assert_eq!(due[0].messages, r#"[{"type":"text","text":"hi"}]"#);
        let nobody = enqueue(
            &store,
            &[Recipient::Staff("Nobody Here".into())],
            &[Message::text("x")],
            None,
        )
        .await
        .expect("enqueue");
        assert_eq!(nobody, Queued::Nobody);
    }
}

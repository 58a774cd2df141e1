//! Deliveries become stored push requests, each recipient's queue when
//! [`Pacing::plan`] says so. Recipients owed exactly the same cards share a
//! multicast (`request`); a stored request is sent as it is (`send`).
//!
//! Only the outbox worker batches deliveries, one pass at a time, so a pass
//! reads the queues, plans and packs off the store thread, and stores the
//! requests after: a delivery arriving meanwhile waits for the next pass.

use std::collections::BTreeMap;

use super::request;
use crate::notify::pacing::{Pacing, CARDS_PER_REQUEST, MINUTE_MS};
use crate::store::deliveries::{self, OwedCard, Queues};
use crate::store::outbox::insert_part;
use crate::store::{Store, StoreError};

/// Stores the push requests that are due at steady time `now`. Returns how
/// many were stored and when the next waiting recipient becomes due.
///
/// # Errors
/// The store failed, or a stored card is unreadable.
pub async fn batch(
    store: &Store,
    pacing: &Pacing,
    (now, quiet): (i64, bool),
) -> Result<(usize, Option<i64>), StoreError> {
    let full = i64::try_from(CARDS_PER_REQUEST).unwrap_or(i64::MAX);
    let (queues, partials) = store
        .call(move |c| deliveries::waiting_paced(c, (now, quiet), MINUTE_MS, full))
        .await?;
    let (sends, next_due) = plan(pacing, &queues, &partials, now);
    if sends.is_empty() {
        return Ok((0, next_due));
    }
    let owed = store
        .read(move |c| {
            sends
                .into_iter()
                .map(|(who, seqs)| Ok((who, deliveries::cards(c, &seqs)?)))
                .collect::<Result<BTreeMap<String, Vec<OwedCard>>, StoreError>>()
        })
        .await?;
    let parts = request::build(owed, quiet)?;
    // Pacing runs on steady time (`now`); the request's stamp is for people.
    let created_ms = crate::clock::now_ms();
    let created = store
        .call(move |c| {
            let mut created = 0;
            for part in &parts {
                created += insert_part(c, part, now, created_ms)?;
            }
            Ok(created)
        })
        .await?;
    Ok((created, next_due))
}

/// Which deliveries go now, per recipient, and when to look again.
fn plan(
    pacing: &Pacing,
    queues: &Queues,
    partials: &BTreeMap<String, Vec<i64>>,
    now: i64,
) -> (BTreeMap<String, Vec<i64>>, Option<i64>) {
    let mut next_due: Option<i64> = None;
    let mut sends = BTreeMap::new();
    for (recipient, queue) in queues {
        let arrivals: Vec<i64> = queue.iter().map(|&(_, at)| at).collect();
        let history = partials.get(recipient).map_or(&[][..], Vec::as_slice);
        let plan = pacing.plan(&arrivals, history, now);
        if let Some(at) = plan.next_check {
            next_due = Some(next_due.map_or(at, |n| n.min(at)));
        }
        if plan.send > 0 {
            let seqs = queue.iter().take(plan.send).map(|&(seq, _)| seq).collect();
            sends.insert(recipient.clone(), seqs);
        }
    }
    (sends, next_due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AppId, RecordId};
    use crate::store::notifications::NewNotification;
    use crate::store::push_history;
    use crate::store::verdicts::{store_judged, Judged, Outcome, Source};

    const TARO: &str = "U1111111111111111111111111111aaaa";

    /// A card for `who` arriving at `at` ms.
    async fn card(store: &Store, who: &str, at: i64) {
        let record = RecordId::new(u64::try_from(at).expect("at") + 1).expect("record");
        let n = NewNotification {
            id: format!("n{at}"),
            app: AppId::new(1).expect("app"),
            record,
            rule: "r".into(),
            from: None,
            to: "Needs approval".into(),
            revision: 1,
            title: String::new(),
            buzz: false,
            recipients: vec![crate::store::recipients::RecipientKey::LineId(who.into())],
            fallback: Vec::new(),
            bubble: r#"{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"Fix the roof"}]}}"#.into(),
            alt_text: "Needs approval".into(),
            chain: None,
            night: crate::domain::AtNight::Send,
        };
        let judged = Judged {
            key: crate::store::field_state::RevisionKey {
                app: n.app,
                record,
                revision: 1,
            },
            fields: Vec::new(),
            judged_on: crate::store::field_state::RecordState::default(),
            outcome: Outcome::Store {
                values: Vec::new(),
                notifications: vec![n],
            },
        };
        store
            .call(move |c| store_judged(c, &judged, Source::Poll, at))
            .await
            .expect("delivery");
    }

    async fn cards_per_request(store: &Store) -> Vec<i64> {
        store
            .read(deliveries::cards_per_request)
            .await
            .expect("cards per request")
    }

    #[tokio::test]
    async fn each_recipients_history_paces_their_next_request() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let s = &store;
        let p = Pacing::default();
        for at in [0, 100, 200] {
            card(s, TARO, at).await;
        }
        assert_eq!(
            batch(s, &p, (500, false)).await.expect("batch"),
            (0, Some(1_200))
        );
        assert_eq!(
            batch(s, &p, (1_200, false)).await.expect("batch"),
            (1, None)
        );
        card(s, TARO, 5_000).await;
        assert_eq!(
            batch(s, &p, (6_000, false)).await.expect("batch"),
            (1, None)
        );
        // Two part-filled requests this minute: the third waits for the max
        // wait (20 s after its card), not for the debounce.
        card(s, TARO, 7_000).await;
        assert_eq!(
            batch(s, &p, (8_000, false)).await.expect("batch"),
            (0, Some(27_000))
        );
        card(s, "U2222222222222222222222222222bbbb", 7_500).await;
        assert_eq!(
            batch(s, &p, (8_500, false)).await.expect("batch"),
            (1, Some(27_000)),
            "another person is not held back"
        );
        assert_eq!(
            batch(s, &p, (27_000, false)).await.expect("batch"),
            (1, None)
        );
        assert_eq!(cards_per_request(s).await, [3, 1, 1, 1]);
        // A minute on, the old history is dropped: Taro's next card goes
        // after the debounce, and only its request is remembered.
        card(s, TARO, 89_000).await;
        assert_eq!(
            batch(s, &p, (90_000, false)).await.expect("batch"),
            (1, None)
        );
        let left = store.read(push_history::count).await.expect("count");
        assert_eq!(left, 1);
    }
}

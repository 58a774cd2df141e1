//! Deliveries become stored push requests, each recipient's queue when
//! [`Pacing::plan`] says so. Recipients owed exactly the same cards share a
//! multicast; a stored request is sent as it is (see `outbox`).

use std::collections::BTreeMap;

use crate::store::pushes::insert_request;
use rusqlite::{params, Connection};

use super::pacing::{Pacing, CARDS_PER_REQUEST, MINUTE_MS};
use crate::line::client::MULTICAST_MAX;
use crate::line::flex;
use crate::store::StoreError;

/// One recipient's owed deliveries: (seq, notification, bubble, alt text).
type Owed = Vec<(i64, String, String, String)>;
/// Recipients owed the same cards, each with their delivery seqs in card order.
type Members = Vec<(String, Vec<i64>)>;

/// Stores the push requests that are due at steady time `now`. Returns how many were
/// stored and when the next waiting recipient becomes due.
///
/// # Errors
/// The store failed, or a stored card is unreadable.
pub fn batch(
    c: &Connection,
    pacing: &Pacing,
    now: i64,
) -> Result<(usize, Option<i64>), StoreError> {
    let mut queues = waiting(c)?;
    if queues.is_empty() {
        return Ok((0, None));
    }
    if queues.values().flatten().any(|&(_, at)| at > now) {
        queues = settle_future(c, now)?;
    }
    forget_old(c, now)?;
    let mut next_due: Option<i64> = None;
    let mut owed: BTreeMap<String, Owed> = BTreeMap::new();
    for (recipient, queue) in queues {
        let arrivals: Vec<i64> = queue.iter().map(|&(_, at)| at).collect();
        let history = recent_partials(c, &recipient, now)?;
        let plan = pacing.plan(&arrivals, &history, now);
        if let Some(at) = plan.next_check {
            next_due = Some(next_due.map_or(at, |n| n.min(at)));
        }
        if plan.send > 0 {
            let seqs = queue.iter().take(plan.send).map(|&(seq, _)| seq);
            owed.insert(recipient, cards(c, seqs)?);
        }
    }
    if owed.is_empty() {
        return Ok((0, next_due));
    }
    Ok((store_requests(c, owed, now)?, next_due))
}

/// Unbatched deliveries per recipient: (seq, arrival ms), oldest first.
fn waiting(c: &Connection) -> Result<BTreeMap<String, Vec<(i64, i64)>>, StoreError> {
    let mut queues: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    let mut st = c.prepare_cached(
        "SELECT seq, recipient, created_ms FROM deliveries WHERE push_id IS NULL ORDER BY seq",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        queues
            .entry(r.get(1)?)
            .or_default()
            .push((r.get(0)?, r.get(2)?));
    }
    Ok(queues)
}

/// Drops pacing history older than the window it is counted in.
fn forget_old(c: &Connection, now: i64) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM push_history WHERE at_ms <= ?1")?
        .execute([now - MINUTE_MS])?;
    Ok(())
}

/// Times ahead of `now` were stored before the clock went back (between two
/// runs: the steady timeline starts from the wall clock). They become `now`
/// for good, so no card waits for a moment that is an hour away — and none
/// waits forever, as it would if only this pass's copy were moved.
fn settle_future(
    c: &Connection,
    now: i64,
) -> Result<BTreeMap<String, Vec<(i64, i64)>>, StoreError> {
    c.prepare_cached(
        "UPDATE deliveries SET created_ms = ?1 WHERE push_id IS NULL AND created_ms > ?1",
    )?
    .execute([now])?;
    c.prepare_cached("UPDATE push_history SET at_ms = ?1 WHERE at_ms > ?1")?
        .execute([now])?;
    waiting(c)
}

/// When `recipient`'s part-filled requests of the last minute were made.
fn recent_partials(c: &Connection, recipient: &str, now: i64) -> Result<Vec<i64>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT at_ms FROM push_history WHERE recipient = ?1 AND at_ms > ?2 AND cards < ?3",
    )?;
    let full = i64::try_from(CARDS_PER_REQUEST).unwrap_or(i64::MAX);
    let rows = st.query_map(params![recipient, now - MINUTE_MS, full], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn cards(c: &Connection, seqs: impl Iterator<Item = i64>) -> Result<Owed, StoreError> {
    let mut st =
        c.prepare_cached("SELECT notification, bubble, alt_text FROM deliveries WHERE seq = ?1")?;
    seqs.map(|seq| Ok(st.query_row([seq], |r| Ok((seq, r.get(0)?, r.get(1)?, r.get(2)?)))?))
        .collect()
}

fn store_requests(
    c: &Connection,
    owed: BTreeMap<String, Owed>,
    now: i64,
) -> Result<usize, StoreError> {
    // Users owed exactly the same cards share a multicast; groups push alone.
    // (kind, notification ids) -> recipients with their delivery seqs, in card order.
    let mut shared: BTreeMap<(bool, Vec<String>), Members> = BTreeMap::new();
    let mut cards: BTreeMap<Vec<String>, Vec<(String, String)>> = BTreeMap::new();
    for (recipient, items) in owed {
        let key: Vec<String> = items.iter().map(|i| i.1.clone()).collect();
        let seqs: Vec<i64> = items.iter().map(|i| i.0).collect();
        if !cards.contains_key(&key) {
            cards.insert(
                key.clone(),
                items.into_iter().map(|(_, _, b, alt)| (b, alt)).collect(),
            );
        }
        let is_group = !recipient.starts_with('U');
        let group = if is_group {
            (
                true,
                std::iter::once(recipient.clone()).chain(key).collect(),
            )
        } else {
            (false, key)
        };
        shared.entry(group).or_default().push((recipient, seqs));
    }
    // Pacing runs on steady time (`now`); the request's stamp is for people.
    let created_ms = crate::clock::now_ms();
    let mut created = 0;
    for ((is_group, key), members) in shared {
        let notif_key = if is_group { &key[1..] } else { &key[..] };
        let Some(items) = cards.get(notif_key) else {
            continue;
        };
        // One request's worth of cards at a time: a burst of a thousand
        // cards never sits in memory as JSON trees all at once.
        for (part_no, part) in items.chunks(CARDS_PER_REQUEST).enumerate() {
            let first = part_no * CARDS_PER_REQUEST;
            let bubbles = part
                .iter()
                .map(|(b, alt)| {
                    Ok((
                        serde_json::from_str::<serde_json::Value>(b)
                            .map_err(|e| StoreError::Invalid(e.to_string()))?,
                        alt.clone(),
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let requests = flex::pack(bubbles)
                .map_err(|e| StoreError::Invalid(format!("packing cards: {e}")))?;
            for chunk in members.chunks(MULTICAST_MAX) {
                let to: Vec<&str> = chunk.iter().map(|(r, _)| r.as_str()).collect();
                let to =
                    serde_json::to_string(&to).map_err(|e| StoreError::Invalid(e.to_string()))?;
                for messages in &requests {
                    let body = serde_json::to_string(messages)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    let count = i64::try_from(chunk.len()).unwrap_or(i64::MAX);
                    let push_id = insert_request(c, &to, &body, count, created_ms)?;
                    created += 1;
                    // This part's deliveries belong to its (first) request.
                    for (_, seqs) in chunk {
                        for seq in seqs.iter().skip(first).take(part.len()) {
                            c.prepare_cached("UPDATE deliveries SET push_id = ?2 WHERE seq = ?1 AND push_id IS NULL")?.execute(params![seq, push_id],
                            )?;
                        }
                    }
                }
                remember(c, chunk, part.len(), now)?;
            }
        }
    }
    Ok(created)
}

/// Records one request's worth of cards per recipient, for the pacing.
fn remember(
    c: &Connection,
    members: &[(String, Vec<i64>)],
    cards: usize,
    now: i64,
) -> Result<(), StoreError> {
    let cards = i64::try_from(cards).unwrap_or(i64::MAX);
    let mut st =
        c.prepare_cached("INSERT INTO push_history(recipient, at_ms, cards) VALUES (?1, ?2, ?3)")?;
    for (recipient, _) in members {
        st.execute(params![recipient, now, cards])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARO: &str = "U1111111111111111111111111111aaaa";

    /// A card for `who` arriving at `at` ms.
    fn card(c: &Connection, who: &str, at: i64) {
        let id = format!("n{at}");
        c.execute(
            "INSERT INTO notifications(id, app, record, rule, to_value, revision, created_ms)
             VALUES (?1, 1, ?2, 'r', 'Needs approval', 1, ?2)",
            params![id, at],
        )
        .expect("notification");
        let bubble = r#"{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"Fix the roof"}]}}"#;
        c.execute(
            "INSERT INTO deliveries(notification, recipient, bubble, alt_text, created_ms)
             VALUES (?1, ?2, ?3, 'Needs approval', ?4)",
            params![id, who, bubble, at],
        )
        .expect("delivery");
    }

    fn cards_per_request(c: &Connection) -> Vec<i64> {
        let mut st = c
            .prepare("SELECT COUNT(*) FROM deliveries WHERE push_id IS NOT NULL GROUP BY push_id ORDER BY push_id")
            .expect("sql");
        let rows = st.query_map([], |r| r.get(0)).expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    }

    #[tokio::test]
    async fn each_recipients_history_paces_their_next_request() {
        let dir = tempfile::tempdir().expect("dir");
        let store = crate::store::Store::open(dir.path()).expect("store");
        store
            .call(|c| {
                paced(c);
                Ok(())
            })
            .await
            .expect("store");
    }

    fn paced(c: &Connection) {
        let p = Pacing::default();
        for at in [0, 100, 200] {
            card(c, TARO, at);
        }
        assert_eq!(batch(c, &p, 500).expect("batch"), (0, Some(1_200)));
        assert_eq!(batch(c, &p, 1_200).expect("batch"), (1, None));
        card(c, TARO, 5_000);
        assert_eq!(batch(c, &p, 6_000).expect("batch"), (1, None));
        // Two part-filled requests this minute: the third waits for the max
        // wait (20 s after its card), not for the debounce.
        card(c, TARO, 7_000);
        assert_eq!(batch(c, &p, 8_000).expect("batch"), (0, Some(27_000)));
        card(c, "U2222222222222222222222222222bbbb", 7_500);
        assert_eq!(
            batch(c, &p, 8_500).expect("batch"),
            (1, Some(27_000)),
            "another person is not held back"
        );
        assert_eq!(batch(c, &p, 27_000).expect("batch"), (1, None));
        assert_eq!(cards_per_request(c), [3, 1, 1, 1]);
        // A minute on, the old history is dropped: Taro's next card goes
        // after the debounce, and only its request is remembered.
        card(c, TARO, 89_000);
        assert_eq!(batch(c, &p, 90_000).expect("batch"), (1, None));
        let left: i64 = c
            .query_row("SELECT COUNT(*) FROM push_history", [], |r| r.get(0))
            .expect("count");
        assert_eq!(left, 1);
    }
}

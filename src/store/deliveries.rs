//! `deliveries`: what each recipient is owed, one rendered card each (in
//! `cards`, written once), until the outbox packs it into a push request
//! (`push_id`).

use std::collections::BTreeMap;

use rusqlite::{params, Connection};

use super::push_history;
use super::StoreError;
use crate::domain::AtNight;

/// Unbatched deliveries per recipient: (seq, arrival ms), oldest first.
pub type Queues = BTreeMap<String, Vec<(i64, i64)>>;

/// The queues waiting, and each recipient's recent part-filled requests.
pub type Waiting = (Queues, BTreeMap<String, Vec<i64>>);

/// A card a recipient is owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedCard {
    pub seq: i64,
    pub notification: String,
    /// What it does in the quiet hours.
    pub night: AtNight,
    /// The Flex bubble, as JSON.
    pub bubble: String,
    pub alt_text: String,
}

/// A card to store for one recipient.
#[derive(Debug, Clone, Copy)]
pub struct NewDelivery<'a> {
    pub notification: &'a str,
    pub recipient: &'a str,
    pub bubble: &'a str,
    pub alt_text: &'a str,
    pub night: AtNight,
}

/// Stores a card owed to `d.recipient` (at steady time `now_ms`).
///
/// # Errors
/// The write failed.
pub fn insert_delivery(c: &Connection, d: NewDelivery<'_>, now_ms: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO deliveries(notification, recipient, created_ms, night)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        d.notification,
        d.recipient,
        now_ms,
        d.night.as_str()
    ])?;
    c.prepare_cached("INSERT INTO cards(delivery, bubble, alt_text) VALUES (?1, ?2, ?3)")?
        .execute(params![c.last_insert_rowid(), d.bubble, d.alt_text])?;
    Ok(())
}

/// Unbatched deliveries in row order (`?1`: in the quiet hours). They are
/// the NULL push ids of `deliveries_push`, in row order there too: no sort,
/// and no index of their own for every card to be written into and out of.
pub(super) const WAITING: &str = "SELECT seq, recipient, created_ms FROM deliveries
     WHERE push_id IS NULL AND (?1 = 0 OR night <> 'hold') ORDER BY seq";

/// Unbatched deliveries per recipient, oldest first; in the quiet hours
/// (`quiet`) without the ones held until they end.
///
/// # Errors
/// The read failed.
pub fn waiting(c: &Connection, quiet: bool) -> Result<Queues, StoreError> {
    let mut queues = Queues::new();
    let mut st = c.prepare_cached(WAITING)?;
    let mut rows = st.query([quiet])?;
    while let Some(r) = rows.next()? {
        queues
            .entry(r.get(1)?)
            .or_default()
            .push((r.get(0)?, r.get(2)?));
    }
    Ok(queues)
}

/// Unbatched deliveries per recipient, with when each recipient's requests
/// of fewer than `full` cards in the last `window_ms` were made. Settles
/// times from before the clock went back and drops older history.
///
/// # Errors
/// A read or write failed.
pub fn waiting_paced(
    c: &Connection,
    (now, quiet): (i64, bool),
    window_ms: i64,
    full: i64,
) -> Result<Waiting, StoreError> {
    let mut queues = waiting(c, quiet)?;
    if queues.is_empty() {
        return Ok((queues, BTreeMap::new()));
    }
    if queues.values().flatten().any(|&(_, at)| at > now) {
        // Times ahead of `now` were stored before the clock went back
        // (between two runs: the steady timeline starts from the wall
        // clock). They become `now` for good, so no card waits for a moment
        // that is an hour away — and none waits forever, as it would if only
        // this pass's copy were moved.
        settle_future(c, now)?;
        push_history::settle_future(c, now)?;
        queues = waiting(c, quiet)?;
    }
    push_history::forget_old(c, now - window_ms)?;
    let partials = queues
        .keys()
        .map(|who| {
            let at = push_history::recent_partials(c, who, now - window_ms, full)?;
            Ok((who.clone(), at))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((queues, partials))
}

/// Arrival times ahead of `now` become `now`; returns how many moved.
///
/// # Errors
/// The write failed.
pub fn settle_future(c: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(c.prepare_cached(
        "UPDATE deliveries SET created_ms = ?1 WHERE push_id IS NULL AND created_ms > ?1",
    )?
    .execute([now])?)
}

/// The cards of deliveries `seqs`, in that order.
///
/// # Errors
/// The read failed.
pub fn cards(c: &Connection, seqs: &[i64]) -> Result<Vec<OwedCard>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT d.notification, k.bubble, k.alt_text, d.night
         FROM deliveries d JOIN cards k ON k.delivery = d.seq WHERE d.seq = ?1",
    )?;
    seqs.iter()
        .map(|&seq| {
            Ok(st.query_row([seq], |r| {
                Ok(OwedCard {
                    seq,
                    notification: r.get(0)?,
                    bubble: r.get(1)?,
                    alt_text: r.get(2)?,
                    night: AtNight::parse(&r.get::<_, String>(3)?).unwrap_or(AtNight::Send),
                })
            })?)
        })
        .collect()
}

/// The cards push request `push_id` carries to `recipient` (each of its
/// recipients is owed the same), in card order: its messages, for a
/// request stored without a copy of them.
///
/// # Errors
/// The read failed.
pub fn cards_of_push(
    c: &Connection,
    push_id: i64,
    recipient: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT k.bubble, k.alt_text FROM deliveries d JOIN cards k ON k.delivery = d.seq
         WHERE d.push_id = ?1 AND d.recipient = ?2 ORDER BY d.seq",
    )?;
    let rows = st.query_map(params![push_id, recipient], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Marks deliveries `seqs` as carried by push request `push_id` (the first
/// request that carries them keeps them).
///
/// # Errors
/// The write failed.
pub fn assign(c: &Connection, seqs: &[i64], push_id: i64) -> Result<(), StoreError> {
    let mut st =
        c.prepare_cached("UPDATE deliveries SET push_id = ?2 WHERE seq = ?1 AND push_id IS NULL")?;
    for seq in seqs {
        st.execute(params![seq, push_id])?;
    }
    Ok(())
}

/// Deletes up to `limit` notifications acknowledged and created before
/// `before`, oldest first, with their deliveries, their (stopped) reminder
/// chain and their undeliverable record; one with a card still owed (not
/// yet in a push request) is kept.
///
/// # Errors
/// The write failed.
pub(super) fn prune(c: &Connection, before: i64, limit: i64) -> Result<usize, StoreError> {
    let ids: Vec<String> = super::retention::oldest(c, OLDEST, rusqlite::params![], before, limit)?;
    let mut bubbles = c.prepare_cached(
        "DELETE FROM cards WHERE delivery IN (SELECT seq FROM deliveries WHERE notification = ?1)",
    )?;
    let mut cards = c.prepare_cached("DELETE FROM deliveries WHERE notification = ?1")?;
    let mut chain = c.prepare_cached("DELETE FROM chains WHERE notification = ?1")?;
    let mut nobody = c.prepare_cached("DELETE FROM undeliverable WHERE notification = ?1")?;
    let mut one = c.prepare_cached("DELETE FROM notifications WHERE id = ?1")?;
    for id in &ids {
        bubbles.execute([id])?;
        cards.execute([id])?;
        chain.execute([id])?;
        nobody.execute([id])?;
        one.execute([id])?;
    }
    Ok(ids.len())
}

/// The pruning walk over notifications: `time, prunable, id` in row order
/// (acknowledged, and no card still owed or in a request not yet sent,
/// which reads its cards when it is; the tests read its plan).
pub(super) const OLDEST: &str = "SELECT created_ms,
       acked_ms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries d
                                            LEFT JOIN outbox o ON o.id = d.push_id
                                            WHERE d.notification = n.id
                                              AND (d.push_id IS NULL OR o.state = 'pending')),
       id
     FROM notifications n ORDER BY n.rowid";

/// Whether any card waits to be put in a push request.
///
/// # Errors
/// The read failed.
pub fn any_unbatched(c: &Connection) -> Result<bool, StoreError> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM deliveries WHERE push_id IS NULL)")?
            .query_row([], |r| r.get(0))?,
    )
}

/// Cards per push request, in request order (tests look at the packing).
///
/// # Errors
/// The read failed.
#[cfg(any(test, feature = "sim"))]
pub fn cards_per_request(c: &Connection) -> Result<Vec<i64>, StoreError> {
    let mut st = c.prepare(
        "SELECT COUNT(*) FROM deliveries WHERE push_id IS NOT NULL GROUP BY push_id ORDER BY push_id",
    )?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

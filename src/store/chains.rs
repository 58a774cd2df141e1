//! `chains`: each open notification's reminders and escalations — the next
//! step of its rule's schedule and when it is due (steady ms).
//!
//! Rules kept: a chain is made in the transaction that stores its
//! notification; a step's deliveries are stored in the transaction that
//! moves the chain past that step (compare-and-set on the step), so a step
//! is pushed once however often it is tried; an acknowledgement or the
//! record leaving the notified value stops the chain in the transaction that
//! records it. A stopped chain keeps its row: when and why (the audit).

use rusqlite::{params, Connection, OptionalExtension};

mod stage;

pub use stage::{ChainStage, StopReason};

use super::deliveries::{insert_delivery, NewDelivery};
use super::recipients::{resolve, RecipientKey};
use super::StoreError;

/// A chain to make with its notification: offsets from its creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChain {
    /// The rule's watched field (the chain stops when it leaves `to`).
    pub field: String,
    /// When the first step is due, after the notification.
    pub first_after_ms: i64,
    pub give_up_after_ms: i64,
}

/// Makes the chain of notification `id` (created at steady `now_ms`).
///
/// # Errors
/// The write failed.
pub(super) fn insert_chain(
    c: &Connection,
    id: &str,
    (app, record, to_value): (i64, i64, &str),
    chain: &NewChain,
    now_ms: i64,
) -> Result<(), StoreError> {
    let give_up = now_ms.saturating_add(chain.give_up_after_ms);
    let due = now_ms.saturating_add(chain.first_after_ms).min(give_up);
    c.prepare_cached(
        "INSERT INTO chains(notification, app, record, field, to_value, base_ms, due_ms, give_up_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![id, app, record, chain.field, to_value, now_ms, due, give_up])?;
    Ok(())
}

/// A chain whose next step (or give-up) is due, with what its step needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueChain {
    pub notification: String,
    pub rule: String,
    pub app: i64,
    pub next_step: usize,
    /// The schedule counts from here: the notification's time plus any
    /// time the chain's clock stood still.
    pub base_ms: i64,
    pub give_up_ms: i64,
    /// When its next step was due.
    pub due_ms: i64,
    /// The notification's own card (JSON) and alt text.
    pub bubble: String,
    pub alt_text: String,
    /// Everyone it reached so far (LINE ids), with the name the office knows
    /// them by (staff directory, group name, or cached LINE profile), when
    /// it does.
    pub reached: Vec<(String, Option<String>)>,
}

/// Due open chains (`?1` now, `?2` how many), earliest first: walks the
/// partial index of open chains in due order, never every chain ever made.
pub(super) const DUE_CHAINS: &str =
    "SELECT ch.notification, n.rule, ch.app, ch.next_step, ch.base_ms + ch.paused_ms,
            ch.give_up_ms, ch.due_ms
     FROM chains ch JOIN notifications n ON n.id = ch.notification
     WHERE ch.stopped_ms IS NULL AND ch.due_ms <= ?1 ORDER BY ch.due_ms LIMIT ?2";

/// Chains due at steady `now_ms`, at most `limit`, earliest first.
///
/// # Errors
/// The read failed.
pub fn due_chains(c: &Connection, now_ms: i64, limit: usize) -> Result<Vec<DueChain>, StoreError> {
    let mut st = c.prepare_cached(DUE_CHAINS)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let heads = st
        .query_map(params![now_ms, limit], |r| {
            Ok(DueChain {
                notification: r.get(0)?,
                rule: r.get(1)?,
                app: r.get(2)?,
                next_step: usize::try_from(r.get::<_, i64>(3)?).unwrap_or(usize::MAX),
                base_ms: r.get(4)?,
                give_up_ms: r.get(5)?,
                due_ms: r.get(6)?,
                bubble: String::new(),
                alt_text: String::new(),
                reached: Vec::new(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    heads.into_iter().map(|h| with_card(c, h)).collect()
}

fn with_card(c: &Connection, mut h: DueChain) -> Result<DueChain, StoreError> {
    let card = c
        .prepare_cached(
            "SELECT k.bubble, k.alt_text FROM deliveries d JOIN cards k ON k.delivery = d.seq
             WHERE d.notification = ?1 ORDER BY d.seq LIMIT 1",
        )?
        .query_row([&h.notification], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    (h.bubble, h.alt_text) = card.unwrap_or_default();
    let mut st = c.prepare_cached(
        "SELECT d.recipient, COALESCE(s.display_name, g.name, p.display_name) FROM deliveries d
         LEFT JOIN staff s ON s.line_user_id = d.recipient
         LEFT JOIN groups g ON g.group_id = d.recipient
         LEFT JOIN profiles p ON p.line_user_id = d.recipient
         WHERE d.notification = ?1 GROUP BY d.recipient ORDER BY MIN(d.seq)",
    )?;
    h.reached = st
        .query_map([&h.notification], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(h)
}

/// When the earliest open chain due after `after_ms` is due (steady ms).
///
/// # Errors
/// The read failed.
pub fn next_due(c: &Connection, after_ms: i64) -> Result<Option<i64>, StoreError> {
    Ok(
        c.prepare_cached(
            "SELECT MIN(due_ms) FROM chains WHERE stopped_ms IS NULL AND due_ms > ?1",
        )?
        .query_row([after_ms], |r| r.get(0))?,
    )
}

/// A card to store for some recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCard {
    pub bubble: String,
    pub alt_text: String,
}

/// Moving a chain past its due steps: what goes to whom, and what is next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance {
    pub notification: String,
    /// The step the chain was read at (compare-and-set).
    pub from_step: usize,
    pub to_step: usize,
    /// When the next step is due; `None`: this was the last.
    pub next_due_ms: Option<i64>,
    /// How much longer the chain's clock stood still (ms; 0 but with
    /// `reminders_at_night = "pause"`).
    pub paused_ms: i64,
    pub stage: ChainStage,
    /// A reminder for everyone reached so far.
    pub remind: Option<(Vec<String>, StepCard)>,
    /// An escalation card for these recipients (resolved here).
    pub escalate: Option<(Vec<RecipientKey>, StepCard)>,
    /// What the step's cards do in the quiet hours (the rule's).
    pub night: crate::domain::AtNight,
}

/// What an advance stored: how many reminder and escalation cards; `None`
/// if the chain had moved (another pass got there, or it stopped).
pub type Advanced = Option<(usize, usize)>;

/// Applies `a` at steady `now_ms`, once.
///
/// # Errors
/// A write failed (the caller's savepoint is rolled back).
pub fn advance(c: &Connection, a: &Advance, now_ms: i64) -> Result<Advanced, StoreError> {
    let step = |s: usize| i64::try_from(s).unwrap_or(i64::MAX);
    let moved = c
        .prepare_cached(
            "UPDATE chains SET next_step = ?3, due_ms = COALESCE(?4, due_ms), stage = ?5,
                 paused_ms = paused_ms + ?7,
                 stopped_ms = CASE WHEN ?4 IS NULL THEN ?6 END,
                 stop_reason = CASE WHEN ?4 IS NULL THEN 'done' END
             WHERE notification = ?1 AND next_step = ?2 AND stopped_ms IS NULL",
        )?
        .execute(params![
            a.notification,
            step(a.from_step),
            step(a.to_step),
            a.next_due_ms,
            a.stage.as_text(),
            now_ms,
            a.paused_ms
        ])?;
    if moved == 0 {
        return Ok(None);
    }
    let escalated = match &a.escalate {
        Some((keys, _)) => resolve(c, keys)?.ids,
        None => Vec::new(),
    };
    let mut counts = (0, 0);
    if let Some((to, card)) = &a.remind {
        for who in to.iter().filter(|w| !escalated.contains(w)) {
            insert_delivery(c, card_for(a, who, card), now_ms)?;
            counts.0 += 1;
        }
    }
    if let Some((_, card)) = &a.escalate {
        for who in &escalated {
            insert_delivery(c, card_for(a, who, card), now_ms)?;
            counts.1 += 1;
        }
    }
    Ok(Some(counts))
}

fn card_for<'a>(a: &'a Advance, who: &'a str, card: &'a StepCard) -> NewDelivery<'a> {
    NewDelivery {
        notification: &a.notification,
        recipient: who,
        bubble: &card.bubble,
        alt_text: &card.alt_text,
        night: a.night,
    }
}

/// Stops notification `id`'s open chain, if it has one.
///
/// # Errors
/// The write failed.
pub fn stop(
    c: &Connection,
    id: &str,
    reason: StopReason,
    now_ms: i64,
) -> Result<usize, StoreError> {
    Ok(c.prepare_cached(
        "UPDATE chains SET stopped_ms = ?2, stop_reason = ?3
         WHERE notification = ?1 AND stopped_ms IS NULL",
    )?
    .execute(params![id, now_ms, reason.as_str()])?)
}

/// Stops the open chains of a record whose watched `field` now holds
/// `value`, where that is not the value they notified on.
///
/// # Errors
/// The write failed.
pub(super) fn stop_moved_on(
    c: &Connection,
    (app, record): (i64, i64),
    values: &[(String, String)],
    now_ms: i64,
) -> Result<usize, StoreError> {
    let mut st = c.prepare_cached(
        "UPDATE chains SET stopped_ms = ?5, stop_reason = 'moved_on'
         WHERE app = ?1 AND record = ?2 AND stopped_ms IS NULL AND field = ?3 AND to_value <> ?4",
    )?;
    let mut n = 0;
    for (field, value) in values {
        n += st.execute(params![app, record, field, value, now_ms])?;
    }
    Ok(n)
}

/// An open chain as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenChain {
    pub notification: String,
    pub record: i64,
    pub title: String,
    pub base_ms: i64,
    pub stage: ChainStage,
    pub due_ms: i64,
}

/// Open chains, oldest first.
///
/// # Errors
/// The read failed.
pub fn open_chains(c: &Connection) -> Result<Vec<OpenChain>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT ch.notification, ch.record, n.title, ch.base_ms, ch.stage, ch.due_ms
         FROM chains ch JOIN notifications n ON n.id = ch.notification
         WHERE ch.stopped_ms IS NULL ORDER BY ch.base_ms, ch.notification",
    )?;
    let rows = st.query_map([], |r| {
        Ok(OpenChain {
            notification: r.get(0)?,
            record: r.get(1)?,
            title: r.get(2)?,
            base_ms: r.get(3)?,
            stage: ChainStage::parse(&r.get::<_, String>(4)?),
            due_ms: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Open chains by the stage they reached: (first, reminded, escalated), in
/// one walk of the open-chains index.
///
/// # Errors
/// The read failed.
pub fn open_by_stage(c: &Connection) -> Result<(i64, i64, i64), StoreError> {
    Ok(c.prepare_cached(
        "SELECT COUNT(*) FILTER (WHERE stage = 'first'),
                COUNT(*) FILTER (WHERE stage LIKE 'reminder%'),
                COUNT(*) FILTER (WHERE stage LIKE 'escalation%')
         FROM chains WHERE stopped_ms IS NULL",
    )?
    .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
}

/// How a chain stopped (`None` while it is open or if there is none).
///
/// # Errors
/// The read failed.
pub fn stop_reason(c: &Connection, id: &str) -> Result<Option<String>, StoreError> {
    Ok(
        c.prepare_cached("SELECT stop_reason FROM chains WHERE notification = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten(),
    )
}

impl super::Store {
    /// Open chains, oldest first (`status`).
    ///
    /// # Errors
    /// The read failed.
    pub async fn open_chains(&self) -> Result<Vec<OpenChain>, StoreError> {
        self.read(open_chains).await
    }
}

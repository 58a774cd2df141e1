//! `operator_audit`: what an operator did from the command line — dead
//! letters put back in the outbox (`outbox retry`), with who did it and the
//! retry keys, old and new — and every action taken through the web page
//! (`ui-…`: logins and refused passwords, lockouts, log-outs, CSV exports,
//! invites, revokes, unlinks).

use rusqlite::{params, Connection};

use super::outbox::{self, PushState};
use super::{Store, StoreError};

/// Which dead letters to put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryWhich {
    One(i64),
    AllDead,
}

/// A dead letter put back in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retried {
    pub id: i64,
    pub old_key: String,
    pub new_key: String,
}

/// Why nothing was put back for [`RetryWhich::One`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryRefused {
    #[error("no push request #{0} in the outbox (see `outbox --all`)")]
    NoSuchRequest(i64),
    #[error("push request #{id} is {state}, not a dead letter: only dead letters are retried")]
    NotDead { id: i64, state: PushState },
}

impl Store {
    /// Puts dead letters back in the queue with a new `X-Line-Retry-Key`
    /// (LINE drops a key it accepted in the last 24 h, so the old one could
    /// make LINE skip the message), due at once, and records each in the
    /// audit as `actor`'s, at wall time `at_ms`. Returns what was put back;
    /// `Err(Ok(refused))` when the one asked for is not a dead letter.
    ///
    /// # Errors
    /// The write failed, or the request asked for is not a dead letter.
    pub async fn outbox_retry(
        &self,
        which: RetryWhich,
        actor: String,
        at_ms: i64,
    ) -> Result<Result<Vec<Retried>, RetryRefused>, StoreError> {
        self.call(move |c| {
            let ids = match which {
                RetryWhich::AllDead => outbox::dead_ids(c)?,
                RetryWhich::One(id) => match outbox::state_of(c, id)? {
                    None => return Ok(Err(RetryRefused::NoSuchRequest(id))),
                    Some(PushState::Dead) => vec![id],
                    Some(state) => return Ok(Err(RetryRefused::NotDead { id, state })),
                },
            };
            let mut done = Vec::with_capacity(ids.len());
            for id in ids {
                let (old_key, new_key) = outbox::requeue_dead(c, id)?;
                record(c, at_ms, &actor, id, &old_key, &new_key)?;
                done.push(Retried {
                    id,
                    old_key,
                    new_key,
                });
            }
            Ok(Ok(done))
        })
        .await
    }

    /// How many times the audit says request `id` was put back.
    ///
    /// # Errors
    /// The read failed.
    pub async fn retries_of(&self, id: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT at_ms, actor, detail FROM operator_audit WHERE push_id = ?1 ORDER BY id",
            )?;
            let rows = st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

fn record(
    c: &Connection,
    at_ms: i64,
    actor: &str,
    push_id: i64,
    old_key: &str,
    new_key: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO operator_audit(at_ms, actor, action, push_id, detail)
         VALUES (?1, ?2, 'outbox-retry', ?3, ?4)",
    )?
    .execute(params![
        at_ms,
        actor,
        push_id,
        format!("dead letter put back in the queue; retry key {old_key} replaced by {new_key}")
    ])?;
    Ok(())
}

/// One action taken through the board's web page, as `operator_audit`
/// keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PageAction {
    pub at_ms: i64,
    /// Who: `page` (open on this machine) or `page:<address>`.
    pub actor: String,
    /// `ui-login`, `ui-login-refused`, `ui-locked-out`, `ui-logout`, …
    pub action: String,
    /// What was done, in plain words (never a password or a session).
    pub detail: String,
}

impl Store {
    /// Records an action taken through the web page.
    ///
    /// # Errors
    /// The write failed.
    pub async fn page_action(&self, a: PageAction) -> Result<(), StoreError> {
        self.call(move |c| {
            c.prepare_cached(
                "INSERT INTO operator_audit(at_ms, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![a.at_ms, a.actor, a.action, a.detail])?;
            Ok(())
        })
        .await
    }

    /// The last `limit` actions taken through the web page, newest first.
    ///
    /// # Errors
    /// The read failed.
    pub async fn page_actions(&self, limit: i64) -> Result<Vec<PageAction>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT at_ms, actor, action, detail FROM operator_audit
                 WHERE action LIKE 'ui-%' ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| {
                Ok(PageAction {
                    at_ms: r.get(0)?,
                    actor: r.get(1)?,
                    action: r.get(2)?,
                    detail: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

//! Writing an acknowledgement back to kintone — never lost, never doubled.
//!
//! Each method is made safe to repeat after a crash:
//! - **comment** (not idempotent in kintone): the text carries a marker with
//!   the LINE event id; before posting again after an interrupted attempt,
//!   the newest comments are searched for that marker.
//! - **fields**: values are rendered from the tap's own time, so a repeat
//!   writes the same values; fields that already hold them are not written.
//!   A stale revision (409) re-reads and tries again.
//! - **status**: the revision read before the action is stored; after a
//!   crash, a record whose revision moved by the action's 2 steps counts as
//!   done.
//!
//! Echoes: kintone fires a webhook for every single-record write, and may
//! send it before it answers the write. So the status and field methods
//! store the revision their write will produce *before* sending it (an
//! intent, in the same transaction as the `writing` stage; see
//! [`crate::store::intents`]), confirm it on the answer, drop it on a
//! definite refusal, and leave it for the next attempt when the outcome is
//! unknown. A comment does not move the record's revision, and its
//! `ADD_RECORD_COMMENT` webhook changes no watched field: it needs none.

use std::collections::HashMap;

use crate::clock::Clock;
use crate::config::AckMethod;
use crate::domain::{RecordId, Revision};
use crate::kintone::client::{AppAuth, KintoneClient};
use crate::kintone::error::KintoneError;
use crate::store::inbox::{InboxRow, Stage};
use crate::store::intents::Intent;
use crate::store::{Store, StoreError};

/// How many newest comments are searched for a marker (3 pages of 10).
const MARKER_SEARCH_PAGES: u32 = 3;
/// In-call retries of a stale-revision conflict before giving up for now.
const CONFLICT_RETRIES: usize = 3;

/// Why a write-back did not complete.
#[derive(Debug, thiserror::Error)]
pub enum WriteBackError {
    #[error(transparent)]
    Kintone(#[from] KintoneError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WriteBackError {
    /// Whether trying again later can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            WriteBackError::Kintone(e) => {
                e.is_retryable() || matches!(e, KintoneError::Conflict { .. })
            }
            WriteBackError::Store(_) => true,
        }
    }
}

/// What the write-back did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Written now; the reference (comment id or new revision).
    Now(String),
    /// Found already written by an earlier, interrupted attempt.
    Already,
}

/// The marker appended to a comment so a retry can find it.
pub fn comment_marker(event_id: &str) -> String {
    format!("[ref:{event_id}]")
}

/// What a write-back talks to.
#[derive(Clone, Copy)]
pub struct Services<'a> {
    pub store: &'a Store,
    pub kintone: &'a KintoneClient,
    /// Intents are timed on its steady timeline.
    pub clock: &'a Clock,
}

/// One write-back attempt for `row`, resuming from its stored stage.
///
/// # Errors
/// [`WriteBackError`]; check [`WriteBackError::is_retryable`].
pub async fn write_back(
    services: Services<'_>,
    auth: &AppAuth,
    row: &InboxRow,
    record: RecordId,
    method: &AckMethod,
    vars: &HashMap<&'static str, String>,
) -> Result<Written, WriteBackError> {
    let Services {
        store,
        kintone,
        clock,
    } = services;
    let value = |k: &str| vars.get(k).cloned();
    match method {
        AckMethod::Comment(t) => {
            let marker = comment_marker(&row.event_id);
            if row.stage == Stage::Writing && comment_exists(kintone, auth, record, &marker).await?
            {
                return Ok(Written::Already);
            }
            store.inbox_set_stage(row.seq, Stage::Writing, None).await?;
            let text = format!("{}\n{marker}", t.render(value));
            let id = kintone.add_comment(auth, record, &text).await?;
            Ok(Written::Now(id.to_string()))
        }
        AckMethod::Fields(fields) => {
            let mine = Mine::new(store, clock, row, auth, record);
            for _ in 0..CONFLICT_RETRIES {
                let current = kintone.get_record(auth, record).await?;
                let mut changes = serde_json::Map::new();
                for (code, t) in fields {
                    let v = t.render(value);
                    if current.text(code).as_deref() != Some(v.as_str()) {
                        changes.insert(code.clone(), serde_json::Value::String(v));
                    }
                }
                if changes.is_empty() {
                    if row.stage == Stage::Writing {
                        // An earlier attempt whose answer was lost wrote them.
                        mine.landed(None).await?;
                    }
                    return Ok(Written::Already);
                }
                mine.begin(None, current.revision.0 + 1).await?;
                match kintone
                    .update_record(auth, record, Some(current.revision), changes)
                    .await
                {
                    Ok(rev) => return mine.landed(Some(rev)).await,
                    Err(e) => {
                        mine.failed(&e).await?;
                        if !matches!(e, KintoneError::Conflict { .. }) {
                            return Err(e.into());
                        }
                    }
                }
            }
            Err(conflict())
        }
        AckMethod::Status { action, assignee } => {
            let mine = Mine::new(store, clock, row, auth, record);
            let current = kintone.get_record(auth, record).await?;
            if row.stage == Stage::Writing {
                let before = row
                    .writeback_ref
                    .as_deref()
                    .and_then(|r| r.parse::<u64>().ok());
                if before.is_some_and(|b| current.revision.0 >= b + 2) {
                    mine.landed(None).await?;
                    return Ok(Written::Already);
                }
            }
            mine.begin(Some(current.revision.0), current.revision.0 + 2)
                .await?;
            let assignee = assignee
                .as_ref()
                .map(|t| t.render(value))
                .filter(|a| !a.is_empty());
            let written = kintone
                .update_status(
                    auth,
                    record,
                    action,
                    assignee.as_deref(),
                    Some(current.revision),
                )
                .await;
            match written {
                Ok(rev) => mine.landed(Some(rev)).await,
                Err(e) => {
                    mine.failed(&e).await?;
                    Err(e.into())
                }
            }
        }
    }
}

fn conflict() -> WriteBackError {
    WriteBackError::Kintone(KintoneError::Conflict {
        code: "GAIA_CO02".into(),
        message: "record kept changing while writing the acknowledgement".into(),
    })
}

/// One write-back's own revisions on one record, as intents in the store.
struct Mine<'a> {
    store: &'a Store,
    /// Intents are timed on its steady timeline, as the change queue is.
    clock: &'a Clock,
    seq: i64,
    owner: &'a str,
    app: i64,
    record: i64,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl<'a> Mine<'a> {
    fn new(
        store: &'a Store,
        clock: &'a Clock,
        row: &'a InboxRow,
        auth: &AppAuth,
        record: RecordId,
    ) -> Self {
        Mine {
            store,
            clock,
            seq: row.seq,
            owner: &row.event_id,
            app: to_i64(auth.app.get()),
            record: to_i64(record.get()),
        }
    }

    /// Enters `writing` (keeping `base` for a resume) and records that the
    /// write will produce `expected`, before it is sent.
    async fn begin(&self, base: Option<u64>, expected: u64) -> Result<(), StoreError> {
        let intent = Intent {
            app: self.app,
            record: self.record,
            revision: to_i64(expected),
        };
        self.store
            .begin_write(
                self.seq,
                self.owner,
                base.map(|b| b.to_string()),
                intent,
                self.clock.steady_ms(),
            )
            .await
    }

    /// The write is in kintone: `rev` as answered, or (`None`: found done by
    /// a resumed attempt) the revision the intent expected.
    async fn landed(&self, rev: Option<Revision>) -> Result<Written, WriteBackError> {
        self.store
            .write_landed(
                self.owner,
                self.app,
                self.record,
                rev.map(|r| to_i64(r.0)),
                self.clock.steady_ms(),
            )
            .await?;
        Ok(rev.map_or(Written::Already, |r| Written::Now(r.0.to_string())))
    }

    /// The write failed: if kintone definitely did not apply it, the intent
    /// goes; if the outcome is unknown, it stays for the next attempt.
    async fn failed(&self, e: &KintoneError) -> Result<(), StoreError> {
        if not_applied(e) {
            self.store
                .write_refused(self.seq, self.owner, self.app, self.record)
                .await?;
        }
        Ok(())
    }
}

/// Whether kintone answered that it did not apply the write (a 4xx or 520
/// answer). Timeouts, 5xx and unreadable answers leave it open.
fn not_applied(e: &KintoneError) -> bool {
    match e {
        KintoneError::Conflict { .. }
        | KintoneError::Unauthorized { .. }
        | KintoneError::NotFound { .. }
        | KintoneError::Rejected { .. } => true,
        KintoneError::Retryable { status, .. } => *status == Some(429),
        KintoneError::Protocol(_) => false,
    }
}

async fn comment_exists(
    kintone: &KintoneClient,
    auth: &AppAuth,
    record: RecordId,
    marker: &str,
) -> Result<bool, KintoneError> {
    for page in 0..MARKER_SEARCH_PAGES {
        let comments = kintone.get_comments(auth, record, 10, page * 10).await?;
        if comments.iter().any(|c| c.text.contains(marker)) {
            return Ok(true);
        }
        if comments.len() < 10 {
            break;
        }
    }
    Ok(false)
}

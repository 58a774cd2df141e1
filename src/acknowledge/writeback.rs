//! Writing an acknowledgement back to kintone — never lost, never doubled.
//!
//! Each method is made safe to repeat after a crash:
//! - **comment** (not idempotent in kintone): the text carries a marker with
//!   the job's key (LINE event id, `panel:<notification>`); before posting again after an interrupted attempt,
//!   the newest comments are searched for that marker.
//! - **fields**: values are rendered from the tap's own time, so a repeat
//!   writes the same values; fields that already hold them are not written.
//!   A stale revision (409) re-reads and tries again.
//! - **status**: the revision read before the action is stored; after a
//!   crash, a record whose revision moved by the action's 2 steps counts as
//!   done.
//!
//! One file per method (`writeback/{comment,fields,status}.rs`); the
//! intents they share in `writeback/mine.rs`.
//!
//! Echoes: kintone fires a webhook for every single-record write, and may
//! send it before it answers the write. So the status and field methods
//! store the revision their write will produce *before* sending it (an
//! intent, in the same transaction as the `writing` stage; see
//! [`crate::store::intents`]), confirm it on the answer, drop it on a
//! definite refusal, and leave it for the next attempt when the outcome is
//! unknown. A comment does not move the record's revision, and its
//! `ADD_RECORD_COMMENT` webhook changes no watched field: it needs none.

mod comment;
mod fields;
mod mine;
mod status;

use std::collections::HashMap;

use crate::clock::Clock;
use crate::config::AckMethod;
use crate::domain::RecordId;
use crate::kintone::client::{AppAuth, KintoneClient};
use crate::kintone::error::KintoneError;
use crate::store::inbox::Stage;
use crate::store::{Store, StoreError};
use crate::text::Language;

pub use comment::comment_marker;

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

/// What a write-back talks to.
#[derive(Clone, Copy)]
pub struct Services<'a> {
    pub store: &'a Store,
    pub kintone: &'a KintoneClient,
    /// Intents are timed on its steady timeline.
    pub clock: &'a Clock,
}

/// One write-back to do: built by the inbox worker from its row, by the
/// panel from its notification.
#[derive(Debug, Clone, Copy)]
pub struct WriteJob<'a> {
    /// The inbox row that keeps the stage; `None` for the panel, which
    /// keeps none (its stage is always [`Stage::Writing`]).
    pub inbox: Option<i64>,
    /// Names this write-back in kintone and in the store: the comment
    /// marker and the intent's owner (a LINE event id, `panel:<notification>`).
    pub key: &'a str,
    /// How far an earlier attempt got.
    pub stage: Stage,
    /// What an earlier attempt stored to resume from (a status base).
    pub writeback_ref: Option<&'a str>,
    pub record: RecordId,
    pub method: &'a AckMethod,
    /// Template values, from [`crate::acknowledge::vars::AckFacts::render`].
    pub vars: &'a HashMap<&'static str, String>,
    /// The language of the comment's marker line.
    pub language: Language,
}

/// One write-back attempt for `job`, resuming from its stored stage.
///
/// # Errors
/// [`WriteBackError`]; check [`WriteBackError::is_retryable`].
pub async fn write_back(
    services: Services<'_>,
    auth: &AppAuth,
    job: WriteJob<'_>,
) -> Result<Written, WriteBackError> {
    let value = |k: &str| job.vars.get(k).cloned();
    match job.method {
        AckMethod::Comment(t) => comment::write(services, auth, &job, &t.render(value)).await,
        AckMethod::Fields(fields) => fields::write(services, auth, &job, fields).await,
        AckMethod::Status { action, assignee } => {
            let assignee = assignee
                .as_ref()
                .map(|t| t.render(value))
                .filter(|a| !a.is_empty());
            status::write(services, auth, &job, action, assignee.as_deref()).await
        }
    }
}

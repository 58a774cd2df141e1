//! A write-back's own revisions: stored as an intent before the write is
//! sent, confirmed when it lands, dropped on a definite refusal (see
//! [`crate::store::intents`]), so kintone's echo of the write is known as
//! the gateway's own.

use super::{Services, WriteBackError, WriteJob, Written};
use crate::clock::Clock;
use crate::domain::Revision;
use crate::kintone::client::AppAuth;
use crate::kintone::error::KintoneError;
use crate::store::intents::Intent;
use crate::store::{Store, StoreError};

/// One write-back's own revisions on one record, as intents in the store.
pub(super) struct Mine<'a> {
    store: &'a Store,
    /// Intents are timed on its steady timeline, as the change queue is.
    clock: &'a Clock,
    inbox: Option<i64>,
    owner: &'a str,
    app: i64,
    record: i64,
}

/// A revision as the store keeps it (revisions stay far below `i64::MAX`).
fn stored_revision(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl<'a> Mine<'a> {
    pub(super) fn new(services: Services<'a>, job: &WriteJob<'a>, auth: &AppAuth) -> Self {
        Mine {
            store: services.store,
            clock: services.clock,
            inbox: job.inbox,
            owner: job.key,
            app: auth.app.stored(),
            record: job.record.stored(),
        }
    }

    /// Enters `writing` (keeping `base` for a resume) and records that the
    /// write will produce `expected`, before it is sent.
    pub(super) async fn begin(
        &self,
        base: Option<String>,
        expected: u64,
    ) -> Result<(), StoreError> {
        let intent = Intent {
            app: self.app,
            record: self.record,
            revision: stored_revision(expected),
        };
        self.store
            .begin_write(self.inbox, self.owner, base, intent, self.clock.steady_ms())
            .await
    }

    /// The write is in kintone: `rev` as answered, or (`None`: found done by
    /// a resumed attempt) the revision the intent expected.
    pub(super) async fn landed(&self, rev: Option<Revision>) -> Result<Written, WriteBackError> {
        self.store
            .write_landed(
                self.owner,
                self.app,
                self.record,
                rev.map(|r| stored_revision(r.0)),
                self.clock.steady_ms(),
            )
            .await?;
        Ok(rev.map_or(Written::Already, |r| Written::Now(r.0.to_string())))
    }

    /// The write failed: if kintone definitely did not apply it, the intent
    /// goes; if the outcome is unknown, it stays for the next attempt.
    pub(super) async fn failed(&self, e: &KintoneError) -> Result<(), StoreError> {
        if not_applied(e) {
            self.store
                .write_refused(self.inbox, self.owner, self.app, self.record)
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

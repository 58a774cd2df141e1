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
use crate::store::inbox::Stage;
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

/// kintone's field code for a record's process-management status.
const STATUS_FIELD: &str = "STATUS";

/// What a status write-back stored before its action: the record's revision
/// and status then (`"7:Needs approval"`; older rows hold the revision only).
/// After a crash, the action counts as done when the revision moved by its
/// 2 steps *and* the status changed — a person's two edits that left the
/// status as it was are not the gateway's action.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StatusBase {
    revision: u64,
    status: Option<String>,
}

impl StatusBase {
    fn parse(s: &str) -> Option<StatusBase> {
        let (revision, status) = match s.split_once(':') {
            Some((r, st)) => (r, Some(st.to_owned())),
            None => (s, None),
        };
        Some(StatusBase {
            revision: revision.parse().ok()?,
            status,
        })
    }

    fn done_by(&self, revision: u64, status: &str) -> bool {
        revision >= self.revision + 2 && self.status.as_deref().is_none_or(|s| s != status)
    }
}

impl std::fmt::Display for StatusBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.status {
            Some(s) => write!(f, "{}:{s}", self.revision),
            None => write!(f, "{}", self.revision),
        }
    }
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
    let Services {
        store,
        kintone,
        clock,
    } = services;
    let WriteJob {
        inbox,
        key,
        stage,
        writeback_ref,
        record,
        method,
        vars,
    } = job;
    let value = |k: &str| vars.get(k).cloned();
    match method {
        AckMethod::Comment(t) => {
            let marker = comment_marker(key);
            if stage == Stage::Writing && comment_exists(kintone, auth, record, &marker).await? {
                return Ok(Written::Already);
            }
            if let Some(seq) = inbox {
                store.inbox_set_stage(seq, Stage::Writing, None).await?;
            }
            let text = format!("{}\n{marker}", t.render(value));
            let id = kintone.add_comment(auth, record, &text).await?;
            Ok(Written::Now(id.to_string()))
        }
        AckMethod::Fields(fields) => {
            let mine = Mine::new(store, clock, &job, auth);
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
                    if stage == Stage::Writing {
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
            let mine = Mine::new(store, clock, &job, auth);
            let current = kintone.get_record(auth, record).await?;
            let status = current.text(STATUS_FIELD).unwrap_or_default();
            if stage == Stage::Writing
                && writeback_ref
                    .and_then(StatusBase::parse)
                    .is_some_and(|b| b.done_by(current.revision.0, &status))
            {
                mine.landed(None).await?;
                return Ok(Written::Already);
            }
            let base = StatusBase {
                revision: current.revision.0,
                status: Some(status),
            };
            mine.begin(Some(base.to_string()), current.revision.0 + 2)
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
    fn new(store: &'a Store, clock: &'a Clock, job: &WriteJob<'a>, auth: &AppAuth) -> Self {
        Mine {
            store,
            clock,
            inbox: job.inbox,
            owner: job.key,
            app: auth.app.stored(),
            record: job.record.stored(),
        }
    }

    /// Enters `writing` (keeping `base` for a resume) and records that the
    /// write will produce `expected`, before it is sent.
    async fn begin(&self, base: Option<String>, expected: u64) -> Result<(), StoreError> {
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
    async fn landed(&self, rev: Option<Revision>) -> Result<Written, WriteBackError> {
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
    async fn failed(&self, e: &KintoneError) -> Result<(), StoreError> {
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

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;
    use crate::domain::AppId;
    use crate::secret::Secret;
    use crate::sim::fakes::FakeKintone;
    use crate::sim::site::APP_TOKEN;

    #[test]
    fn a_status_base_keeps_the_status_and_reads_old_rows() {
        let base = StatusBase::parse("7:Needs approval").expect("parses");
        assert_eq!(base.to_string(), "7:Needs approval");
        assert!(base.done_by(9, "Acknowledged"));
        assert!(
            !base.done_by(9, "Needs approval"),
            "moved, but not by the action"
        );
        assert!(!base.done_by(8, "Acknowledged"));
        let old = StatusBase::parse("7").expect("an older row");
        assert!(
            old.done_by(9, "Needs approval"),
            "older rows: the revision alone"
        );
        assert_eq!(StatusBase::parse("x"), None);
    }

    /// A status write-back that stored its base (revision 3, "Needs
    /// approval") and was cut off; the record now stands as `setup` leaves it.
    /// Resumes it and returns what it did and the gateway's own revisions.
    async fn resume_after(setup: impl FnOnce(&FakeKintone)) -> (Written, Vec<i64>, FakeKintone) {
        let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
        kintone.set_record(5, 3, "Needs approval");
        setup(&kintone);
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let seq = store.seed_event("ev1").await.expect("event");
        let intent = crate::store::intents::Intent {
            app: 1,
            record: 5,
            revision: 5,
        };
        store
            .begin_write(Some(seq), "ev1", Some("3:Needs approval".into()), intent, 0)
            .await
            .expect("stage");
        let row = store.inbox_get("ev1").await.expect("get").expect("row");
        let timeout = std::time::Duration::from_secs(5);
        let client = KintoneClient::new(&kintone.server.base_url(), None, timeout).expect("client");
        let auth = AppAuth {
            app: AppId::new(1).expect("app"),
            api_token: Secret::new(APP_TOKEN),
            basic: None,
        };
        let method = AckMethod::Status {
            action: "Acknowledge".into(),
            assignee: None,
        };
        let clock = Clock::system();
        let services = Services {
            store: &store,
            kintone: &client,
            clock: &clock,
        };
        let record = RecordId::new(5).expect("record");
        let vars = HashMap::new();
        let job = WriteJob {
            inbox: Some(row.seq),
            key: &row.event_id,
            stage: row.stage,
            writeback_ref: row.writeback_ref.as_deref(),
            record,
            method: &method,
            vars: &vars,
        };
        let written = write_back(services, &auth, job).await.expect("written");
        let own = store
            .read(|c| {
                let mut st = c.prepare("SELECT revision FROM own_writes ORDER BY revision")?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<Vec<i64>, _>>()?)
            })
            .await
            .expect("own writes");
        (written, own, kintone)
    }

    #[tokio::test]
    async fn a_persons_two_edits_are_not_taken_for_the_gateways_action() {
        // The action never reached kintone; a person then edited twice.
        let (written, own, kintone) = resume_after(|k| {
            k.user_sets_field(5, "Title", serde_json::json!("Fix the roof, east side"));
            k.user_sets_field(5, "Title", serde_json::json!("Fix the roof, both sides"));
        })
        .await;
        assert!(matches!(written, Written::Now(_)), "{written:?}");
        assert_eq!(
            kintone.record(5).expect("record")["STATUS"]["value"],
            "Acknowledged"
        );
        assert_eq!(
            own,
            vec![7],
            "revision 5 was the person's, not the gateway's"
        );
    }

    #[tokio::test]
    async fn an_action_that_landed_before_the_cut_is_not_run_again() {
        let (written, own, _) = resume_after(|k| {
            k.user_sets_status(5, "Acknowledged");
        })
        .await;
        assert_eq!(written, Written::Already);
        assert_eq!(own, vec![5]);
    }
}

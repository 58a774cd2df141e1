//! The status method: the record's revision and status are stored before
//! the action; after a crash, a record whose revision moved by the action's
//! 2 steps, with its status changed, counts as done.

use super::mine::Mine;
use super::{Services, WriteBackError, WriteJob, Written};
use crate::kintone::client::AppAuth;
use crate::store::inbox::Stage;

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

pub(super) async fn write(
    services: Services<'_>,
    auth: &AppAuth,
    job: &WriteJob<'_>,
    action: &str,
    assignee: Option<&str>,
) -> Result<Written, WriteBackError> {
    let kintone = services.kintone;
    let record = job.record;
    let mine = Mine::new(services, job, auth);
    let current = kintone.get_record(auth, record).await?;
    let status = current.status().unwrap_or_default();
    if job.stage == Stage::Writing
        && job
            .writeback_ref
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
    let written = kintone
        .update_status(auth, record, action, assignee, Some(current.revision))
        .await;
    match written {
        Ok(rev) => mine.landed(Some(rev)).await,
        Err(e) => {
            mine.failed(&e).await?;
            Err(e.into())
        }
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use std::collections::HashMap;

    use super::super::write_back;
    use super::*;
    use crate::clock::Clock;
    use crate::config::AckMethod;
    use crate::domain::AppId;
    use crate::domain::RecordId;
    use crate::kintone::client::KintoneClient;
    use crate::secret::Secret;
    use crate::sim::fakes::FakeKintone;
    use crate::sim::site::APP_TOKEN;
    use crate::store::Store;

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
            language: crate::text::Language::En,
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

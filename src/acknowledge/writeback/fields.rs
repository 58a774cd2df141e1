//! The fields method: values rendered from the acknowledgement's own time,
//! so a repeat writes the same values; fields already holding them are not
//! written, and a stale revision (409) re-reads and tries again.

use super::mine::Mine;
use super::{Services, WriteBackError, WriteJob, Written};
use crate::config::template::Template;
use crate::kintone::client::AppAuth;
use crate::kintone::error::KintoneError;
use crate::store::inbox::Stage;

/// In-call retries of a stale-revision conflict before giving up for now.
const CONFLICT_RETRIES: usize = 3;

pub(super) async fn write(
    services: Services<'_>,
    auth: &AppAuth,
    job: &WriteJob<'_>,
    fields: &[(String, Template)],
) -> Result<Written, WriteBackError> {
    let kintone = services.kintone;
    let record = job.record;
    let value = |k: &str| job.vars.get(k).cloned();
    let mine = Mine::new(services, job, auth);
    for _ in 0..CONFLICT_RETRIES {
        let current = kintone.get_record(auth, record).await?;
        let mut changes = serde_json::Map::new();
        for (code, t) in fields {
            let v = t.render(value);
            if current.text(code).as_deref() != Some(v.as_str()) {
                changes.insert(code.to_owned(), serde_json::Value::String(v));
            }
        }
        if changes.is_empty() {
            if job.stage == Stage::Writing {
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

fn conflict() -> WriteBackError {
    WriteBackError::Kintone(KintoneError::Conflict {
        code: "GAIA_CO02".into(),
        message: "record kept changing while writing the acknowledgement".into(),
    })
}

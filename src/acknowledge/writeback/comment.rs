//! The comment method: kintone comments are not idempotent, so the text
//! carries a marker with the write-back's key, and a resumed attempt
//! searches the newest comments for it before posting again.

use super::{Services, WriteBackError, WriteJob, Written};
use crate::domain::RecordId;
use crate::kintone::client::{AppAuth, KintoneClient};
use crate::kintone::error::KintoneError;
use crate::store::inbox::Stage;

/// How many newest comments are searched for a marker (3 pages of 10).
const MARKER_SEARCH_PAGES: u32 = 3;

/// The marker appended to a comment so a retry can find it.
pub fn comment_marker(event_id: &str) -> String {
    format!("[ref:{event_id}]")
}

/// Posts `text` with the job's marker, unless an interrupted attempt did.
pub(super) async fn write(
    services: Services<'_>,
    auth: &AppAuth,
    job: &WriteJob<'_>,
    text: &str,
) -> Result<Written, WriteBackError> {
    let Services { store, kintone, .. } = services;
    let marker = comment_marker(job.key);
    if job.stage == Stage::Writing && comment_exists(kintone, auth, job.record, &marker).await? {
        return Ok(Written::Already);
    }
    if let Some(seq) = job.inbox {
        store.inbox_set_stage(seq, Stage::Writing, None).await?;
    }
    let text = format!("{text}\n{marker}");
    let id = kintone.add_comment(auth, job.record, &text).await?;
    Ok(Written::Now(id.to_string()))
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

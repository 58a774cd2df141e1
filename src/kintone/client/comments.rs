//! Record comments: post one (the acknowledgement's write-back) and read
//! the newest (to find a comment a cut-off attempt already posted).

use serde_json::{json, Value};

use super::{AppAuth, KintoneClient};
use crate::domain::RecordId;
use crate::kintone::error::KintoneError;

/// A comment as kintone returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: String,
    pub text: String,
}

impl KintoneClient {
    /// `POST record/comment.json`. Not idempotent: see the ack write-back's marker.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn add_comment(
        &self,
        auth: &AppAuth,
        id: RecordId,
        text: &str,
    ) -> Result<String, KintoneError> {
        let body =
            json!({ "app": auth.app.get(), "record": id.get(), "comment": { "text": text } });
        let v = self
            .call(
                auth,
                reqwest::Method::POST,
                "record/comment.json",
                &[],
                Some(body),
            )
            .await?;
        v.get("id")
            .and_then(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .or_else(|| i.as_u64().map(|n| n.to_string()))
            })
            .ok_or_else(|| KintoneError::Protocol("answer without comment id".into()))
    }

    /// `GET record/comments.json`, newest first.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn get_comments(
        &self,
        auth: &AppAuth,
        id: RecordId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Comment>, KintoneError> {
        let mut q = Self::app_q(auth);
        q.extend([
            ("record".into(), id.to_string()),
            ("order".into(), "desc".into()),
            ("limit".into(), limit.min(10).to_string()),
            ("offset".into(), offset.to_string()),
        ]);
        let v = self
            .call(auth, reqwest::Method::GET, "record/comments.json", &q, None)
            .await?;
        Ok(v.get("comments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| Comment {
                id: text_of(c, "id"),
                text: text_of(c, "text"),
            })
            .collect())
    }
}

/// A string member of `v`, empty when missing.
pub(super) fn text_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

//! Records: read one, read a page by query, update fields, run a process
//! action. Writes carry the revision they expect and answer the new one.

use serde_json::{json, Map, Value};

use super::{AppAuth, KintoneClient};
use crate::domain::{RecordId, Revision};
use crate::kintone::error::KintoneError;
use crate::kintone::record::Record;

impl KintoneClient {
    /// `GET record.json`.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn get_record(&self, auth: &AppAuth, id: RecordId) -> Result<Record, KintoneError> {
        let mut q = Self::app_q(auth);
        q.push(("id".into(), id.to_string()));
        let mut v = self
            .call(auth, reqwest::Method::GET, "record.json", &q, None)
            .await?;
        Record::from_json(v.get_mut("record").map(Value::take).unwrap_or_default())
    }

    /// `GET records.json` with the caller's query (limit and order included).
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn get_records(
        &self,
        auth: &AppAuth,
        query: &str,
        fields: Option<&[String]>,
    ) -> Result<Vec<Record>, KintoneError> {
        let mut q = Self::app_q(auth);
        q.push(("query".into(), query.to_owned()));
        for (i, f) in fields.unwrap_or_default().iter().enumerate() {
            q.push((format!("fields[{i}]"), f.clone()));
        }
        let mut v = self
            .call(auth, reqwest::Method::GET, "records.json", &q, None)
            .await?;
        // Each record is moved out of the page, not copied: the page and
        // its copy would otherwise both be in memory at once.
        match v.get_mut("records").map(Value::take) {
            Some(Value::Array(records)) => records.into_iter().map(Record::from_json).collect(),
            _ => Err(KintoneError::Protocol("answer without records".into())),
        }
    }

    /// `PUT record.json`: plain values per field code, with a revision check.
    ///
    /// # Errors
    /// [`KintoneError::Conflict`] on a stale revision; other classified errors.
    pub async fn update_record(
        &self,
        auth: &AppAuth,
        id: RecordId,
        revision: Option<Revision>,
        fields: Map<String, Value>,
    ) -> Result<Revision, KintoneError> {
        let record: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k, json!({ "value": v })))
            .collect();
        let mut body = json!({ "app": auth.app.get(), "id": id.get(), "record": record });
        if let Some(r) = revision {
            body["revision"] = json!(r.0);
        }
        let v = self
            .call(auth, reqwest::Method::PUT, "record.json", &[], Some(body))
            .await?;
        revision_of(&v)
    }

    /// `PUT record/status.json`: a process-management action.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn update_status(
        &self,
        auth: &AppAuth,
        id: RecordId,
        action: &str,
        assignee: Option<&str>,
        revision: Option<Revision>,
    ) -> Result<Revision, KintoneError> {
        let mut body = json!({ "app": auth.app.get(), "id": id.get(), "action": action });
        if let Some(a) = assignee {
            body["assignee"] = json!(a);
        }
        if let Some(r) = revision {
            body["revision"] = json!(r.0);
        }
        let v = self
            .call(
                auth,
                reqwest::Method::PUT,
                "record/status.json",
                &[],
                Some(body),
            )
            .await?;
        revision_of(&v)
    }
}

/// The revision a write answered (kintone sends it as a string; a number
/// is accepted too).
fn revision_of(v: &Value) -> Result<Revision, KintoneError> {
    v.get("revision")
        .and_then(|r| {
            r.as_str()
                .map(str::to_owned)
                .or_else(|| r.as_u64().map(|n| n.to_string()))
        })
        .and_then(|s| s.parse().ok())
        .map(Revision)
        .ok_or_else(|| KintoneError::Protocol("answer without revision".into()))
}

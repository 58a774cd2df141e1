//! The app's form: field codes, types and labels (`doctor` checks the
//! configured fields against it; the poller reads it too).

use serde_json::Value;

use super::comments::text_of;
use super::{AppAuth, KintoneClient};
use crate::kintone::error::KintoneError;

/// A form field's code and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub code: String,
    pub field_type: String,
    pub label: String,
}

impl KintoneClient {
    /// `GET app/form/fields.json`.
    ///
    /// # Errors
    /// Classified [`KintoneError`].
    pub async fn form_fields(&self, auth: &AppAuth) -> Result<Vec<FieldInfo>, KintoneError> {
        let v = self
            .call(
                auth,
                reqwest::Method::GET,
                "app/form/fields.json",
                &Self::app_q(auth),
                None,
            )
            .await?;
        let props = v
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| KintoneError::Protocol("answer without properties".into()))?;
        Ok(props
            .iter()
            .map(|(code, p)| FieldInfo {
                code: code.clone(),
                field_type: text_of(p, "type"),
                label: text_of(p, "label"),
            })
            .collect())
    }
}

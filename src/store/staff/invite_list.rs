//! Open invites (made, not used, not expired) for the web page's *Staff*
//! tab, and revoking one.

use rusqlite::params;
use serde::Serialize;

use super::invites::{normalise_code, pretty};
use crate::store::{Store, StoreError};

/// An invite nobody has used yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenInvite {
    /// `ABCD-EFGH`.
    pub code: String,
    pub display_name: String,
    pub kintone_user: Option<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
}

impl Store {
    /// Invites not used and not expired at `now_ms`, newest first.
    ///
    /// # Errors
    /// The read failed.
    pub async fn invites_open(&self, now_ms: i64) -> Result<Vec<OpenInvite>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT code, display_name, kintone_user, created_ms, expires_ms FROM invites
                 WHERE used_by IS NULL AND expires_ms > ?1 ORDER BY created_ms DESC, code",
            )?;
            let rows = st.query_map(params![now_ms], |r| {
                Ok(OpenInvite {
                    code: pretty(&r.get::<_, String>(0)?),
                    display_name: r.get(1)?,
                    kintone_user: r.get(2)?,
                    created_ms: r.get(3)?,
                    expires_ms: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Deletes the unused invite `code` (as printed or typed); whether there was one.
    ///
    /// # Errors
    /// The write failed.
    pub async fn invite_revoke(&self, code: String) -> Result<bool, StoreError> {
        let Some(code) = normalise_code(&code) else {
            return Ok(false);
        };
        self.call(move |c| {
            let n = c
                .prepare_cached("DELETE FROM invites WHERE code = ?1 AND used_by IS NULL")?
                .execute([code])?;
            Ok(n > 0)
        })
        .await
    }
}

//! Acknowledgements found by record, person and time span (the web page's
//! *Audit* tab and its CSV export).

use rusqlite::params;

use super::audit::{ack_row, AckRecord, ACK_COLUMNS};
use super::{Store, StoreError};

/// What to look for; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckQuery {
    pub record: Option<i64>,
    /// A part of the person's name, or their LINE user id.
    pub person: Option<String>,
    /// Wall ms, inclusive.
    pub from_ms: Option<i64>,
    /// Wall ms, exclusive.
    pub until_ms: Option<i64>,
}

impl Store {
    /// Acknowledgements matching `q`, newest first, at most `limit`.
    ///
    /// # Errors
    /// The read failed.
    pub async fn acks_search(&self, q: AckQuery, limit: i64) -> Result<Vec<AckRecord>, StoreError> {
        self.read(move |c| {
            let like = q.person.as_ref().map(|p| {
                let escaped = p
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            });
            let mut st = c.prepare_cached(&format!(
                "SELECT {ACK_COLUMNS} FROM acks
                 WHERE (?1 IS NULL OR record = ?1)
                   AND (?2 IS NULL OR actor LIKE ?2 ESCAPE '\\' OR line_user_id = ?3)
                   AND (?4 IS NULL OR at_ms >= ?4)
                   AND (?5 IS NULL OR at_ms < ?5)
                 ORDER BY id DESC LIMIT ?6"
            ))?;
            let rows = st.query_map(
                params![q.record, like, q.person, q.from_ms, q.until_ms, limit],
                ack_row,
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

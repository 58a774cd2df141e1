//! `profiles`: the LINE profile cache, naming people who are not in the
//! staff directory. An entry is only trusted while fresh (the caller says
//! how fresh).

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::{Store, StoreError};

/// A LINE user's cached profile name if fetched after `fresh_after_ms`
/// (no kintone user: only the directory knows one).
pub(in crate::store) fn profile_name_in(
    c: &Connection,
    line_user_id: &str,
    fresh_after_ms: i64,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT display_name FROM profiles WHERE line_user_id = ?1 AND fetched_ms > ?2",
    )?
    .query_row(params![line_user_id, fresh_after_ms], |r| {
        Ok((r.get(0)?, None))
    })
    .optional()?)
}

impl Store {
    /// Caches a LINE profile's display name.
    ///
    /// # Errors
    /// The write failed.
    pub async fn profile_put(
        &self,
        line_user_id: String,
        display_name: String,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.call(move |c| {
            c.prepare_cached(
                "INSERT INTO profiles(line_user_id, display_name, fetched_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(line_user_id) DO UPDATE SET display_name = excluded.display_name,
                    fetched_ms = excluded.fetched_ms",
            )?
            .execute(params![line_user_id, display_name, now_ms])?;
            Ok(())
        })
        .await
    }
}

//! `groups`: the LINE groups the bot was added to. Leaving keeps the row
//! (with `left_ms`), so a re-join keeps its name.

use rusqlite::params;
use serde::Serialize;

use crate::store::{Store, StoreError};

/// A LINE group the bot is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupEntry {
    pub group_id: String,
    pub name: Option<String>,
    pub joined_ms: i64,
}

impl Store {
    /// Records that the bot joined (or re-joined) a group.
    ///
    /// # Errors
    /// The write failed.
    pub async fn group_joined(
        &self,
        group_id: String,
        name: Option<String>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.call(move |c| {
            c.prepare_cached(
                "INSERT INTO groups(group_id, name, joined_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(group_id) DO UPDATE SET name = COALESCE(excluded.name, name),
                    joined_ms = excluded.joined_ms, left_ms = NULL",
            )?
            .execute(params![group_id, name, now_ms])?;
            Ok(())
        })
        .await
    }

    /// Records that the bot left a group.
    ///
    /// # Errors
    /// The write failed.
    pub async fn group_left(&self, group_id: String, now_ms: i64) -> Result<(), StoreError> {
        self.call(move |c| {
            c.prepare_cached("UPDATE groups SET left_ms = ?2 WHERE group_id = ?1")?
                .execute(params![group_id, now_ms])?;
            Ok(())
        })
        .await
    }

    /// Groups the bot is currently in.
    ///
    /// # Errors
    /// The read failed.
    pub async fn groups(&self) -> Result<Vec<GroupEntry>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT group_id, name, joined_ms FROM groups WHERE left_ms IS NULL
                 ORDER BY name, group_id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(GroupEntry {
                    group_id: r.get(0)?,
                    name: r.get(1)?,
                    joined_ms: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

//! The staff directory (`staff`): LINE user ↔ display name ↔ optional
//! kintone user code. Linked through one-time invite codes ([`invites`]);
//! people not in it are named from the LINE profile cache ([`profiles`]);
//! the LINE groups the bot was added to are in [`groups`].

mod groups;
mod invite_list;
mod invites;
mod profiles;

pub use groups::GroupEntry;
pub use invite_list::OpenInvite;
pub(super) use invites::prune_failures;
pub use invites::{normalise_code, Invite, Redeem};
pub(super) use profiles::profile_name_in;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::{Store, StoreError};

/// A linked staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub line_user_id: String,
    pub display_name: String,
    pub kintone_user: Option<String>,
    pub linked_ms: i64,
}

/// A linked staff member's name and kintone user, on connection `c`.
pub(in crate::store) fn staff_in(
    c: &Connection,
    line_user_id: &str,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(
        c.prepare_cached("SELECT display_name, kintone_user FROM staff WHERE line_user_id = ?1")?
            .query_row([line_user_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
    )
}

/// A LINE user's name and kintone user, on connection `c`: the directory
/// first, then the profile cache if fetched after `fresh_after_ms`.
pub(in crate::store) fn display_name_in(
    c: &Connection,
    line_user_id: &str,
    fresh_after_ms: i64,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    let staff = staff_in(c, line_user_id)?;
    if staff.is_some() {
        return Ok(staff);
    }
    profile_name_in(c, line_user_id, fresh_after_ms)
}

/// Links (or re-links) `m.line_user_id`. One LINE account per kintone
/// user: linking a kintone user moves it off anyone else.
fn link(c: &Connection, m: &StaffMember) -> Result<(), StoreError> {
    if let Some(k) = &m.kintone_user {
        c.prepare_cached(
            "UPDATE staff SET kintone_user = NULL
             WHERE kintone_user = ?1 AND line_user_id != ?2",
        )?
        .execute(params![k, m.line_user_id])?;
    }
    c.prepare_cached(
        "INSERT INTO staff(line_user_id, display_name, kintone_user, linked_ms)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(line_user_id) DO UPDATE SET display_name = excluded.display_name,
            kintone_user = excluded.kintone_user, linked_ms = excluded.linked_ms",
    )?
    .execute(params![
        m.line_user_id,
        m.display_name,
        m.kintone_user,
        m.linked_ms
    ])?;
    Ok(())
}

impl Store {
    /// Everyone linked, by name.
    ///
    /// # Errors
    /// The read failed.
    pub async fn staff_list(&self) -> Result<Vec<StaffMember>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT line_user_id, display_name, kintone_user, linked_ms FROM staff
                 ORDER BY display_name, line_user_id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(StaffMember {
                    line_user_id: r.get(0)?,
                    display_name: r.get(1)?,
                    kintone_user: r.get(2)?,
                    linked_ms: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Removes staff matching a LINE user id, display name or kintone user
    /// code. Returns how many were removed.
    ///
    /// # Errors
    /// The write failed.
    pub async fn staff_remove(&self, who: String) -> Result<usize, StoreError> {
        self.call(move |c| {
            Ok(c.prepare_cached(
                "DELETE FROM staff WHERE line_user_id = ?1 OR display_name = ?1 OR kintone_user = ?1",
            )?
            .execute([who])?)
        })
        .await
    }

    /// A cached display name for a LINE user: the directory first, then the
    /// profile cache if fetched after `fresh_after_ms`.
    ///
    /// # Errors
    /// The read failed.
    pub async fn display_name(
        &self,
        line_user_id: String,
        fresh_after_ms: i64,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        self.read(move |c| display_name_in(c, &line_user_id, fresh_after_ms))
            .await
    }
}

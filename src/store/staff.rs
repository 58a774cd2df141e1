//! The staff directory: LINE user ↔ display name ↔ optional kintone user code,
//! one-time invite codes that link them, the LINE profile cache for people not
//! in the directory, and the LINE groups the bot was added to.

use rusqlite::{params, OptionalExtension};
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

/// An invite as printed to the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// Formatted for reading aloud: `ABCD-EFGH`.
    pub code: String,
    pub display_name: String,
    pub expires_ms: i64,
}

/// What happened to a code someone sent in chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeem {
    Linked(StaffMember),
    Unknown,
    Expired,
    AlreadyUsed,
    /// Too many wrong codes from this user recently.
    RateLimited,
}

/// A LINE group the bot is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupEntry {
    pub group_id: String,
    pub name: Option<String>,
    pub joined_ms: i64,
}

/// Letters and digits that cannot be misread (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Wrong codes allowed per user per window.
const MAX_FAILURES: i64 = 5;
const FAILURE_WINDOW_MS: i64 = 60 * 60 * 1000;

/// Normalises what a person typed: case, spaces and dashes do not matter.
/// Returns `None` if it cannot be a code.
pub fn normalise_code(text: &str) -> Option<String> {
    let code: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    (code.len() == 8 && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

fn new_code() -> Result<String, StoreError> {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).map_err(|e| StoreError::Invalid(format!("no randomness: {e}")))?;
    Ok(raw
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

fn pretty(code: &str) -> String {
    format!("{}-{}", &code[..4], &code[4..])
}

/// A linked staff member's name and kintone user, on connection `c`.
pub(super) fn staff_in(
    c: &rusqlite::Connection,
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
pub(super) fn display_name_in(
    c: &rusqlite::Connection,
    line_user_id: &str,
    fresh_after_ms: i64,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    let staff = staff_in(c, line_user_id)?;
    if staff.is_some() {
        return Ok(staff);
    }
    profile_name_in(c, line_user_id, fresh_after_ms)
}

/// A LINE user's cached profile name if fetched after `fresh_after_ms`.
pub(super) fn profile_name_in(
    c: &rusqlite::Connection,
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
    /// Creates a one-time invite code valid until `expires_ms`.
    ///
    /// # Errors
    /// The write failed.
    pub async fn invite_create(
        &self,
        display_name: String,
        kintone_user: Option<String>,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<Invite, StoreError> {
        let code = new_code()?;
        let c2 = code.clone();
        let name = display_name.clone();
        self.call(move |c| {
            c.prepare_cached(
                "INSERT INTO invites(code, display_name, kintone_user, created_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![c2, name, kintone_user, now_ms, expires_ms])?;
            Ok(())
        })
        .await?;
        Ok(Invite {
            code: pretty(&code),
            display_name,
            expires_ms,
        })
    }

    /// Links `line_user_id` through a code, rate-limiting wrong guesses.
    ///
    /// # Errors
    /// The write failed.
    pub async fn invite_redeem(
        &self,
        line_user_id: String,
        code: String,
        now_ms: i64,
    ) -> Result<Redeem, StoreError> {
        self.call(move |c| {
            let recent: i64 = c.prepare_cached("SELECT COUNT(*) FROM invite_failures WHERE line_user_id = ?1 AND at_ms > ?2")?.query_row(params![line_user_id, now_ms - FAILURE_WINDOW_MS],
                |r| r.get(0),
            )?;
            if recent >= MAX_FAILURES {
                return Ok(Redeem::RateLimited);
            }
            let invite: Option<(String, Option<String>, i64, Option<String>)> = c
                .prepare_cached("SELECT display_name, kintone_user, expires_ms, used_by FROM invites
                     WHERE code = ?1")?.query_row([&code],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let outcome = match invite {
                None => Redeem::Unknown,
                Some((_, _, _, Some(_))) => Redeem::AlreadyUsed,
                Some((_, _, exp, _)) if exp <= now_ms => Redeem::Expired,
                Some((name, kuser, _, None)) => {
                    c.prepare_cached("UPDATE invites SET used_by = ?2, used_ms = ?3 WHERE code = ?1")?.execute(params![code, line_user_id, now_ms],
                    )?;
                    if let Some(k) = &kuser {
                        // One LINE account per kintone user: a re-link moves it.
                        c.prepare_cached("UPDATE staff SET kintone_user = NULL
                             WHERE kintone_user = ?1 AND line_user_id != ?2")?.execute(params![k, line_user_id],
                        )?;
                    }
                    c.prepare_cached("INSERT INTO staff(line_user_id, display_name, kintone_user, linked_ms)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT(line_user_id) DO UPDATE SET display_name = excluded.display_name,
                            kintone_user = excluded.kintone_user, linked_ms = excluded.linked_ms")?.execute(params![line_user_id, name, kuser, now_ms],
                    )?;
                    return Ok(Redeem::Linked(StaffMember {
                        line_user_id,
                        display_name: name,
                        kintone_user: kuser,
                        linked_ms: now_ms,
                    }));
                }
            };
            c.prepare_cached("INSERT INTO invite_failures(line_user_id, at_ms) VALUES (?1, ?2)")?.execute(params![line_user_id, now_ms],
            )?;
            Ok(outcome)
        })
        .await
    }

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
            Ok(c.prepare_cached("DELETE FROM staff WHERE line_user_id = ?1 OR display_name = ?1 OR kintone_user = ?1")?.execute([who],
            )?)
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

#[cfg(test)]
mod tests {
    use super::*;

    const U: &str = "U00000000000000000000000000000001";

    #[test]
    fn codes_normalise() {
        assert_eq!(normalise_code("abcd-efgh").as_deref(), Some("ABCDEFGH"));
        assert_eq!(normalise_code(" AB CD EF GH ").as_deref(), Some("ABCDEFGH"));
        assert_eq!(normalise_code("hello"), None);
        assert_eq!(normalise_code("ABCDEFG0"), None);
    }

    #[tokio::test]
    async fn invite_links_once_and_rate_limits_guesses() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let inv = store
            .invite_create("Taro Yamada".into(), Some("taro".into()), 0, 1_000)
            .await
            .unwrap();
        let code = normalise_code(&inv.code).unwrap();
        assert_eq!(
            store
                .invite_redeem(U.into(), code.clone(), 2_000)
                .await
                .unwrap(),
            Redeem::Expired
        );
        let inv = store
            .invite_create("Taro Yamada".into(), Some("taro".into()), 0, 10_000)
            .await
            .unwrap();
        let code = normalise_code(&inv.code).unwrap();
        match store
            .invite_redeem(U.into(), code.clone(), 2_000)
            .await
            .unwrap()
        {
            Redeem::Linked(m) => assert_eq!(m.kintone_user.as_deref(), Some("taro")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            store.invite_redeem(U.into(), code, 2_000).await.unwrap(),
            Redeem::AlreadyUsed
        );
        assert_eq!(store.staff_list().await.unwrap().len(), 1);
        assert_eq!(
            store.display_name(U.into(), 0).await.unwrap(),
            Some(("Taro Yamada".into(), Some("taro".into())))
        );
        for _ in 0..3 {
            assert_eq!(
                store
                    .invite_redeem(U.into(), "ZZZZZZZZ".into(), 3_000)
                    .await
                    .unwrap(),
                Redeem::Unknown
            );
        }
        assert_eq!(
            store
                .invite_redeem(U.into(), "ZZZZZZZZ".into(), 3_000)
                .await
                .unwrap(),
            Redeem::RateLimited
        );
        assert_eq!(store.staff_remove("taro".into()).await.unwrap(), 1);
        assert!(store.staff_list().await.unwrap().is_empty());
    }
}

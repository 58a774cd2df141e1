//! `invites` and `invite_failures`: one-time codes an admin prints and a
//! person sends in chat to join the staff directory. Wrong guesses are
//! counted per LINE user, so a code cannot be guessed by trying.

use rusqlite::{params, Connection, OptionalExtension};

use super::{link, StaffMember};
use crate::store::{Store, StoreError};

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

pub(super) fn pretty(code: &str) -> String {
    format!("{}-{}", &code[..4], &code[4..])
}

/// An invite as stored: who it names, until when, and who used it.
struct StoredInvite {
    display_name: String,
    kintone_user: Option<String>,
    expires_ms: i64,
    used_by: Option<String>,
}

/// Wrong codes from `line_user_id` within the window ending at `now_ms`.
fn recent_failures(c: &Connection, line_user_id: &str, now_ms: i64) -> Result<i64, StoreError> {
    Ok(c.prepare_cached(
        "SELECT COUNT(*) FROM invite_failures WHERE line_user_id = ?1 AND at_ms > ?2",
    )?
    .query_row(params![line_user_id, now_ms - FAILURE_WINDOW_MS], |r| {
        r.get(0)
    })?)
}

fn record_failure(c: &Connection, line_user_id: &str, now_ms: i64) -> Result<(), StoreError> {
    c.prepare_cached("INSERT INTO invite_failures(line_user_id, at_ms) VALUES (?1, ?2)")?
        .execute(params![line_user_id, now_ms])?;
    Ok(())
}

fn find_invite(c: &Connection, code: &str) -> Result<Option<StoredInvite>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT display_name, kintone_user, expires_ms, used_by FROM invites WHERE code = ?1",
    )?
    .query_row([code], |r| {
        Ok(StoredInvite {
            display_name: r.get(0)?,
            kintone_user: r.get(1)?,
            expires_ms: r.get(2)?,
            used_by: r.get(3)?,
        })
    })
    .optional()?)
}

fn mark_used(
    c: &Connection,
    code: &str,
    line_user_id: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE invites SET used_by = ?2, used_ms = ?3 WHERE code = ?1")?
        .execute(params![code, line_user_id, now_ms])?;
    Ok(())
}

/// One redemption, in one transaction: a wrong code (unknown, used,
/// expired) counts against the sender; a good one is used up and links.
fn redeem_in(
    c: &Connection,
    line_user_id: String,
    code: &str,
    now_ms: i64,
) -> Result<Redeem, StoreError> {
    if recent_failures(c, &line_user_id, now_ms)? >= MAX_FAILURES {
        return Ok(Redeem::RateLimited);
    }
    let outcome = match find_invite(c, code)? {
        None => Redeem::Unknown,
        Some(StoredInvite {
            used_by: Some(_), ..
        }) => Redeem::AlreadyUsed,
        Some(i) if i.expires_ms <= now_ms => Redeem::Expired,
        Some(i) => {
            mark_used(c, code, &line_user_id, now_ms)?;
            let member = StaffMember {
                line_user_id,
                display_name: i.display_name,
                kintone_user: i.kintone_user,
                linked_ms: now_ms,
            };
            link(c, &member)?;
            return Ok(Redeem::Linked(member));
        }
    };
    record_failure(c, &line_user_id, now_ms)?;
    Ok(outcome)
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
        self.call(move |c| redeem_in(c, line_user_id, &code, now_ms))
            .await
    }
}

/// Deletes up to `limit` wrong-code records made before `before` (the limit
/// counts an hour back), oldest first.
///
/// # Errors
/// The write failed.
pub(in crate::store) fn prune_failures(
    c: &Connection,
    before: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    crate::store::retention::delete_oldest(
        c,
        "DELETE FROM invite_failures WHERE rowid IN (
             SELECT rowid FROM invite_failures WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2)",
        before,
        limit,
    )
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

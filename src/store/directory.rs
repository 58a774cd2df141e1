//! A read-only look at the staff directory and the recorded groups, for
//! `check-config` and `doctor`, which run beside the daemon (or without it)
//! and must neither create nor change the store: the database is opened
//! read-only when it exists, and not at all otherwise.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// Who and what the store knows by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    /// Linked staff: (display name, kintone user code).
    pub linked: Vec<(String, Option<String>)>,
    /// Invited, not linked yet (the code is unused and not expired).
    pub invited: Vec<(String, Option<String>)>,
    /// Groups the bot is in: (name, LINE group id).
    pub groups: Vec<(String, String)>,
    /// Groups the bot has left, by name.
    pub left: Vec<String>,
}

/// The directory in `state_dir`, or `None` when there is no store yet.
///
/// # Errors
/// The store exists but cannot be read (permissions, not migrated).
pub fn read_only(state_dir: &Path, now_ms: i64) -> Result<Option<Directory>, StoreError> {
    match super::readonly::connect_read_only(state_dir) {
        Ok((_, c)) => read(&c, now_ms).map(Some),
        Err(StoreError::NoStore { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The directory as this connection sees it.
///
/// # Errors
/// The read failed.
pub fn read(c: &Connection, now_ms: i64) -> Result<Directory, StoreError> {
    let pairs = |sql: &str| -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut st = c.prepare(sql)?;
        let rows = st.query_map([now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let linked =
        pairs("SELECT display_name, kintone_user FROM staff WHERE ?1 = ?1 ORDER BY display_name")?;
    let invited = pairs(
        "SELECT display_name, kintone_user FROM invites
         WHERE used_by IS NULL AND expires_ms > ?1 ORDER BY display_name",
    )?;
    let mut groups = Vec::new();
    let mut left = Vec::new();
    let mut st =
        c.prepare("SELECT name, group_id, left_ms IS NOT NULL FROM groups WHERE name IS NOT NULL")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (name, id, gone): (String, String, bool) = (r.get(0)?, r.get(1)?, r.get(2)?);
        if gone {
            left.push(name);
        } else {
            groups.push((name, id));
        }
    }
    Ok(Directory {
        linked,
        invited,
        groups,
        left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn no_store_is_none_and_is_not_created() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(read_only(dir.path(), 0).expect("read"), None);
        assert!(!dir.path().join("gateway.db").exists());
    }

    #[tokio::test]
    async fn linked_invited_and_groups_are_read() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let inv = store
            .invite_create("佐藤 花子".into(), Some("hanako.sato".into()), 0, 1_000)
            .await
            .expect("invite");
        let code = crate::store::staff::normalise_code(&inv.code).expect("code");
        let linked = store
            .invite_redeem("U1111111111111111111111111111aaaa".into(), code, 10)
            .await
            .expect("redeem");
        assert!(matches!(linked, crate::store::staff::Redeem::Linked(_)));
        store
            .invite_create("Taro Yamada".into(), None, 0, 1_000)
            .await
            .expect("invite");
        store
            .group_joined(
                "C3333333333333333333333333333cccc".into(),
                Some("Office".into()),
                0,
            )
            .await
            .expect("join");
        drop(store);
        let d = read_only(dir.path(), 20).expect("read").expect("there");
        assert_eq!(
            d.linked,
            [("佐藤 花子".to_owned(), Some("hanako.sato".to_owned()))]
        );
        assert_eq!(d.invited, [("Taro Yamada".to_owned(), None)]);
        assert_eq!(
            d.groups,
            [(
                "Office".to_owned(),
                "C3333333333333333333333333333cccc".to_owned()
            )]
        );
        let later = read_only(dir.path(), 2_000).expect("read").expect("there");
        assert!(later.invited.is_empty(), "an expired invite links nobody");
    }
}

//! Who a notification goes to, looked up in `staff` and `groups` when the
//! notification is stored (so a person linked later gets later cards).

use std::collections::BTreeSet;

use rusqlite::Connection;

use super::StoreError;

/// One recipient of a rule, in the store's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientKey {
    /// A linked staff member by display name.
    StaffName(String),
    /// Linked staff members by kintone user code.
    KintoneUsers(Vec<String>),
    /// A LINE group the bot is in, by the name it was given.
    GroupName(String),
    /// A LINE user or group id, as it is.
    LineId(String),
}

/// The LINE ids found, each once, and which keys (by index) found nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    pub ids: Vec<String>,
    pub unlinked: Vec<usize>,
    /// The keys reached nobody: `ids` are the fallback's (maybe none), and
    /// the notification is recorded as undeliverable.
    pub undeliverable: bool,
}

/// Resolves `keys` to LINE ids.
///
/// # Errors
/// The read failed.
pub fn resolve(c: &Connection, keys: &[RecipientKey]) -> Result<Resolved, StoreError> {
    let mut ids = BTreeSet::new();
    let mut unlinked = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let found = lookup(c, key)?;
        if found.is_empty() {
            unlinked.push(n);
        }
        ids.extend(found);
    }
    Ok(Resolved {
        ids: ids.into_iter().collect(),
        unlinked,
        undeliverable: false,
    })
}

fn lookup(c: &Connection, key: &RecipientKey) -> Result<Vec<String>, StoreError> {
    const BY_NAME: &str = "SELECT line_user_id FROM staff WHERE display_name = ?1";
    const BY_USER: &str = "SELECT line_user_id FROM staff WHERE kintone_user = ?1";
    const GROUP: &str = "SELECT group_id FROM groups WHERE name = ?1 AND left_ms IS NULL";
    let one = |sql: &str, key: &str| -> Result<Vec<String>, StoreError> {
        let mut st = c.prepare_cached(sql)?;
        let rows = st.query_map([key], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    };
    Ok(match key {
        RecipientKey::StaffName(name) => one(BY_NAME, name)?,
        RecipientKey::KintoneUsers(codes) => {
            let mut ids = Vec::new();
            for code in codes {
                ids.extend(one(BY_USER, code)?);
            }
            ids
        }
        RecipientKey::GroupName(name) => one(GROUP, name)?,
        RecipientKey::LineId(id) => vec![id.clone()],
    })
}

//! `field_state`: the value of each watched field as the gateway last saw
//! it, and the revision it came with. kintone never says what a field was
//! before, so this is what a change is compared with.
//!
//! [`load`] gathers everything a judgement of one record revision depends
//! on ([`RecordState`]); the verdict's writes go through
//! [`crate::store::verdicts`], which checks that this state is still the
//! one judged.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::intents::held_until;
use super::StoreError;
use crate::domain::{AppId, RecordId};

/// One record revision, as the store keys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionKey {
    pub app: AppId,
    pub record: RecordId,
    pub revision: i64,
}

/// What the store knows that bears on judging one record revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordState {
    /// The newest revision stored for the record (`None`: never seen).
    pub seen_revision: Option<i64>,
    /// The revision is one the gateway wrote itself (`own_writes`).
    pub own_write: bool,
    /// A live write-back intent expects this revision: held until then.
    pub held_until: Option<i64>,
    /// The app's baseline: the highest record id that existed then
    /// (`None`: the first scan has not finished).
    pub baseline_max: Option<i64>,
    /// Stored values of the watched fields asked for (absent: none stored).
    pub values: BTreeMap<String, String>,
}

/// Reads the state of `key` for the watched `fields`, at steady time `now_ms`.
///
/// # Errors
/// The read failed.
pub fn load(
    c: &Connection,
    key: RevisionKey,
    fields: &[String],
    now_ms: i64,
) -> Result<RecordState, StoreError> {
    let (app, rec, rev) = (key.app.stored(), key.record.stored(), key.revision);
    let seen_revision: Option<i64> = c
        .prepare_cached("SELECT MAX(revision) FROM field_state WHERE app = ?1 AND record = ?2")?
        .query_row(params![app, rec], |r| r.get(0))
        .optional()?
        .flatten();
    let mut values = BTreeMap::new();
    for field in fields {
        if let Some(v) = value(c, app, rec, field)? {
            values.insert(field.clone(), v);
        }
    }
    Ok(RecordState {
        seen_revision,
        own_write: own_write(c, app, rec, rev)?,
        held_until: held_until(c, app, rec, rev, now_ms)?,
        baseline_max: super::poll_state::baseline_max(c, key.app)?,
        values,
    })
}

fn value(c: &Connection, app: i64, rec: i64, field: &str) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT value FROM field_state WHERE app = ?1 AND record = ?2 AND field = ?3",
    )?
    .query_row(params![app, rec, field], |r| r.get(0))
    .optional()?)
}

fn own_write(c: &Connection, app: i64, rec: i64, rev: i64) -> Result<bool, StoreError> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM own_writes WHERE app = ?1 AND record = ?2 AND revision = ?3",
    )?
    .query_row(params![app, rec, rev], |_| Ok(()))
    .optional()?
    .is_some())
}

/// Stores the record's watched values at `key.revision`.
///
/// # Errors
/// The write failed.
pub fn store_values(
    c: &Connection,
    key: RevisionKey,
    values: &[(String, String)],
) -> Result<(), StoreError> {
    let mut st = c.prepare_cached(
        "INSERT INTO field_state(app, record, field, value, revision) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(app, record, field) DO UPDATE SET value = excluded.value, revision = excluded.revision",
    )?;
    for (field, value) in values {
        st.execute(params![
            key.app.stored(),
            key.record.stored(),
            field,
            value,
            key.revision
        ])?;
    }
    Ok(())
}

/// Forgets a deleted record: a record of that id later is a new one.
///
/// # Errors
/// The write failed.
pub fn forget_record(c: &Connection, app: AppId, record: RecordId) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM field_state WHERE app = ?1 AND record = ?2")?
        .execute(params![app.stored(), record.stored()])?;
    Ok(())
}

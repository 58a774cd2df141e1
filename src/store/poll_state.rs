//! `app_baseline` and `watermarks`: how far polling has got per app. The
//! baseline is the first full scan (records that existed then never
//! notify); the watermark is kintone's own `updated` time of the newest
//! record polled.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;
use crate::domain::AppId;

/// The highest record id of an app's baseline (`None`: not done yet).
///
/// # Errors
/// The read failed.
pub fn baseline_max(c: &Connection, app: AppId) -> Result<Option<i64>, StoreError> {
    Ok(
        c.prepare_cached("SELECT max_record FROM app_baseline WHERE app = ?1")?
            .query_row([app.stored()], |r| r.get(0))
            .optional()?,
    )
}

/// Whether an app's baseline is done.
///
/// # Errors
/// The read failed.
pub fn baseline_done(c: &Connection, app: AppId) -> Result<bool, StoreError> {
    Ok(baseline_max(c, app)?.is_some())
}

/// Marks an app's baseline done: records above `max_record` are new.
///
/// # Errors
/// The write failed.
pub fn finish_baseline(
    c: &Connection,
    app: AppId,
    max_record: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO app_baseline(app, done_ms, max_record) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![app.stored(), now_ms, max_record])?;
    Ok(())
}

/// The app's watermark, if a pass has finished.
///
/// # Errors
/// The read failed.
pub fn watermark(c: &Connection, app: AppId) -> Result<Option<String>, StoreError> {
    Ok(
        c.prepare_cached("SELECT updated FROM watermarks WHERE app = ?1")?
            .query_row([app.stored()], |r| r.get(0))
            .optional()?,
    )
}

/// Moves the app's watermark to `updated`; a watermark that did not move
/// is left alone (an UPDATE to the same value would still rewrite its page:
/// a poll that finds nothing writes nothing).
///
/// # Errors
/// The write failed.
pub fn save_watermark(c: &Connection, app: AppId, updated: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO watermarks(app, updated) VALUES (?1, ?2)
         ON CONFLICT(app) DO UPDATE SET updated = excluded.updated
         WHERE updated IS NOT excluded.updated",
    )?
    .execute(params![app.stored(), updated])?;
    Ok(())
}

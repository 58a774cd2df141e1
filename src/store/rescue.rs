//! `store rescue`: the damaged database moved aside (kept, with its `-wal`),
//! a new store created and migrated, and every table copied from the old
//! file as far as SQLite can still read it — the whole table in one
//! statement when it reads cleanly, else row by row: forwards until a
//! damaged page, past it by growing jumps, and backwards from the end, so
//! that one bad page costs only the rows on it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _};

use super::file::{self, companions};
use super::open::{self, Creation};
use super::StoreError;

/// What one table kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRescue {
    pub table: String,
    /// Rows copied into the new store.
    pub kept: u64,
    /// Rows the old table said it had (`None`: it could not even count).
    pub before: Option<u64>,
    /// Whether reading the old table hit damage.
    pub damaged: bool,
}

impl TableRescue {
    /// Rows lost, when the old table could count them.
    pub fn lost(&self) -> Option<u64> {
        self.before.map(|b| b.saturating_sub(self.kept))
    }
}

/// The outcome of a rescue.
#[derive(Debug)]
pub struct Rescued {
    /// Where the damaged database now is (kept; its `-wal` beside it).
    pub damaged_file: PathBuf,
    pub tables: Vec<TableRescue>,
}

/// Moves `state_dir/gateway.db` aside and copies what it still holds into a
/// new store there. The daemon must not be running.
///
/// # Errors
/// There is no store, it cannot be moved, or the new store cannot be made.
pub fn rescue(state_dir: &Path) -> Result<Rescued, StoreError> {
    let db = state_dir.join(file::DB);
    if !db.exists() {
        return Err(StoreError::Invalid(format!(
            "there is no store to rescue: {} does not exist",
            db.display()
        )));
    }
    let aside = move_aside(&db)?;
    let (_, conn) = open::open_writer(state_dir, Creation::Anew)?;
    let tables = copy_all(&conn, &aside)?;
    Ok(Rescued {
        damaged_file: aside,
        tables,
    })
}

/// Renames the database and its companions with one timestamp.
fn move_aside(db: &Path) -> Result<PathBuf, StoreError> {
    let aside = file::aside_name(db, "damaged");
    let [wal, shm] = companions(db);
    let [wal_aside, shm_aside] = companions(&aside);
    for (from, to) in [(db, &aside), (&wal, &wal_aside), (&shm, &shm_aside)] {
        if from.exists() {
            std::fs::rename(from, to).map_err(|source| StoreError::File {
                path: from.to_owned(),
                source,
            })?;
        }
    }
    Ok(aside)
}

/// Attaches the old file read-only and copies every table of the new schema
/// it has, in one transaction.
fn copy_all(conn: &Connection, old: &Path) -> Result<Vec<TableRescue>, StoreError> {
    // Rows come back in any order and some may be gone: no constraint
    // between tables may refuse what survived.
    conn.execute_batch("PRAGMA foreign_keys=OFF")?;
    let path = old.display().to_string();
    let path = path
        .replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23");
    let uri = format!("file:{path}?mode=ro");
    let tables = table_names(conn, "main")?;
    let attached = conn.execute("ATTACH DATABASE ?1 AS old", [&uri]);
    let old_tables = match attached {
        Ok(_) => table_names(conn, "old").unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let tx = conn.unchecked_transaction()?;
    let mut out = Vec::new();
    for table in tables {
        out.push(if old_tables.contains(&table) {
            copy_table(&tx, &table)?
        } else {
            TableRescue {
                table,
                kept: 0,
                before: None,
                damaged: true,
            }
        });
    }
    tx.commit()?;
    if attached.is_ok() {
        conn.execute_batch("DETACH DATABASE old")?;
    }
    conn.execute_batch("PRAGMA foreign_keys=ON")?;
    Ok(out)
}

fn table_names(conn: &Connection, schema: &str) -> rusqlite::Result<Vec<String>> {
    let sql = format!(
        "SELECT name FROM {schema}.sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    );
    let mut st = conn.prepare(&sql)?;
    let names = st.query_map([], |r| r.get(0))?.collect();
    names
}

/// The columns both versions of `table` have, quoted, comma-separated.
fn shared_columns(conn: &Connection, table: &str) -> rusqlite::Result<String> {
    let columns = |schema: &str| -> rusqlite::Result<Vec<String>> {
        let mut st = conn.prepare(&format!("PRAGMA {schema}.table_info(\"{table}\")"))?;
        let names = st.query_map([], |r| r.get::<_, String>(1))?.collect();
        names
    };
    let old = columns("old")?;
    Ok(columns("main")?
        .into_iter()
        .filter(|c| old.contains(c))
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", "))
}

/// One table: all at once if it reads cleanly, else row by row. The new
/// store's own `meta` rows (its id) win over the old ones.
fn copy_table(conn: &Connection, table: &str) -> Result<TableRescue, StoreError> {
    let before = conn
        .query_row(&format!("SELECT count(*) FROM old.\"{table}\""), [], |r| {
            r.get::<_, i64>(0)
        })
        .ok()
        .map(|n| u64::try_from(n).unwrap_or(0));
    let Ok(cols) = shared_columns(conn, table) else {
        return Ok(TableRescue {
            table: table.to_owned(),
            kept: 0,
            before,
            damaged: true,
        });
    };
    let insert = format!(
        "INSERT OR IGNORE INTO main.\"{table}\"({cols}) SELECT {cols} FROM old.\"{table}\""
    );
    conn.execute_batch("SAVEPOINT whole")?;
    if let Ok(n) = conn.execute(&insert, []) {
        conn.execute_batch("RELEASE whole")?;
        return Ok(TableRescue {
            table: table.to_owned(),
            kept: n as u64,
            before,
            damaged: false,
        });
    }
    conn.execute_batch("ROLLBACK TO whole; RELEASE whole")?;
    let kept = copy_rows(conn, table, &format!("{insert} WHERE rowid = ?1"))?;
    Ok(TableRescue {
        table: table.to_owned(),
        kept,
        before,
        damaged: true,
    })
}

/// Row by row: forwards with jumps past damage, then backwards from the end
/// until it meets a row already taken.
fn copy_rows(conn: &Connection, table: &str, insert_one: &str) -> Result<u64, StoreError> {
    let up = format!("SELECT rowid FROM old.\"{table}\" WHERE rowid > ?1 ORDER BY rowid LIMIT 1");
    let down =
        format!("SELECT rowid FROM old.\"{table}\" WHERE rowid < ?1 ORDER BY rowid DESC LIMIT 1");
    let next = |sql: &str, from: i64| -> rusqlite::Result<Option<i64>> {
        conn.query_row(sql, [from], |r| r.get(0)).optional()
    };
    let mut taken = HashSet::new();
    let mut kept = 0;
    let mut take = |rowid: i64, taken: &mut HashSet<i64>| {
        taken.insert(rowid);
        if conn.execute(insert_one, [rowid]).is_ok_and(|n| n == 1) {
            kept += 1;
        }
    };
    let (mut after, mut jump) = (0_i64, 0_u32);
    while jump < 63 {
        match next(&up, after) {
            Ok(Some(rowid)) => {
                take(rowid, &mut taken);
                (after, jump) = (rowid, 0);
            }
            Ok(None) => break,
            Err(_) => {
                after = after.saturating_add(1 << jump);
                jump += 1;
            }
        }
    }
    let mut below = i64::MAX;
    while let Ok(Some(rowid)) = next(&down, below) {
        if taken.contains(&rowid) {
            break;
        }
        take(rowid, &mut taken);
        below = rowid;
    }
    Ok(kept)
}

//! `store rescue`: the damaged database moved aside (kept, with its `-wal`),
//! a new store created and migrated, and every table copied from the old
//! file as far as SQLite can still read it, row by row: forwards from the
//! first row, past a damaged page by growing jumps, then backwards from the
//! last row, so that one bad page costs about the rows on it. The old file
//! is read on its own read-only connection: its damage never touches the
//! new store's transaction. The new store is made at the old one's schema
//! and migrated once the rows are in: an older store's rows are converted
//! by the same migrations that convert one in place.

#[cfg(any(test, feature = "sim"))]
pub mod damage;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Statement};

use super::file::{self, companions};
use super::open::{self, Creation};
use super::{schema, StoreError};

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
    let old = Connection::open_with_flags(&aside, OpenFlags::SQLITE_OPEN_READ_ONLY).ok();
    // A version it cannot say (or one newer than this binary): the latest,
    // and each table's columns that both have.
    let version = old
        .as_ref()
        .and_then(|o| schema::version_of(o).ok())
        .filter(|v| (1..=schema::latest()).contains(v))
        .unwrap_or_else(schema::latest);
    let (_, conn) = open::open_writer_at(state_dir, Creation::Anew, version)?;
    // Rows come back in any order and some may be gone: no constraint
    // between tables may refuse what survived, in the copy or in the
    // migrations after it.
    conn.execute_batch("PRAGMA foreign_keys=OFF")?;
    let tables = copy_all(&conn, old.as_ref())?;
    schema::migrate(&conn)?;
    conn.execute_batch("PRAGMA foreign_keys=ON")?;
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
    // A rollback journal (`store compact` cut short) stays with its file.
    let (journal, journal_aside) = (file::rollback_journal(db), file::rollback_journal(&aside));
    for (from, to) in [
        (db, &aside),
        (&wal, &wal_aside),
        (&shm, &shm_aside),
        (&journal, &journal_aside),
    ] {
        if from.exists() {
            std::fs::rename(from, to).map_err(|source| StoreError::File {
                path: from.to_owned(),
                source,
            })?;
        }
    }
    Ok(aside)
}

/// Copies every table of the new schema the old file has, in one
/// transaction of the new store.
fn copy_all(conn: &Connection, old: Option<&Connection>) -> Result<Vec<TableRescue>, StoreError> {
    let old_tables = old.and_then(|o| table_names(o).ok()).unwrap_or_default();
    let tx = conn.unchecked_transaction()?;
    let mut out = Vec::new();
    for table in table_names(&tx)? {
        out.push(match old {
            Some(old) if old_tables.contains(&table) => copy_table(&tx, old, &table)?,
            _ => TableRescue {
                table,
                kept: 0,
                before: None,
                damaged: true,
            },
        });
    }
    tx.commit()?;
    Ok(out)
}

fn table_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    )?;
    let names = st.query_map([], |r| r.get(0))?.collect();
    names
}

/// The columns both versions of `table` have.
fn shared_columns(
    new: &Connection,
    old: &Connection,
    table: &str,
) -> rusqlite::Result<Vec<String>> {
    let columns = |c: &Connection| -> rusqlite::Result<Vec<String>> {
        let mut st = c.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
        let names = st.query_map([], |r| r.get::<_, String>(1))?.collect();
        names
    };
    let old = columns(old)?;
    Ok(columns(new)?
        .into_iter()
        .filter(|c| old.contains(c))
        .collect())
}

/// One table, row by row. The new store's own `meta` rows (its id) win
/// over the old ones.
fn copy_table(new: &Connection, old: &Connection, table: &str) -> Result<TableRescue, StoreError> {
    let before = count(old, table);
    let lost = |before| TableRescue {
        table: table.to_owned(),
        kept: 0,
        before,
        damaged: true,
    };
    let Ok(cols) = shared_columns(new, old, table) else {
        return Ok(lost(before));
    };
    let list = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let marks = vec!["?"; cols.len()].join(", ");
    let mut insert = new.prepare(&format!(
        "INSERT OR IGNORE INTO \"{table}\"({list}) VALUES ({marks})"
    ))?;
    let (kept, damaged) = if without_rowid(new, table)? {
        copy_by_key(new, old, table, &list, cols.len(), &mut insert)
    } else {
        let from = |dir: &str| {
            let (cmp, order) = if dir == "up" {
                (">", "")
            } else {
                ("<", " DESC")
            };
            format!("SELECT rowid, {list} FROM \"{table}\" WHERE rowid {cmp} ?1 ORDER BY rowid{order} LIMIT 1")
        };
        let mut rows = Rows::new(old, cols.len());
        rows.forwards(&from("up"), &mut insert);
        rows.backwards(&from("down"), &mut insert);
        (rows.kept, rows.damaged)
    };
    Ok(TableRescue {
        table: table.to_owned(),
        kept,
        before,
        damaged: damaged || before.is_none(),
    })
}

/// Whether `table` is a `WITHOUT ROWID` one (the inbox's queue), its rows
/// in the order of its primary key.
fn without_rowid(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
        [table],
        |r| r.get(0),
    )
}

/// A `WITHOUT ROWID` table, in the order of its key, forwards from the first
/// row until damage, then backwards from the last until damage or a row
/// already copied (its key is taken: the insert is ignored). Without a
/// rowid to jump on, every page between the first bad one and the last is
/// lost; such a table's rows are narrow, many to a page. Returns the rows
/// kept and whether damage was met.
fn copy_by_key(
    new: &Connection,
    old: &Connection,
    table: &str,
    list: &str,
    width: usize,
    insert: &mut Statement<'_>,
) -> (u64, bool) {
    let key = || -> rusqlite::Result<Vec<String>> {
        let mut st = new.prepare(&format!(
            "SELECT name FROM pragma_table_info(\"{table}\") WHERE pk > 0 ORDER BY pk"
        ))?;
        let names = st.query_map([], |r| r.get(0))?.collect();
        names
    };
    let Ok(key) = key() else {
        return (0, true);
    };
    let (mut kept, mut damaged) = (0, false);
    for order in ["ASC", "DESC"] {
        let by = key
            .iter()
            .map(|c| format!("\"{c}\" {order}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {list} FROM \"{table}\" ORDER BY {by}");
        let Ok(mut st) = old.prepare(&sql) else {
            return (kept, true);
        };
        let Ok(mut rows) = st.query([]) else {
            return (kept, true);
        };
        loop {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(_) => {
                    damaged = true;
                    break;
                }
            };
            let values: rusqlite::Result<Vec<Value>> = (0..width).map(|i| row.get(i)).collect();
            let Ok(values) = values else {
                damaged = true;
                break;
            };
            match insert.execute(rusqlite::params_from_iter(values)) {
                Ok(1) => kept += 1,
                // Met the rows the first walk copied.
                _ if order == "DESC" => break,
                _ => {}
            }
        }
        if !damaged {
            // The first walk read every row.
            break;
        }
    }
    (kept, damaged)
}

/// How many rows `table` has: from the table itself, or, when that is
/// damaged, from an index over every row (a separate b-tree, read alone
/// when the query needs only its first column).
fn count(old: &Connection, table: &str) -> Option<u64> {
    let count = |sql: &str| {
        old.query_row(sql, [], |r| r.get::<_, i64>(0))
            .ok()
            .map(|n| u64::try_from(n).unwrap_or(0))
    };
    count(&format!("SELECT count(*) FROM \"{table}\"")).or_else(|| {
        let mut st = old.prepare(&format!("PRAGMA index_list(\"{table}\")")).ok()?;
        // (name, partial): a partial index does not hold every row.
        let indexes: Vec<(String, bool)> = st
            .query_map([], |r| Ok((r.get(1)?, r.get(4)?)))
            .ok()?
            .filter_map(Result::ok)
            .collect();
        indexes.iter().filter(|(_, partial)| !partial).find_map(|(index, _)| {
            let column: String = old
                .query_row(&format!("PRAGMA index_info(\"{index}\")"), [], |r| r.get(2))
                .ok()?;
            count(&format!(
                "SELECT (SELECT count(*) FROM \"{table}\" INDEXED BY \"{index}\" WHERE \"{column}\" IS NOT NULL)
                      + (SELECT count(*) FROM \"{table}\" INDEXED BY \"{index}\" WHERE \"{column}\" IS NULL)"
            ))
        })
    })
}

/// The row-by-row walk over one old table.
struct Rows<'a> {
    old: &'a Connection,
    width: usize,
    taken: HashSet<i64>,
    kept: u64,
    damaged: bool,
}

impl<'a> Rows<'a> {
    /// A walk over rows of `width` values (after the rowid).
    fn new(old: &'a Connection, width: usize) -> Rows<'a> {
        Rows {
            old,
            width,
            taken: HashSet::new(),
            kept: 0,
            damaged: false,
        }
    }

    /// The next row `sql` finds from rowid `from`: its rowid and values.
    fn next(&self, sql: &str, from: i64) -> rusqlite::Result<Option<(i64, Vec<Value>)>> {
        self.old
            .query_row(sql, [from], |r| {
                let values: rusqlite::Result<Vec<Value>> =
                    (1..=self.width).map(|i| r.get(i)).collect();
                Ok((r.get(0)?, values?))
            })
            .optional()
    }

    fn take(&mut self, insert: &mut Statement<'_>, rowid: i64, values: Vec<Value>) {
        self.taken.insert(rowid);
        if insert
            .execute(rusqlite::params_from_iter(values))
            .is_ok_and(|n| n == 1)
        {
            self.kept += 1;
        }
    }

    /// From the first row up; past damage by growing jumps.
    fn forwards(&mut self, up: &str, insert: &mut Statement<'_>) {
        let (mut after, mut jump) = (i64::MIN, 0_u32);
        while jump < 64 {
            match self.next(up, after) {
                Ok(Some((rowid, values))) => {
                    self.take(insert, rowid, values);
                    (after, jump) = (rowid, 0);
                }
                Ok(None) => break,
                Err(_) => {
                    self.damaged = true;
                    after = after.saturating_add(1_i64.checked_shl(jump).unwrap_or(i64::MAX));
                    jump += 1;
                }
            }
        }
    }

    /// From the last row down, until damage or a row already taken.
    fn backwards(&mut self, down: &str, insert: &mut Statement<'_>) {
        let mut below = i64::MAX;
        loop {
            match self.next(down, below) {
                Ok(Some((rowid, _))) if self.taken.contains(&rowid) => break,
                Ok(Some((rowid, values))) => {
                    self.take(insert, rowid, values);
                    below = rowid;
                }
                Ok(None) => break,
                Err(_) => {
                    self.damaged = true;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

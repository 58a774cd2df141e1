//! For the tests and benches of damaged stores: what a bad SD card sector
//! does to a table, on a closed store file.

use std::path::Path;

use rusqlite::Connection;

/// Overwrites the first leaf page of `table` (not page 1, the header) in
/// the database file `db` with garbage; the store must be closed and its
/// WAL folded into the file.
///
/// # Errors
/// The file cannot be read or written, or `table` does not span several
/// pages (its root would be the leaf).
pub fn damage_first_leaf(db: &Path, table: &str) -> Result<(), String> {
    let c = Connection::open(db).map_err(|e| e.to_string())?;
    let size = |sql: &str| -> Result<usize, String> {
        let n: i64 = c
            .query_row(sql, [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        usize::try_from(n).map_err(|e| e.to_string())
    };
    let page = size("PRAGMA page_size")?;
    let root = size(&format!(
        "SELECT rootpage FROM sqlite_master WHERE name = '{table}'"
    ))?;
    // The last connection to close folds the WAL into the file.
    drop(c);
    let mut bytes = std::fs::read(db).map_err(|e| e.to_string())?;
    let byte = |bytes: &[u8], at: usize| bytes.get(at).copied().ok_or("past the file's end");
    // Down the left edge of the table's tree (two levels or more) to its
    // first leaf. A `WITHOUT ROWID` table is an index b-tree: interior
    // pages 0x02, leaves 0x0a (a rowid table's are 0x05 and 0x0d); both
    // interior cells start with the left child's page number.
    let interior = |b: u8| b == 0x05 || b == 0x02;
    let mut node = (root - 1) * page;
    if !interior(byte(&bytes, node)?) {
        return Err(format!("{table} does not span several pages"));
    }
    while interior(byte(&bytes, node)?) {
        let cell = usize::from(u16::from_be_bytes([
            byte(&bytes, node + 12)?,
            byte(&bytes, node + 13)?,
        ]));
        let at = node + cell;
        let child = bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or("past the file's end")?;
        node = (child as usize - 1) * page;
    }
    if !matches!(byte(&bytes, node)?, 0x0d | 0x0a) {
        return Err(format!("page {} is not a table leaf", node / page + 1));
    }
    bytes[node..node + page].fill(0xa5);
    std::fs::write(db, bytes).map_err(|e| e.to_string())
}

//! The reader thread: a second, read-only connection for reads that change
//! nothing. WAL lets it see every committed batch without waiting for the
//! next group commit (or for a writer that is stuck).

use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{exec_cached, Store, StoreError};

/// A read on the reader thread.
pub(super) type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// Starts the reader thread on `conn`; it runs until every sender is gone.
///
/// # Errors
/// The thread could not be started.
pub(super) fn spawn(conn: Connection) -> Result<mpsc::Sender<ReadJob>, StoreError> {
    let (reads, rx) = mpsc::channel::<ReadJob>();
    std::thread::Builder::new()
        .name("store-read".into())
        .spawn(move || {
            while let Ok(job) = rx.recv() {
                job(&conn);
            }
        })
        .map_err(|e| StoreError::Invalid(format!("cannot start store reader: {e}")))?;
    Ok(reads)
}

impl Store {
    /// Runs `f` on the reader thread, in one read transaction (a consistent
    /// snapshot of everything committed so far). `f` cannot write: the
    /// connection is read-only.
    ///
    /// # Errors
    /// `f`'s own error, or a stopped reader thread.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<R, StoreError>>();
        let job: ReadJob = Box::new(move |conn| {
            let result = exec_cached(conn, "BEGIN DEFERRED")
                .map_err(StoreError::from)
                .and_then(|_| f(conn));
            let _ = exec_cached(conn, "COMMIT");
            let _ = tx.send(result);
        });
        self.reads.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

//! The parts of the config that change without a restart: each is a
//! [`Live`] cell the daemon makes once and hands to the loops; a reload
//! (SIGHUP) swaps the value, and whoever reads next gets the new one.
//!
//! A reader takes a snapshot (`get`, an `Arc`) at the start of a piece of
//! work — a request, a batch, a pass — and uses it to the end, so work in
//! flight during a reload finishes on the value it started with and nothing
//! is dropped. Built on `tokio::sync::watch`: the read is a short read lock
//! and an `Arc` clone; `changed` lets a loop that sleeps wake for a new value.

use std::sync::Arc;

use tokio::sync::watch;

/// A swappable value; clones share the cell.
#[derive(Debug)]
pub struct Live<T>(Arc<watch::Sender<Arc<T>>>);

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        Live(self.0.clone())
    }
}

impl<T> Live<T> {
    pub fn new(value: T) -> Self {
        Live(Arc::new(watch::Sender::new(Arc::new(value))))
    }

    /// The value now: keep it for the piece of work at hand.
    pub fn get(&self) -> Arc<T> {
        self.0.borrow().clone()
    }

    /// Swaps in a new value (the daemon's reload).
    pub fn set(&self, value: T) {
        self.0.send_replace(Arc::new(value));
    }

    /// A receiver that sees each new value (`changed().await`).
    pub fn subscribe(&self) -> watch::Receiver<Arc<T>> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_keeps_its_value_and_the_next_read_sees_the_new_one() {
        let live = Live::new(1);
        let other = live.clone();
        let before = live.get();
        other.set(2);
        assert_eq!((*before, *live.get()), (1, 2));
    }
}

//! The output lines: what the LED and buzzer should be (`want`) against
//! what the hardware was last set to (`have`), and recovery from a failed
//! backend — close, back off, reopen, reapply the wanted state.

use std::sync::atomic::Ordering;

use tokio::time::Instant;

use super::{Actor, RETRY_FIRST, RETRY_MAX};
use crate::indicator::backend::{Opening, Output};

pub(super) fn idx(o: Output) -> usize {
    match o {
        Output::Led => 0,
        Output::Buzzer => 1,
    }
}

impl Actor {
    /// Drives an output, skipping the hardware while it is failed (the wanted
    /// state is applied when it comes back).
    pub(super) fn set(&mut self, o: Output, on: bool) {
        self.want[idx(o)] = on;
        if self.fault.is_some() || self.have[idx(o)] == Some(on) {
            return;
        }
        match self.backend.set(o, on) {
            Ok(()) => self.have[idx(o)] = Some(on),
            Err(e) => self.fail(e.0),
        }
    }

    pub(super) fn open(&mut self) {
        match self.backend.open(self.hw_tx.clone()) {
            Ok(Opening::Done) => self.opened(),
            // First open: writes queue behind the claim. A reopen waits for
            // `Opened` (the fault stays until then, so backoff holds).
            Ok(Opening::Reported) if self.fault.is_none() => self.reapply(),
            Ok(Opening::Reported) => {}
            Err(e) => self.fail(e.0),
        }
    }

    pub(super) fn opened(&mut self) {
        self.retry_delay = RETRY_FIRST;
        if self.fault.take().is_some() || self.have == [None; 2] {
            tracing::info!("indicator hardware ready");
            self.metrics.indicator_fault.store(0, Ordering::Relaxed);
            self.reapply();
        }
    }

    /// Freshly claimed lines are off; bring them to the wanted state.
    fn reapply(&mut self) {
        self.have = [Some(false); 2];
        for o in [Output::Led, Output::Buzzer] {
            self.set(o, self.want[idx(o)]);
        }
    }

    pub(super) fn fail(&mut self, why: String) {
        if self.fault.is_none() {
            tracing::error!(error = %why, "indicator hardware failed; will retry (the gateway keeps running)");
        } else {
            tracing::debug!(error = %why, "indicator hardware still failing");
        }
        self.metrics.indicator_fault.store(1, Ordering::Relaxed);
        self.backend.close();
        self.have = [None; 2];
        self.fault = Some(why);
        self.retry_at = Some(Instant::now() + self.retry_delay);
        self.retry_delay = (self.retry_delay * 2).min(RETRY_MAX);
    }
}

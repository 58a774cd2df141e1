//! Reminder and escalation figures for `GET /metrics`: steps sent, and the
//! open chains by the stage they reached.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Counted by `notify::chain`.
#[derive(Debug, Default)]
pub struct ChainMetrics {
    /// Reminder cards stored for pushing (one per recipient).
    pub reminders: AtomicU64,
    /// Escalation cards stored for pushing (one per recipient).
    pub escalations: AtomicU64,
    /// Open chains that sent only the first card, a reminder, an escalation.
    pub open_first: AtomicI64,
    pub open_reminded: AtomicI64,
    pub open_escalated: AtomicI64,
    /// Due chains waiting for the quiet hours to end.
    pub waiting_quiet: AtomicI64,
}

impl ChainMetrics {
    pub(super) fn render(&self, out: &mut String) {
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
        for (name, help, v) in [
            ("reminders", "reminder cards queued", c(&self.reminders)),
            (
                "escalations",
                "escalation cards queued",
                c(&self.escalations),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP klg_chain_{name} {help}\n# TYPE klg_chain_{name} counter\nklg_chain_{name}_total {v}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP klg_chains_open open reminder chains by the stage they reached\n# TYPE klg_chains_open gauge"
        );
        let g = |a: &AtomicI64| a.load(Ordering::Relaxed);
        for (stage, v) in [
            ("first", g(&self.open_first)),
            ("reminded", g(&self.open_reminded)),
            ("escalated", g(&self.open_escalated)),
        ] {
            let _ = writeln!(out, "klg_chains_open{{stage=\"{stage}\"}} {v}");
        }
        let _ = writeln!(
            out,
            "# HELP klg_chains_waiting_quiet_hours due reminder chains waiting for the quiet hours to end\n# TYPE klg_chains_waiting_quiet_hours gauge\nklg_chains_waiting_quiet_hours {}",
            g(&self.waiting_quiet)
        );
    }
}

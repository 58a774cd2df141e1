//! A chain's typed states: the stage it reached, and why it stopped; each
//! stored as text in one place.

/// The last step a chain sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainStage {
    /// Only the notification's own card.
    First,
    /// Reminder `n` (from 1).
    Reminder(u32),
    /// Escalation `k` (from 1).
    Escalation(u32),
}

impl ChainStage {
    /// As stored and shown: `first`, `reminder 2`, `escalation 1`.
    pub fn as_text(self) -> String {
        match self {
            ChainStage::First => "first".to_owned(),
            ChainStage::Reminder(n) => format!("reminder {n}"),
            ChainStage::Escalation(k) => format!("escalation {k}"),
        }
    }

    /// The stage of a stored text; unknown texts read as `First`.
    pub fn parse(s: &str) -> ChainStage {
        let n = |rest: &str| rest.trim().parse().unwrap_or(0);
        if let Some(rest) = s.strip_prefix("reminder") {
            ChainStage::Reminder(n(rest))
        } else if let Some(rest) = s.strip_prefix("escalation") {
            ChainStage::Escalation(n(rest))
        } else {
            ChainStage::First
        }
    }
}

/// Why a chain stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Acknowledged,
    /// The record left the value it was notified on.
    MovedOn,
    /// Older than the rule's `give_up`.
    GaveUp,
    /// Every step was sent.
    Done,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Acknowledged => "acknowledged",
            StopReason::MovedOn => "moved_on",
            StopReason::GaveUp => "gave_up",
            StopReason::Done => "done",
        }
    }
}

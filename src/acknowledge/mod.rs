//! One write-back service for LINE taps and the panel button: an
//! acknowledgement becomes a kintone comment, field update or status action,
//! exactly once across crashes.

pub mod outcome;
pub mod vars;
pub mod writeback;

/// Something an acknowledgement (from LINE or the panel) tells to the rest of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckEvent {
    /// A notification was acknowledged (the indicator re-reads pending count).
    Acknowledged { notification: String },
}

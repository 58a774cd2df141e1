//! How an acknowledgement ended, as the audit log records it.

use std::borrow::Cow;

use super::writeback::Written;

/// The end of one acknowledgement (a LINE tap or a panel write-back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOutcome {
    /// Written back to kintone now.
    Written,
    /// Found written by an earlier, interrupted attempt.
    AlreadyWritten,
    /// Someone acknowledged the notification first; nothing was written.
    AlreadyAcknowledged,
    /// The tap may not acknowledge; the reason as the audit log words it
    /// (`"refused: not a recipient"`).
    Refused(&'static str),
    /// kintone refused the write-back; its error.
    Failed(String),
}

impl AckOutcome {
    /// The outcome of a completed write-back.
    pub fn of(written: &Written) -> AckOutcome {
        match written {
            Written::Now(_) => AckOutcome::Written,
            Written::Already => AckOutcome::AlreadyWritten,
        }
    }

    /// The audit row's `outcome` text; the store and tests read it.
    pub fn as_str(&self) -> Cow<'static, str> {
        match self {
            AckOutcome::Written => Cow::Borrowed("written"),
            AckOutcome::AlreadyWritten => Cow::Borrowed("already-written"),
            AckOutcome::AlreadyAcknowledged => Cow::Borrowed("already-acknowledged"),
            AckOutcome::Refused(why) => Cow::Borrowed(why),
            AckOutcome::Failed(e) => Cow::Owned(format!("failed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_texts_stay_as_the_audit_log_has_them() {
        assert_eq!(
            AckOutcome::of(&Written::Now("7".into())).as_str(),
            "written"
        );
        assert_eq!(
            AckOutcome::of(&Written::Already).as_str(),
            "already-written"
        );
        assert_eq!(
            AckOutcome::AlreadyAcknowledged.as_str(),
            "already-acknowledged"
        );
        assert_eq!(
            AckOutcome::Refused("refused: not a recipient").as_str(),
            "refused: not a recipient"
        );
        assert_eq!(AckOutcome::Failed("boom".into()).as_str(), "failed: boom");
    }
}

//! What the gateway last observed of LINE and of kintone: when one last
//! answered, when a call last got no answer (or a 5xx) and why. `status`
//! prints it with its age; "never contacted" when neither happened — no
//! service is called "ok" without an answer seen.

use std::sync::Mutex;

/// The observations of one service, shared by its client's clones.
#[derive(Debug, Default)]
pub struct Contact {
    inner: Mutex<Observed>,
}

/// A snapshot, as the daemon saves it in the store.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Observed {
    /// Wall ms of the last answer below 500 (the service is there).
    pub answered_ms: Option<i64>,
    /// Wall ms of the last call without an answer, or with a 5xx.
    pub failed_ms: Option<i64>,
    /// Why that call failed, in plain words (no secret, no URL).
    pub failure: Option<String>,
}

/// Both services' observations, as saved for `status`.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contacts {
    pub line: Observed,
    pub kintone: Observed,
}

impl Contact {
    fn lock(&self) -> std::sync::MutexGuard<'_, Observed> {
        // Observations stay right after a panic elsewhere.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The service answered (any status below 500) at `now_ms`.
    pub fn answered(&self, now_ms: i64) {
        self.lock().answered_ms = Some(now_ms);
    }

    /// A call got no answer, or a 5xx, at `now_ms`.
    pub fn failed(&self, now_ms: i64, why: &str) {
        let mut o = self.lock();
        o.failed_ms = Some(now_ms);
        o.failure = Some(why.to_owned());
    }

    /// What was seen so far.
    pub fn observed(&self) -> Observed {
        self.lock().clone()
    }
}

impl Observed {
    /// One word for the `STATUS=` line: `ok` only after an answer that no
    /// failure followed.
    pub fn word(&self) -> &'static str {
        match (self.answered_ms, self.failed_ms) {
            (None, None) => "not contacted yet",
            (Some(ok), Some(f)) if f > ok => "failing",
            (None, Some(_)) => "failing",
            _ => "ok",
        }
    }
}

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

    /// One line for `status`: `"answered 12s ago"`, `"failing: …"`, or
    /// `"never contacted"`.
    pub fn describe(&self, now_ms: i64) -> String {
        let ago = |ms: i64| age((now_ms - ms).max(0));
        match (self.answered_ms, self.failed_ms) {
            (None, None) => "never contacted".into(),
            (Some(ok), fail) if fail.is_none_or(|f| f <= ok) => {
                format!("answered {}", ago(ok))
            }
            (ok, Some(f)) => format!(
                "failing: last call {} got no answer ({}); {}",
                ago(f),
                self.failure.as_deref().unwrap_or("no reason recorded"),
                ok.map_or_else(
                    || "never answered".into(),
                    |ok| format!("last answered {}", ago(ok))
                )
            ),
            (Some(ok), None) => format!("answered {}", ago(ok)),
        }
    }
}

/// `"12s ago"`, `"5m ago"`, `"3h ago"`, `"2d ago"`.
fn age(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        3600..86_400 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_seen_is_never_contacted_and_a_failure_after_an_answer_is_failing() {
        let c = Contact::default();
        assert_eq!(c.observed().describe(0), "never contacted");
        c.failed(1_000, "connection refused");
        assert_eq!(
            c.observed().describe(6_000),
            "failing: last call 5s ago got no answer (connection refused); never answered"
        );
        c.answered(10_000);
        assert_eq!(c.observed().describe(130_000), "answered 2m ago");
        c.failed(200_000, "timed out");
        assert!(c
            .observed()
            .describe(200_000)
            .contains("last answered 3m ago"));
    }
}

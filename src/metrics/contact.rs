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

/// What a service is, in one word: the `STATUS=` line and the web page
/// each say it in their own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// It answered, and no failure came after.
    Answering,
    /// [`Observed::failing`].
    Failing,
    /// Neither an answer nor a failure yet.
    NotContacted,
}

impl Observed {
    /// The one word: answering only after an answer that no failure
    /// followed.
    pub fn seen(&self) -> Seen {
        if self.failing() {
            Seen::Failing
        } else if self.answered_ms.is_some() {
            Seen::Answering
        } else {
            Seen::NotContacted
        }
    }

    /// The last call failed, and no answer came after it.
    pub fn failing(&self) -> bool {
        self.failed_ms
            .is_some_and(|f| self.answered_ms.is_none_or(|ok| f > ok))
    }
}

/// What was seen of each kintone app (by app id): one app's token may be
/// refused while another's works.
#[derive(Debug, Default)]
pub struct AppContacts {
    apps: Mutex<std::collections::BTreeMap<u64, Observed>>,
}

impl AppContacts {
    fn with(&self, app: u64, f: impl FnOnce(&mut Observed)) {
        let mut apps = self
            .apps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(apps.entry(app).or_default());
    }

    /// App `app` answered (any status below 500) at `now_ms`.
    pub fn answered(&self, app: u64, now_ms: i64) {
        self.with(app, |o| o.answered_ms = Some(now_ms));
    }

    /// A call for app `app` got no answer, or a 5xx, at `now_ms`.
    pub fn failed(&self, app: u64, now_ms: i64, why: &str) {
        self.with(app, |o| {
            o.failed_ms = Some(now_ms);
            o.failure = Some(why.to_owned());
        });
    }

    /// What was seen of app `app` so far (nothing: never contacted).
    pub fn observed(&self, app: u64) -> Observed {
        self.apps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&app)
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_app_keeps_its_own_observations() {
        let c = AppContacts::default();
        c.answered(1, 10);
        c.failed(2, 20, "HTTP 503");
        assert_eq!(c.observed(1).answered_ms, Some(10));
        assert_eq!(c.observed(1).failed_ms, None);
        assert_eq!(c.observed(2).failure.as_deref(), Some("HTTP 503"));
        assert_eq!(c.observed(3), Observed::default(), "never contacted");
    }
}

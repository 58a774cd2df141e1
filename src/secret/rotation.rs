//! A secret during a rotation: the new value and, until the sender has moved
//! over, the old one (`[new, old]` in the config). Whatever checks a secret
//! presented by a caller accepts either and says which matched, so no request
//! signed or sent in between is refused.

use subtle::ConstantTimeEq;

use super::Secret;

/// One secret, or two while it is being rotated: the first is the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    current: Secret,
    previous: Option<Secret>,
}

/// Which secret of a [`Rotation`] matched: for the log, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The first (new) one.
    Current,
    /// The second (old) one: the sender has not moved over yet.
    Previous,
}

impl Which {
    /// The word for the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Which::Current => "current",
            Which::Previous => "previous",
        }
    }
}

impl Rotation {
    /// A secret with no rotation under way.
    pub fn one(current: Secret) -> Self {
        Rotation {
            current,
            previous: None,
        }
    }

    /// The new secret and the old one it replaces.
    pub fn rotating(current: Secret, previous: Secret) -> Self {
        Rotation {
            current,
            previous: Some(previous),
        }
    }

    /// The new secret: the one to sign or send with.
    pub fn current(&self) -> &Secret {
        &self.current
    }

    /// The old secret, while a rotation is under way.
    pub fn previous(&self) -> Option<&Secret> {
        self.previous.as_ref()
    }

    /// Each secret with which one it is, the new one first.
    pub fn each(&self) -> impl Iterator<Item = (Which, &Secret)> {
        std::iter::once((Which::Current, &self.current))
            .chain(self.previous.iter().map(|p| (Which::Previous, p)))
    }

    /// Which secret `given` is, compared in constant time, if either.
    pub fn matches(&self, given: &[u8]) -> Option<Which> {
        self.each()
            .find(|(_, s)| bool::from(given.ct_eq(s.expose().as_bytes())))
            .map(|(w, _)| w)
    }
}

/// Which secret of a rotation callers last presented, logged when it
/// changes (the first request after a start, and when the sender moves to the
/// new secret), so the log says when the old one can be dropped, without a
/// line per request.
#[derive(Debug, Default)]
pub struct LastMatch(std::sync::Mutex<Option<Which>>);

impl LastMatch {
    /// Notes that `what` (e.g. "relay token") matched `which` of `secrets`.
    pub fn note(&self, which: Which, secrets: &Rotation, what: &'static str) {
        let mut last = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *last != Some(which) {
            *last = Some(which);
            if secrets.previous().is_some() {
                tracing::info!(
                    secret = which.as_str(),
                    "{what}: matched the {} secret of the rotation",
                    which.as_str()
                );
            }
        }
        tracing::debug!(secret = which.as_str(), "{what} verified");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_secret_matches_and_says_which() {
        let r = Rotation::rotating(Secret::new("new-one"), Secret::new("old-one"));
        assert_eq!(r.matches(b"new-one"), Some(Which::Current));
        assert_eq!(r.matches(b"old-one"), Some(Which::Previous));
        assert_eq!(r.matches(b"other"), None);
        let one = Rotation::one(Secret::new("new-one"));
        assert_eq!(one.matches(b"old-one"), None);
        assert!(!format!("{r:?}").contains("one\""), "values never in Debug");
    }
}

//! Identifiers that cross the gateway's edges, parsed once where they come in.
//!
//! Raw strings stop at the edge: past it, a `LineUserId` is known to look like
//! one, an `AppId` is a number, and mixing up an app and a record id does not
//! compile.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {reason}")]
pub struct IdError {
    pub what: &'static str,
    pub reason: String,
}

macro_rules! numeric_id {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a positive number.
            ///
            /// # Errors
            /// Zero is not a valid kintone id.
            pub fn new(n: u64) -> Result<Self, IdError> {
                if n == 0 {
                    return Err(IdError { what: $what, reason: "must be a positive number".into() });
                }
                Ok(Self(n))
            }

            /// Parses the decimal string form kintone uses in JSON.
            ///
            /// # Errors
            /// Anything but a positive decimal number.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let n: u64 = s.parse().map_err(|_| IdError {
                    what: $what,
                    reason: format!("{s:?} is not a number"),
                })?;
                Self::new(n)
            }

            pub fn get(self) -> u64 {
                self.0
            }

            /// The id as SQLite stores it (an `INTEGER` is an i64; kintone
            /// ids are far below `i64::MAX`).
            pub fn stored(self) -> i64 {
                i64::try_from(self.0).unwrap_or(i64::MAX)
            }

            /// An id read back from the store.
            ///
            /// # Errors
            /// Zero or negative: the row was not written by this gateway.
            pub fn from_stored(n: i64) -> Result<Self, IdError> {
                let n = u64::try_from(n).map_err(|_| IdError {
                    what: $what,
                    reason: format!("{n} is negative"),
                })?;
                Self::new(n)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

numeric_id!(
    /// A kintone app id.
    AppId,
    "app id"
);
numeric_id!(
    /// A kintone record id (`$id`).
    RecordId,
    "record id"
);

/// A kintone record revision (`$revision`). Zero never occurs on a real record
/// but is allowed here so "unknown" need not be an `Option` everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Revision(pub u64);

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

macro_rules! line_id {
    ($(#[$m:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses `<prefix>` followed by 32 lowercase hex digits, LINE's form.
            ///
            /// # Errors
            /// Any other shape.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let ok = s.len() == 33
                    && s.starts_with($prefix)
                    && s[1..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if ok {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError {
                        what: $what,
                        reason: format!("expected {:?} and 32 hex digits", $prefix),
                    })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

line_id!(
    /// A LINE user id (`U…`), as the channel sees it.
    LineUserId,
    "U",
    "LINE user id"
);
line_id!(
    /// A LINE group id (`C…`).
    LineGroupId,
    "C",
    "LINE group id"
);
line_id!(
    /// A LINE multi-person chat id (`R…`).
    LineRoomId,
    "R",
    "LINE room id"
);

/// Whom a push goes to: one user, or one group (every member counts against
/// the quota).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PushTarget {
    User(LineUserId),
    Group(LineGroupId),
}

impl PushTarget {
    pub fn as_str(&self) -> &str {
        match self {
            PushTarget::User(u) => u.as_str(),
            PushTarget::Group(g) => g.as_str(),
        }
    }
}

/// A site key: which office a postback belongs to, read by the relay to route.
/// Lowercase letters, digits and `-`, at most 32 characters; may be empty
/// (single-site setups).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SiteKey(String);

impl SiteKey {
    /// # Errors
    /// Characters outside `[a-z0-9-]` or longer than 32.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            Ok(SiteKey(s.to_owned()))
        } else {
            Err(IdError {
                what: "site key",
                reason: "use at most 32 of a-z, 0-9 and -".into(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SiteKey {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<SiteKey> for String {
    fn from(k: SiteKey) -> String {
        k.0
    }
}

/// What a card does in the quiet hours (`[notify] quiet_hours`): a rule's
/// `at_night`, or `Send` for an `urgent` rule. Set on each delivery when it
/// is stored, so the outbox needs no rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AtNight {
    /// Waits, and goes when the quiet hours end (one batch per person).
    #[default]
    Hold,
    /// Goes, with `notificationDisabled`: no sound, no vibration.
    Silent,
    /// Goes as usual.
    Send,
}

impl AtNight {
    /// The config value and the stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            AtNight::Hold => "hold",
            AtNight::Silent => "silent",
            AtNight::Send => "send",
        }
    }

    /// Parses the config value or the stored text.
    ///
    /// # Errors
    /// Anything else, as a message for the config problem.
    pub fn parse(s: &str) -> Result<AtNight, String> {
        [AtNight::Hold, AtNight::Silent, AtNight::Send]
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| format!("must be \"hold\", \"silent\" or \"send\", not {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ids_have_their_shape() {
        let u = "U8e742f61d673b39c7fff3cecb7536ef0";
        assert_eq!(LineUserId::parse(u).unwrap().as_str(), u);
        assert!(LineUserId::parse("C8e742f61d673b39c7fff3cecb7536ef0").is_err());
        assert!(LineUserId::parse("U8E742F61D673B39C7FFF3CECB7536EF0").is_err());
        assert!(LineGroupId::parse("Cabc").is_err());
    }

    #[test]
    fn numeric_ids_refuse_zero_and_junk() {
        assert_eq!(AppId::parse("42").unwrap().get(), 42);
        assert!(AppId::parse("0").is_err());
        assert!(RecordId::parse("-1").is_err());
        assert!(RecordId::parse("1e3").is_err());
    }

    #[test]
    fn site_keys() {
        assert!(SiteKey::parse("tokyo-1").is_ok());
        assert!(SiteKey::parse("").is_ok());
        assert!(SiteKey::parse("Tokyo").is_err());
        assert!(SiteKey::parse("a:b").is_err());
    }
}

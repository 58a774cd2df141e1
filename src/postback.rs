//! Our postback data format: what an Acknowledge button carries and LINE
//! echoes back.
//!
//! `ack:v1:<site>:<app>:<record>:<notification>` — versioned so a later format
//! can coexist with buttons still sitting in people's chats; compact (well
//! under LINE's 300 characters); the site key comes first so the relay can
//! route without understanding the rest.

use std::fmt;

use crate::domain::{AppId, RecordId, SiteKey};

const PREFIX: &str = "ack:v1:";

/// A parsed Acknowledge postback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckData {
    pub site: SiteKey,
    pub app: AppId,
    pub record: RecordId,
    pub notification: NotificationId,
}

/// A notification's id: 1–26 characters of `[0-9a-z]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotificationId(String);

impl NotificationId {
    /// # Errors
    /// Empty, too long, or characters outside `[0-9a-z]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if !s.is_empty()
            && s.len() <= 26
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        {
            Ok(NotificationId(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a notification id"))
        }
    }

    /// A fresh random id (16 base-36 characters, ~82 bits).
    pub fn random() -> Self {
        const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let id = (0..16)
            .map(|_| char::from(DIGITS[fastrand::usize(..DIGITS.len())]))
            .collect();
        NotificationId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NotificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why postback data is not ours (answered with a friendly reply, not a crash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostbackError {
    #[error("not an acknowledge button")]
    Foreign,
    #[error("acknowledge data is damaged: {0}")]
    Damaged(String),
}

impl AckData {
    /// # Errors
    /// [`PostbackError::Foreign`] for data of another format or version;
    /// [`PostbackError::Damaged`] for `ack:v1:` data that does not parse.
    pub fn parse(data: &str) -> Result<AckData, PostbackError> {
        let rest = data.strip_prefix(PREFIX).ok_or(PostbackError::Foreign)?;
        let parts: Vec<&str> = rest.split(':').collect();
        let [site, app, record, notification] = parts[..] else {
            return Err(PostbackError::Damaged(format!(
                "expected 4 fields, found {}",
                parts.len()
            )));
        };
        let bad = |e: String| PostbackError::Damaged(e);
        Ok(AckData {
            site: SiteKey::parse(site).map_err(|e| bad(e.to_string()))?,
            app: AppId::parse(app).map_err(|e| bad(e.to_string()))?,
            record: RecordId::parse(record).map_err(|e| bad(e.to_string()))?,
            notification: NotificationId::parse(notification).map_err(bad)?,
        })
    }
}

impl fmt::Display for AckData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}:{}:{}:{}",
            self.site.as_str(),
            self.app,
            self.record,
            self.notification
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AckData {
        AckData {
            site: SiteKey::parse("tokyo-2").unwrap(),
            app: AppId::new(42).unwrap(),
            record: RecordId::new(345).unwrap(),
            notification: NotificationId::parse("k3x9").unwrap(),
        }
    }

    #[test]
    fn round_trips_and_stays_small() {
        let d = sample();
        let s = d.to_string();
        assert_eq!(s, "ack:v1:tokyo-2:42:345:k3x9");
        assert_eq!(AckData::parse(&s).unwrap(), d);
        let worst = AckData {
            site: SiteKey::parse(&"a".repeat(32)).unwrap(),
            app: AppId::new(u64::MAX).unwrap(),
            record: RecordId::new(u64::MAX).unwrap(),
            notification: NotificationId::parse(&"z".repeat(26)).unwrap(),
        };
        assert!(worst.to_string().len() <= 300);
        let r = NotificationId::random();
        assert_eq!(NotificationId::parse(r.as_str()).unwrap(), r);
    }

    #[test]
    fn foreign_and_damaged_data() {
        assert_eq!(AckData::parse("hello"), Err(PostbackError::Foreign));
        assert_eq!(
            AckData::parse("ack:v2:x:1:2:n"),
            Err(PostbackError::Foreign)
        );
        assert!(matches!(
            AckData::parse("ack:v1::0:2:n"),
            Err(PostbackError::Damaged(_))
        ));
        assert!(matches!(
            AckData::parse("ack:v1::1:2"),
            Err(PostbackError::Damaged(_))
        ));
        assert!(matches!(
            AckData::parse("ack:v1::1:2:N!"),
            Err(PostbackError::Damaged(_))
        ));
    }
}

//! Who may acknowledge a notification.
//!
//! Postback data can be typed by hand and a card can be forwarded, so the
//! data alone proves nothing: a tap is written back only for a notification
//! the gateway made, for the app and record the data names, by someone its
//! rule allows — by default a recipient the card was actually sent to (a
//! LINE user it was pushed to, or anyone in a group it was pushed to).
//! Rooms are never pushed to (a rule names users and groups only), so a tap
//! in a room counts only when the tapping user was a recipient themself.

use crate::config::rules::AckBy;
use crate::inbound::events::Source;
use crate::postback::AckData;
use crate::store::notifications::NotificationState;
use crate::text::Catalogue;

/// Why a tap is not written back. Every refusal gets a polite Reply that
/// says why, and nothing else happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No such notification (invented, or from another gateway's store).
    Unknown,
    /// The notification exists but the data names another app or record.
    Mismatch,
    /// The card was not sent to this person or group.
    NotARecipient,
    /// The rule wants linked staff, and this person is not linked.
    NotStaff,
}

impl Refusal {
    /// The Reply, in plain words.
    pub(super) fn text(self, texts: &Catalogue) -> &'static str {
        match self {
            Refusal::Unknown | Refusal::Mismatch => texts.refused_unknown,
            Refusal::NotARecipient => texts.refused_not_recipient,
            Refusal::NotStaff => texts.refused_not_staff,
        }
    }

    /// The audit row's outcome and the log's reason.
    pub(super) fn audit(self) -> &'static str {
        match self {
            Refusal::Unknown => "refused: unknown notification",
            Refusal::Mismatch => "refused: data does not match the notification",
            Refusal::NotARecipient => "refused: not a recipient",
            Refusal::NotStaff => "refused: not linked staff",
        }
    }
}

/// What the decision reads: the notification (if it exists), whom it was
/// sent to, and whether the tapping person is linked staff.
pub(super) struct Facts<'a> {
    pub notification: Option<&'a NotificationState>,
    pub recipients: &'a [String],
    pub is_staff: bool,
}

/// Whether the tap from `source` may acknowledge `ack`, given `facts` and
/// the rule's setting (looked up by `rule_ack_by` from the notification's
/// rule name). An acknowledged notification passes here: the caller answers
/// "already acknowledged" to people who may acknowledge it.
///
/// # Errors
/// The reason it may not.
pub(super) fn check<'a>(
    ack: &AckData,
    source: &Source,
    facts: &Facts<'a>,
    rule_ack_by: impl FnOnce(&str) -> AckBy,
) -> Result<&'a NotificationState, Refusal> {
    let n = facts.notification.ok_or(Refusal::Unknown)?;
    let same = n.app == ack.app.stored() && n.record == ack.record.stored();
    if !same {
        return Err(Refusal::Mismatch);
    }
    let recipient = is_recipient(source, facts.recipients);
    match rule_ack_by(&n.rule) {
        AckBy::Anyone => Ok(n),
        // Widens the recipients: a recipient need not be linked (a literal
        // LINE id in the rule, a group member).
        AckBy::Staff if recipient || facts.is_staff => Ok(n),
        AckBy::Staff => Err(Refusal::NotStaff),
        AckBy::Recipients if recipient => Ok(n),
        AckBy::Recipients => Err(Refusal::NotARecipient),
    }
}

/// The tapping user was sent the card, or the tap came from a group it was
/// sent to.
fn is_recipient(source: &Source, recipients: &[String]) -> bool {
    let listed = |id: &str| recipients.iter().any(|r| r == id);
    let by_user = source.user().is_some_and(|u| listed(u.as_str()));
    let by_group = match source {
        Source::Group { group, .. } => listed(group.as_str()),
        Source::User(_) | Source::Room { .. } | Source::Unknown => false,
    };
    by_user || by_group
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LineGroupId, LineRoomId, LineUserId};

    const TARO: &str = "U1111111111111111111111111111aaaa";
    const HANA: &str = "U2222222222222222222222222222bbbb";
    const OFFICE: &str = "C3333333333333333333333333333cccc";
    const OTHER: &str = "C4444444444444444444444444444dddd";

    fn n() -> NotificationState {
        NotificationState {
            id: "n1".into(),
            app: 1,
            record: 5,
            title: String::new(),
            to_value: "Urgent".into(),
            rule: "r".into(),
            acked_ms: None,
            acked_by: None,
        }
    }

    fn data(app: u64, record: u64, id: &str) -> AckData {
        AckData::parse(&format!("ack:v1::{app}:{record}:{id}")).unwrap()
    }

    fn user(u: &str) -> Source {
        Source::User(LineUserId::parse(u).unwrap())
    }

    fn in_group(g: &str, u: Option<&str>) -> Source {
        Source::Group {
            group: LineGroupId::parse(g).unwrap(),
            user: u.map(|u| LineUserId::parse(u).unwrap()),
        }
    }

    fn decide(by: AckBy, source: &Source, to: &[&str], staff: bool) -> Result<(), Refusal> {
        let n = n();
        let recipients: Vec<String> = to.iter().map(|s| (*s).to_owned()).collect();
        let facts = Facts {
            notification: Some(&n),
            recipients: &recipients,
            is_staff: staff,
        };
        check(&data(1, 5, "n1"), source, &facts, |_| by).map(|_| ())
    }

    #[test]
    fn recipients_are_the_users_and_groups_it_was_sent_to() {
        let by = AckBy::Recipients;
        assert_eq!(decide(by, &user(TARO), &[TARO], false), Ok(()));
        assert_eq!(
            decide(by, &user(HANA), &[TARO], true),
            Err(Refusal::NotARecipient),
            "a forwarded card, even to staff"
        );
        assert_eq!(
            decide(by, &in_group(OFFICE, Some(HANA)), &[OFFICE], false),
            Ok(())
        );
        assert_eq!(
            decide(by, &in_group(OFFICE, None), &[OFFICE], false),
            Ok(()),
            "a group member LINE does not name"
        );
        assert_eq!(
            decide(by, &in_group(OTHER, Some(HANA)), &[OFFICE], false),
            Err(Refusal::NotARecipient),
            "another group"
        );
        assert_eq!(
            decide(by, &in_group(OTHER, Some(TARO)), &[TARO], false),
            Ok(()),
            "a recipient tapping a card shared into a group"
        );
        let room = Source::Room {
            room: LineRoomId::parse("R5555555555555555555555555555eeee").unwrap(),
            user: Some(LineUserId::parse(HANA).unwrap()),
        };
        assert_eq!(
            decide(by, &room, &[TARO], false),
            Err(Refusal::NotARecipient)
        );
    }

    #[test]
    fn staff_and_anyone_widen_it() {
        assert_eq!(decide(AckBy::Staff, &user(HANA), &[TARO], true), Ok(()));
        assert_eq!(
            decide(AckBy::Staff, &user(HANA), &[TARO], false),
            Err(Refusal::NotStaff)
        );
        assert_eq!(
            decide(AckBy::Staff, &user(TARO), &[TARO], false),
            Ok(()),
            "a recipient who is not linked"
        );
        assert_eq!(decide(AckBy::Anyone, &user(HANA), &[], false), Ok(()));
    }

    #[test]
    fn unknown_or_mismatched_notifications_are_refused_whoever_taps() {
        let n = n();
        let to = vec![TARO.to_owned()];
        let none = Facts {
            notification: None,
            recipients: &[],
            is_staff: true,
        };
        let anyone = |_: &str| AckBy::Anyone;
        assert_eq!(
            check(&data(1, 5, "x"), &user(TARO), &none, anyone).err(),
            Some(Refusal::Unknown)
        );
        let found = Facts {
            notification: Some(&n),
            recipients: &to,
            is_staff: true,
        };
        for d in [data(2, 5, "n1"), data(1, 6, "n1")] {
            assert_eq!(
                check(&d, &user(TARO), &found, anyone).err(),
                Some(Refusal::Mismatch)
            );
        }
    }
}

//! Owed cards become push requests: recipients owed exactly the same cards
//! share a multicast (groups push alone), and each request carries up to
//! [`CARDS_PER_REQUEST`] cards packed into carousels. Pure: the requests are
//! stored by `coalesce` as they are built here.

use std::collections::BTreeMap;

use crate::domain::AtNight;
use crate::line::client::MULTICAST_MAX;
use crate::line::flex;
use crate::notify::pacing::CARDS_PER_REQUEST;
use crate::store::deliveries::OwedCard;
use crate::store::outbox::{NewPush, Part};
use crate::store::StoreError;

/// Recipients owed the same cards, each with their delivery seqs in card order.
type Members = Vec<(String, Vec<i64>)>;
/// (is a group, the group id then the card keys — or just the keys)
/// -> the recipients owed exactly those cards.
type Shared = BTreeMap<(bool, Vec<String>), Members>;
/// The cards (bubble JSON, alt text) of each list of card keys, and
/// whether all of them go silently in the quiet hours.
type Cards = BTreeMap<Vec<String>, (Vec<(String, String)>, bool)>;

/// Builds the requests for the cards `owed` to each recipient; `quiet`: in
/// the quiet hours, where a request of only silent cards goes silently.
///
/// # Errors
/// A stored card is unreadable or cannot be packed.
pub fn build(owed: BTreeMap<String, Vec<OwedCard>>, quiet: bool) -> Result<Vec<Part>, StoreError> {
    let (shared, cards) = group(owed);
    let mut parts = Vec::new();
    for ((is_group, key), members) in shared {
        let notif_key = if is_group { &key[1..] } else { &key[..] };
        let Some((items, all_silent)) = cards.get(notif_key) else {
            continue;
        };
        let silent = quiet && *all_silent;
        // One request's worth of cards at a time: a burst of a thousand
        // cards never sits in memory as JSON trees all at once.
        for (part_no, part) in items.chunks(CARDS_PER_REQUEST).enumerate() {
            let first = part_no * CARDS_PER_REQUEST;
            let requests = pack(part)?;
            for chunk in members.chunks(MULTICAST_MAX) {
                parts.push(part_for(chunk, &requests, (first, part.len()), silent)?);
            }
        }
    }
    Ok(parts)
}

/// Groups recipients owed exactly the same cards; groups push alone.
fn group(owed: BTreeMap<String, Vec<OwedCard>>) -> (Shared, Cards) {
    let mut shared = Shared::new();
    let mut cards = Cards::new();
    for (recipient, items) in owed {
        let key: Vec<String> = items.iter().map(card_key).collect();
        let seqs: Vec<i64> = items.iter().map(|i| i.seq).collect();
        cards.entry(key.clone()).or_insert_with(|| {
            let silent = items.iter().all(|i| i.night == AtNight::Silent);
            let cards = items.into_iter().map(|i| (i.bubble, i.alt_text)).collect();
            (cards, silent)
        });
        let is_group = !recipient.starts_with('U');
        let group = if is_group {
            (
                true,
                std::iter::once(recipient.clone()).chain(key).collect(),
            )
        } else {
            (false, key)
        };
        shared.entry(group).or_default().push((recipient, seqs));
    }
    (shared, cards)
}

/// Which card a delivery is: its notification, and which of that
/// notification's cards (the first, a reminder, an escalation: the same
/// notification, different bubbles), so only people owed the very same
/// card share a multicast.
fn card_key(item: &OwedCard) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&item.bubble, &item.alt_text).hash(&mut h);
    format!("{}:{:016x}", item.notification, h.finish())
}

/// The messages of one part's requests, each a JSON array.
///
/// # Errors
/// A card is not JSON, or the cards cannot be packed.
pub(super) fn pack(part: &[(String, String)]) -> Result<Vec<String>, StoreError> {
    let bubbles = part
        .iter()
        .map(|(b, alt)| {
            Ok((
                serde_json::from_str::<serde_json::Value>(b)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
                alt.clone(),
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let requests =
        flex::pack(bubbles).map_err(|e| StoreError::Invalid(format!("packing cards: {e}")))?;
    requests
        .iter()
        .map(|m| serde_json::to_string(m).map_err(|e| StoreError::Invalid(e.to_string())))
        .collect()
}

fn part_for(
    chunk: &[(String, Vec<i64>)],
    requests: &[String],
    (first, cards): (usize, usize),
    silent: bool,
) -> Result<Part, StoreError> {
    let to: Vec<&str> = chunk.iter().map(|(r, _)| r.as_str()).collect();
    let to = serde_json::to_string(&to).map_err(|e| StoreError::Invalid(e.to_string()))?;
    // This part's deliveries belong to its (first) request.
    let deliveries: Vec<i64> = chunk
        .iter()
        .flat_map(|(_, seqs)| seqs.iter().skip(first).take(cards).copied())
        .collect();
    let count = i64::try_from(chunk.len()).unwrap_or(i64::MAX);
    // Packed into one request, its messages are its deliveries' cards,
    // packed again when it is sent: no copy of them to write and free.
    let from_cards = requests.len() == 1;
    Ok(Part {
        pushes: requests
            .iter()
            .map(|messages| NewPush {
                recipients: to.clone(),
                messages: if from_cards {
                    String::new()
                } else {
                    messages.clone()
                },
                cards: from_cards,
                message_count: count,
                deliveries: deliveries.clone(),
                silent,
            })
            .collect(),
        recipients: chunk.iter().map(|(r, _)| r.clone()).collect(),
        cards: i64::try_from(cards).unwrap_or(i64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARO: &str = "U1111111111111111111111111111aaaa";
    const HANA: &str = "U2222222222222222222222222222bbbb";
    const GROUP: &str = "C3333333333333333333333333333cccc";

    fn owed(seq: i64, notification: &str) -> OwedCard {
        OwedCard {
            seq,
            notification: notification.into(),
            bubble: r#"{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"Fix the roof"}]}}"#.into(),
            alt_text: "Needs approval".into(),
            night: AtNight::Hold,
        }
    }

    #[test]
    fn users_owed_the_same_cards_share_a_multicast_and_groups_push_alone() {
        let owed = BTreeMap::from([
            (TARO.to_owned(), vec![owed(1, "n1")]),
            (HANA.to_owned(), vec![owed(2, "n1")]),
            (GROUP.to_owned(), vec![owed(3, "n1")]),
        ]);
        let parts = build(owed, false).expect("build");
        let to: Vec<(&str, i64, &[i64])> = parts
            .iter()
            .flat_map(|p| &p.pushes)
            .map(|p| {
                (
                    p.recipients.as_str(),
                    p.message_count,
                    p.deliveries.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            to,
            [
                (
                    r#"["U1111111111111111111111111111aaaa","U2222222222222222222222222222bbbb"]"#,
                    2,
                    &[1, 2][..]
                ),
                (r#"["C3333333333333333333333333333cccc"]"#, 1, &[3][..]),
            ]
        );
        assert!(parts.iter().all(|p| p.cards == 1));
    }

    /// A reminder and an escalation of one notification are different
    /// cards: the people owed each get their own, not one multicast.
    #[test]
    fn different_cards_of_one_notification_do_not_share_a_multicast() {
        let mut escalation = owed(2, "n1");
        escalation.bubble = escalation.bubble.replace("Fix the roof", "Escalation");
        let owed = BTreeMap::from([
            (TARO.to_owned(), vec![owed(1, "n1")]),
            (HANA.to_owned(), vec![escalation]),
        ]);
        let parts = build(owed, false).expect("build");
        // Each request's messages are the cards of the deliveries it carries.
        let pushes: Vec<(&str, &[i64], bool)> = parts
            .iter()
            .flat_map(|p| &p.pushes)
            .map(|p| (p.recipients.as_str(), p.deliveries.as_slice(), p.cards))
            .collect();
        assert_eq!(
            pushes,
            [
                (r#"["U1111111111111111111111111111aaaa"]"#, &[1][..], true),
                (r#"["U2222222222222222222222222222bbbb"]"#, &[2][..], true),
            ]
        );
        assert!(parts
            .iter()
            .flat_map(|p| &p.pushes)
            .all(|p| p.messages.is_empty()));
    }

    /// Cards that need more than one request are stored with their
    /// messages: only a request that is its part's whole is made again
    /// from its deliveries' cards.
    #[test]
    fn a_part_packed_into_several_requests_keeps_its_messages() {
        let big = format!("{{\"type\":\"bubble\",\"body\":{{\"type\":\"box\",\"layout\":\"vertical\",\"contents\":[{{\"type\":\"text\",\"text\":\"{}\"}}]}}}}", "x".repeat(25_000));
        let cards: Vec<OwedCard> = (1..=10)
            .map(|seq| OwedCard {
                bubble: big.clone(),
                ..owed(seq, &format!("n{seq}"))
            })
            .collect();
        let parts = build(BTreeMap::from([(TARO.to_owned(), cards)]), false).expect("build");
        let pushes: Vec<_> = parts.iter().flat_map(|p| &p.pushes).collect();
        assert!(pushes.len() > 1, "{} requests", pushes.len());
        assert!(pushes.iter().all(|p| !p.cards && !p.messages.is_empty()));
        assert!(
            parts.iter().all(|p| p.cards == 10),
            "the pacing counts cards"
        );
    }
}

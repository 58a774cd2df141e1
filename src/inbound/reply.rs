//! Reply, the free answer to a user's own action — and the type that keeps it
//! apart from Push.
//!
//! A [`ReplyToken`] is neither `Clone` nor `Copy`, has no public constructor
//! (only the webhook parser in [`super::events`] issues one), remembers when
//! its clock started, and is consumed by value by [`send`], the only function
//! that calls the Reply API. Code that handles kintone changes never holds a
//! token, so it can only reach the push path. `tests/ui/` proves that cloning,
//! reusing or forging a token does not compile.

use std::fmt;
use std::time::Duration;

use super::events::{parse_event, InboundEvent, Malformed};
use crate::clock::millis;
use crate::line::client::LineClient;
use crate::line::error::LineError;
use crate::line::message::Message;
use crate::store::inbox::InboxRow;

/// LINE's Verify button and some test tools send these dummy tokens.
const DUMMY_TOKENS: [&str; 2] = [
    "00000000000000000000000000000000",
    "ffffffffffffffffffffffffffffffff",
];

/// LINE's limit for a token in a redelivered webhook: one minute from the
/// redelivery's arrival...
const REDELIVERY_WINDOW: Duration = Duration::from_secs(60);
/// ...unless this long has passed since the event itself.
const REDELIVERY_EVENT_AGE: Duration = Duration::from_secs(20 * 60);

/// When and how an event reached the gateway, as the reply window needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// When the gateway received the event, on the steady timeline
    /// ([`crate::clock::Clock::steady_ms`]).
    pub received_ms: i64,
    /// How far the steady timeline is from LINE's clock
    /// ([`crate::clock::Clock::line_offset_ms`]); without it the event's own
    /// timestamp is not used.
    pub line_offset_ms: Option<i64>,
}

/// The capability to read stored events with their reply tokens: the daemon
/// makes one and hands it to the inbox worker, the only code that answers
/// people. Nothing else can get a [`ReplyToken`], so the notification loop can
/// only push (`tests/it/architecture.rs` checks it never names this type).
pub struct ReplyIssuer {
    _made_by_the_daemon: (),
}

impl ReplyIssuer {
    /// For the daemon (and the tests of the modules it wires up).
    pub(crate) fn new() -> ReplyIssuer {
        ReplyIssuer {
            _made_by_the_daemon: (),
        }
    }

    /// Parses one event the inbox stored after verifying its webhook, with
    /// the reply token stored beside it.
    ///
    /// # Errors
    /// [`Malformed`] when the stored JSON is not an event.
    pub fn parse_event(&self, row: &InboxRow, receipt: Receipt) -> Result<InboundEvent, Malformed> {
        let ev = row.event().map_err(|e| Malformed(e.to_string()))?;
        parse_event(&ev, row.reply_token.as_ref(), receipt)
    }
}

impl fmt::Debug for ReplyIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplyIssuer")
    }
}

/// A single-use reply token from a verified event.
pub struct ReplyToken {
    token: String,
    started_at_ms: i64,
    /// LINE's own limit for this token, when shorter than any deadline.
    limit: Option<Duration>,
    /// When LINE stops taking it whatever the deadline (steady ms).
    ends_by_ms: Option<i64>,
}

impl ReplyToken {
    /// Issued by the webhook parser only, with its window by LINE's rules.
    ///
    /// The window counts from receipt, which the gateway measures on its own
    /// steady timeline, so a board clock that is wrong or jumps cannot empty
    /// it. The event's timestamp (LINE's clock) is used only once the offset
    /// between the clocks is known, and then placed on the steady timeline: a
    /// first delivery that reached the board late counts from the event, and
    /// a redelivery's token ends 20 minutes after its event. A redelivery's
    /// token is good for one minute from its arrival. Before the
    /// offset is known, a token LINE no longer takes earns a free `400`,
    /// answered like any expired token.
    pub(in crate::inbound) fn issue(
        token: &str,
        event_timestamp_ms: i64,
        redelivery: bool,
        receipt: Receipt,
    ) -> Option<ReplyToken> {
        if token.is_empty() || DUMMY_TOKENS.contains(&token) {
            return None;
        }
        let Receipt {
            received_ms,
            line_offset_ms,
        } = receipt;
        // When the event happened, on the steady timeline.
        let happened = line_offset_ms.map(|o| event_timestamp_ms.saturating_add(o));
        let (started_at_ms, limit, ends_by_ms) = if redelivery {
            let ends_by = happened.map(|h| h.saturating_add(millis(REDELIVERY_EVENT_AGE)));
            (received_ms, Some(REDELIVERY_WINDOW), ends_by)
        } else {
            (
                happened.map_or(received_ms, |h| h.min(received_ms)),
                None,
                None,
            )
        };
        Some(ReplyToken {
            token: token.to_owned(),
            started_at_ms,
            limit,
            ends_by_ms,
        })
    }

    /// When the token's window started (steady ms).
    pub fn started_at_ms(&self) -> i64 {
        self.started_at_ms
    }

    /// Time left at steady time `now_ms` before `deadline` (or LINE's own
    /// shorter limit) runs out, or `None` if it has.
    pub fn remaining(&self, now_ms: i64, deadline: Duration) -> Option<Duration> {
        let left = self.ends_at_ms(deadline) - now_ms;
        (left > 0).then(|| Duration::from_millis(left.unsigned_abs()))
    }

    /// When the token stops being usable under `deadline` (steady ms).
    fn ends_at_ms(&self, deadline: Duration) -> i64 {
        let window = self.limit.map_or(deadline, |l| l.min(deadline));
        let end = self.started_at_ms.saturating_add(millis(window));
        self.ends_by_ms.map_or(end, |by| by.min(end))
    }
}

impl fmt::Debug for ReplyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyToken")
            .field("token", &"[redacted]")
            .field("started_at_ms", &self.started_at_ms)
            .field("limit", &self.limit)
            .field("ends_by_ms", &self.ends_by_ms)
            .finish()
    }
}

/// Why a reply was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// The deadline had passed: the API was not called.
    #[error("reply deadline passed {late_ms} ms ago; Reply API not called")]
    Expired { late_ms: i64 },
    #[error(transparent)]
    Line(#[from] LineError),
}

/// Sends the reply, consuming the token; `now_ms` is steady time. Does not
/// call the API at all once `deadline` has passed (an expired token can only earn a 400).
///
/// # Errors
/// [`ReplyError::Expired`] without a call; [`ReplyError::Line`] when LINE
/// refused (e.g. `InvalidReplyToken` for a token already used).
pub async fn send(
    client: &LineClient,
    token: ReplyToken,
    messages: &[Message],
    deadline: Duration,
    now_ms: i64,
) -> Result<(), ReplyError> {
    if token.remaining(now_ms, deadline).is_none() {
        return Err(ReplyError::Expired {
            late_ms: now_ms - token.ends_at_ms(deadline),
        });
    }
    client.reply_raw(&token.token, messages, false).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// Received at `received_ms` (steady) by a board whose clock is
    /// `offset` from LINE's, if known.
    fn receipt(received_ms: i64, offset: Option<i64>) -> Receipt {
        Receipt {
            received_ms,
            line_offset_ms: offset,
        }
    }

    #[test]
    fn a_first_delivery_counts_from_the_earlier_of_event_and_receipt() {
        let t = ReplyToken::issue("abc", 10_000, false, receipt(9_000, Some(0))).unwrap();
        assert_eq!(t.started_at_ms(), 9_000);
        let t = ReplyToken::issue("abc", 9_000, false, receipt(10_000, Some(0))).unwrap();
        assert_eq!(
            t.started_at_ms(),
            9_000,
            "a late arrival counts from the event"
        );
        let d = Duration::from_secs(30);
        assert_eq!(t.remaining(9_000, d), Some(Duration::from_secs(30)));
        assert_eq!(t.remaining(38_999, d), Some(Duration::from_millis(1)));
        assert_eq!(t.remaining(39_000, d), None);
    }

    #[test]
    fn a_board_clock_an_hour_off_loses_no_time() {
        let d = Duration::from_secs(30);
        for offset in [60 * MIN, -60 * MIN] {
            let received = 1_000_000 + offset;
            // Known offset: the event is placed on the board's timeline.
            let t = ReplyToken::issue("abc", 1_000_000, false, receipt(received, Some(offset)));
            let t = t.unwrap();
            assert_eq!(t.started_at_ms(), received);
            assert_eq!(
                t.remaining(received + 1_000, d),
                Some(Duration::from_secs(29))
            );
            // Not known yet: from receipt.
            let t = ReplyToken::issue("abc", 1_000_000, false, receipt(received, None)).unwrap();
            assert_eq!(t.started_at_ms(), received);
        }
    }

    #[test]
    fn a_redelivery_has_a_minute_from_its_arrival_within_the_deadline() {
        // Tapped five minutes before the board (back from a power cut) got it.
        let event = 1_000_000;
        let arrived = event + 5 * MIN;
        let t = ReplyToken::issue("abc", event, true, receipt(arrived, Some(0))).unwrap();
        assert_eq!(t.started_at_ms(), arrived);
        let d = Duration::from_secs(30);
        assert_eq!(
            t.remaining(arrived + 10_000, d),
            Some(Duration::from_secs(20))
        );
        // A deadline longer than LINE's minute is cut to the minute.
        let long = Duration::from_secs(120);
        assert_eq!(
            t.remaining(arrived + 59_000, long),
            Some(Duration::from_secs(1))
        );
        assert_eq!(t.remaining(arrived + 60_000, long), None);
    }

    #[test]
    fn a_redelivery_token_ends_twenty_minutes_after_its_event() {
        let d = Duration::from_secs(30);
        let event = 1_000_000;
        let arrived = event + 20 * MIN;
        let late = |at, offset| ReplyToken::issue("abc", event, true, receipt(at, offset));
        assert_eq!(late(arrived, Some(0)).unwrap().remaining(arrived, d), None);
        let t = late(arrived - 10_000, Some(0)).unwrap();
        assert_eq!(
            t.remaining(arrived - 10_000, d),
            Some(Duration::from_secs(10))
        );
        // On a clock an hour fast, a redelivery five minutes after its event
        // is five minutes old, not sixty-five.
        let at = event + 65 * MIN;
        let t = late(at, Some(60 * MIN)).unwrap();
        assert_eq!(t.remaining(at, d), Some(d));
        // Offset unknown: LINE decides.
        assert_eq!(late(at, None).unwrap().remaining(at, d), Some(d));
    }

    #[test]
    fn dummy_and_empty_tokens_are_not_tokens() {
        assert!(ReplyToken::issue("", 0, false, receipt(0, None)).is_none());
        assert!(ReplyToken::issue(DUMMY_TOKENS[0], 0, false, receipt(0, None)).is_none());
    }

    #[test]
    fn debug_hides_the_token() {
        let t = ReplyToken::issue("secret-token", 1, false, receipt(2, None)).unwrap();
        assert!(!format!("{t:?}").contains("secret-token"));
    }
}

//! When a recipient's queued cards go out: a pure function of explicit times
//! (milliseconds) and counts, so each rule can be tested with plain numbers.
//!
//! LINE counts one message per recipient per request, and a request carries
//! up to [`CARDS_PER_REQUEST`] cards. So:
//!
//! - **Full requests go at once.** Sixty queued cards cost one message now or
//!   later; waiting saves nothing.
//! - **A part-filled request waits for a quiet moment**: `debounce` with no
//!   new card for the recipient. An isolated change, or one long after the
//!   last push, goes within the debounce.
//! - **The ceiling**: at most `prompt_per_minute` part-filled requests per
//!   recipient in any minute go at debounce speed. The first changes of a
//!   burst look exactly like isolated ones, so one or two part-filled requests
//!   slip out before the burst shows; after that the rest of the burst is
//!   packed. A burst polled in chunks (one every few seconds) is quiet between
//!   chunks, and without this ceiling every chunk would cost a part-filled
//!   request.
//! - **`max_wait`** bounds how long a card waits past the ceiling or in a
//!   stream that never goes quiet.
//!
//! So a recipient gets at most `prompt_per_minute` + 60 s / `max_wait`
//! part-filled requests a minute, plus full ones that cost the least per card.

use std::time::Duration;

pub use crate::config::notify::Pacing;
use crate::line::flex;

/// Cards per push request at most: five carousels of twelve bubbles.
pub const CARDS_PER_REQUEST: usize = flex::MAX_MESSAGES_PER_REQUEST * flex::MAX_CAROUSEL_BUBBLES;

/// The window the ceiling counts in.
pub const MINUTE_MS: i64 = 60_000;

/// What to do with one recipient's queue now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Send this many cards from the front of the queue now.
    pub send: usize,
    /// Look again at this time (ms) if cards are left waiting.
    pub next_check: Option<i64>,
}

impl Pacing {
    /// Plans one recipient's queue.
    ///
    /// `queued`: arrival times of the cards waiting, oldest first.
    /// `partials`: when the recipient's part-filled requests of the last
    /// minute were made (any order; older ones are ignored).
    #[must_use]
    pub fn plan(&self, queued: &[i64], partials: &[i64], now: i64) -> Plan {
        let full = queued.len() / CARDS_PER_REQUEST * CARDS_PER_REQUEST;
        let rest = &queued[full..];
        let (Some(&oldest), Some(&newest)) = (rest.first(), rest.last()) else {
            return Plan {
                send: full,
                next_check: None,
            };
        };
        let quiet = newest.saturating_add(ms(self.debounce));
        let forced = oldest.saturating_add(ms(self.max_wait));
        let due = quiet.max(self.prompt_slot_at(partials, now)).min(forced);
        if due <= now {
            Plan {
                send: queued.len(),
                next_check: None,
            }
        } else {
            Plan {
                send: full,
                next_check: Some(due),
            }
        }
    }

    /// When a part-filled request may next go at debounce speed: now if the
    /// recipient had fewer than `prompt_per_minute` in the last minute, else
    /// when the oldest that counts leaves the window.
    fn prompt_slot_at(&self, partials: &[i64], now: i64) -> i64 {
        let mut recent: Vec<i64> = partials
            .iter()
            .copied()
            .filter(|&t| now - t < MINUTE_MS)
            .collect();
        if recent.len() < self.prompt_per_minute {
            return now;
        }
        if self.prompt_per_minute == 0 {
            return i64::MAX;
        }
        recent.sort_unstable();
        // The window must lose this many before there is room for one more.
        let leaving = recent.len() + 1 - self.prompt_per_minute;
        recent[leaving - 1] + MINUTE_MS
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacing() -> Pacing {
        Pacing {
            debounce: Duration::from_millis(1000),
            max_wait: Duration::from_millis(20_000),
            prompt_per_minute: 2,
        }
    }

    #[test]
    fn an_isolated_card_goes_after_the_debounce() {
        let p = pacing();
        assert_eq!(
            p.plan(&[5_000], &[], 5_000),
            Plan {
                send: 0,
                next_check: Some(6_000)
            }
        );
        assert_eq!(p.plan(&[5_000], &[], 5_999).send, 0);
        assert_eq!(p.plan(&[5_000], &[], 6_000).send, 1);
    }

    #[test]
    fn a_card_ten_seconds_after_a_push_goes_after_the_debounce_not_a_window() {
        // A push at 0 (one card); the next change at 10 s.
        let p = pacing();
        assert_eq!(p.plan(&[10_000], &[0], 10_500).next_check, Some(11_000));
        assert_eq!(p.plan(&[10_000], &[0], 11_000).send, 1);
    }

    #[test]
    fn new_cards_restart_the_debounce() {
        let p = pacing();
        let queued = [0, 700, 1_400];
        assert_eq!(p.plan(&queued, &[], 1_500).next_check, Some(2_400));
        assert_eq!(p.plan(&queued, &[], 2_400).send, 3);
    }

    #[test]
    fn a_full_request_goes_at_once_and_the_rest_waits() {
        let p = pacing();
        // 75 cards, one every 10 ms: still arriving at 740 ms.
        let queued: Vec<i64> = (0..75).map(|i| i * 10).collect();
        assert_eq!(
            p.plan(&queued, &[], 745),
            Plan {
                send: 60,
                next_check: Some(1_740)
            }
        );
        // 200 at once: three full requests now, the 20 left after the debounce.
        let chunk = vec![3_000; 200];
        assert_eq!(p.plan(&chunk, &[], 3_000).send, 180);
        assert_eq!(p.plan(&chunk[180..], &[], 4_000).send, 20);
    }

    #[test]
    fn a_stream_that_never_goes_quiet_is_sent_after_the_max_wait() {
        let p = pacing();
        // A card every 500 ms: the debounce never passes.
        let queued: Vec<i64> = (0..40).map(|i| i * 500).collect();
        assert_eq!(p.plan(&queued, &[], 19_999).next_check, Some(20_000));
        assert_eq!(p.plan(&queued, &[], 20_000).send, 40);
    }

    #[test]
    fn past_the_ceiling_a_part_filled_request_waits_for_a_slot_or_the_max_wait() {
        let p = pacing();
        // Two part-filled requests in the last minute (at 5 s and 11 s).
        let partials = [5_000, 11_000];
        // A chunk at 15 s goes quiet at 16 s, but the next slot is at 65 s;
        // the max wait (35 s) comes first.
        assert_eq!(
            p.plan(&[15_000], &partials, 16_000).next_check,
            Some(35_000)
        );
        assert_eq!(p.plan(&[15_000], &partials, 35_000).send, 1);
        // A card at 50 s: the slot (65 s) comes before its max wait (70 s).
        assert_eq!(
            p.plan(&[50_000], &partials, 51_000).next_check,
            Some(65_000)
        );
        // Requests older than a minute do not count.
        assert_eq!(p.plan(&[70_000], &partials, 71_000).send, 1);
    }

    #[test]
    fn a_polled_burst_costs_full_requests_plus_the_prompt_slots() {
        // 1,000 changes in a minute found by a 5 s poll: ~84 cards per pass.
        let p = pacing();
        let mut queue: Vec<i64> = Vec::new();
        let (mut partials, mut requests, mut sent) = (Vec::new(), 0, 0);
        let mut arrived = 0;
        for now in (5_000..=120_000).step_by(100) {
            if now % 5_000 == 0 && now <= 60_000 {
                let n = (1000 * now / 60_000 - arrived).min(1000 - arrived);
                queue.extend(std::iter::repeat_n(now, usize::try_from(n).unwrap()));
                arrived += n;
            }
            let plan = p.plan(&queue, &partials, now);
            let cards: Vec<i64> = queue.drain(..plan.send).collect();
            for part in cards.chunks(CARDS_PER_REQUEST) {
                requests += 1;
                sent += part.len();
                if part.len() < CARDS_PER_REQUEST {
                    partials.push(now);
                }
            }
        }
        assert_eq!(sent, 1000);
        // Two part-filled requests slip out before the ceiling, then only
        // full ones and the tail (without the ceiling: 24, one per poll).
        assert_eq!(requests, 18);
    }

    #[test]
    fn a_ceiling_of_zero_packs_every_part_filled_request_up_to_the_max_wait() {
        let p = Pacing {
            prompt_per_minute: 0,
            ..pacing()
        };
        assert_eq!(p.plan(&[0], &[], 1_000).next_check, Some(20_000));
    }
}

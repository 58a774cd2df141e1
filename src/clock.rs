//! The gateway's two clocks, and what it knows of LINE's.
//!
//! A Raspberry Pi has no real-time clock: it boots with the time it saved at
//! shutdown and jumps when NTP answers, forward or back, possibly while the
//! gateway runs. So time has two uses here, kept apart:
//! - [`Clock::now_ms`], the wall clock: stamps that people read (audit rows,
//!   `{{time}}`), kintone's day, quiet hours. A wrong clock makes these wrong,
//!   and nothing else.
//! - [`Clock::steady_ms`], the steady timeline: wall time when this process
//!   started plus monotonic time since. It never jumps while the process runs,
//!   and it is what the gateway stores for deadlines and retries (receipt
//!   times, next attempts). Across a restart the new timeline starts from the
//!   wall clock again, so stored times stay roughly comparable; readers of
//!   stored retry times treat one further ahead than any backoff as due
//!   ([`retry_due_before`]), so a clock set back between runs cannot stall
//!   them.
//!
//! LINE's event timestamps come from LINE's clock. How far the board's steady
//! timeline is from LINE's is measured on first deliveries
//! ([`Clock::observe_line`]): the gap between a receipt and its event's
//! timestamp is the clocks' offset plus the time in transit, so the smallest
//! recent gap is the best estimate of the offset ([`Clock::line_offset_ms`]).
//! A board fed by Pub/Sub alone measures it on each pull's answer instead:
//! its `Date` is Google's clock, which NTP keeps with LINE's (`pull`).
//! Without an estimate, an event's timestamp is not used at all.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::tz::TimeZone;
use tokio::time::Instant;

use crate::text::Language;

/// The longest a retry is ever scheduled ahead: the backoff's cap (5 min)
/// with its jitter (+20 %), and a margin.
pub const MAX_RETRY_AHEAD: Duration = Duration::from_secs(7 * 60);

/// An offset from LINE's clock larger than this is worth a warning: the
/// board's clock is wrong (NTP not synced yet, or no network time at all).
pub const LINE_AGREEMENT: Duration = Duration::from_secs(10);

/// First deliveries (webhook requests) the offset estimate looks back over.
const OFFSET_SAMPLES: usize = 32;

/// A cheap handle on the gateway's clocks; clones share one state.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    /// Added to the system's wall clock: zero, but for tests and the demo,
    /// which simulate a board whose clock is wrong.
    offset_ms: AtomicI64,
    /// Time skipped ahead on both timelines ([`Clock::skip`]): tests and the
    /// demo run a 15-minute reminder without waiting 15 minutes.
    skipped_ms: AtomicI64,
    /// Woken on every skip, so a task asleep until a steady time looks again.
    jumped: tokio::sync::Notify,
    /// The wall clock (with the offset) when this clock was made.
    start_wall_ms: i64,
    start: Instant,
    /// Steady receipt time minus LINE's timestamp, for the latest first
    /// deliveries (the smallest gap of each webhook request).
    line_gaps: Mutex<VecDeque<i64>>,
}

impl Clock {
    /// The system's clocks.
    pub fn system() -> Clock {
        Clock::offset_by(0)
    }

    /// A clock whose wall time is `offset_ms` from the system's (negative:
    /// behind), as on a board whose clock was never set. For tests and the
    /// demo; the daemon uses [`Clock::system`].
    pub fn offset_by(offset_ms: i64) -> Clock {
        Clock {
            inner: Arc::new(Inner {
                offset_ms: AtomicI64::new(offset_ms),
                skipped_ms: AtomicI64::new(0),
                jumped: tokio::sync::Notify::new(),
                start_wall_ms: now_ms().saturating_add(offset_ms),
                start: Instant::now(),
                line_gaps: Mutex::new(VecDeque::with_capacity(OFFSET_SAMPLES)),
            }),
        }
    }

    /// Steps the wall clock to `offset_ms` from the system's, as NTP does on a
    /// running board. The steady timeline does not move.
    pub fn step_to(&self, offset_ms: i64) {
        self.inner.offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// Moves both timelines `d` ahead at once, as if that much time had
    /// passed, and wakes whoever sleeps on [`Clock::jumped`]. For tests and
    /// the demo; the daemon's clock only runs.
    pub fn skip(&self, d: Duration) {
        self.inner
            .skipped_ms
            .fetch_add(millis(d), Ordering::Relaxed);
        self.inner.jumped.notify_waiters();
    }

    /// Resolves at the next [`Clock::skip`]: a task sleeping until a steady
    /// time waits on this too, so a skip past it wakes it. `enable()` it
    /// before reading the time, so a skip in between is not missed.
    pub fn jumped(&self) -> tokio::sync::futures::Notified<'_> {
        self.inner.jumped.notified()
    }

    fn skipped(&self) -> i64 {
        self.inner.skipped_ms.load(Ordering::Relaxed)
    }

    /// Wall-clock milliseconds since the epoch: for stamps people read.
    pub fn now_ms(&self) -> i64 {
        now_ms()
            .saturating_add(self.inner.offset_ms.load(Ordering::Relaxed))
            .saturating_add(self.skipped())
    }

    /// The steady time `d` from now: when a retry scheduled now is due.
    pub fn steady_after(&self, d: Duration) -> i64 {
        self.steady_ms().saturating_add(millis(d))
    }

    /// Milliseconds on the steady timeline: for deadlines and retries.
    pub fn steady_ms(&self) -> i64 {
        let since = millis(self.inner.start.elapsed());
        self.inner
            .start_wall_ms
            .saturating_add(since)
            .saturating_add(self.skipped())
    }

    /// Records how far the steady timeline is from LINE's clock: `gap_ms` is
    /// the smallest receipt time (steady) minus LINE's event timestamp among
    /// a webhook request's first deliveries. Warns when the wall clock (what
    /// NTP sets) moves more than [`LINE_AGREEMENT`] from LINE's.
    pub fn observe_line(&self, gap_ms: i64) {
        // The wall clock is this far from the steady timeline now (NTP may
        // have set it since the gateway started).
        let wall_minus_steady = self.now_ms().saturating_sub(self.steady_ms());
        let wall = |steady_offset: i64| steady_offset.saturating_add(wall_minus_steady);
        let (before, after) = {
            let mut gaps = self
                .inner
                .line_gaps
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let before = gaps.iter().copied().min();
            if gaps.len() == OFFSET_SAMPLES {
                gaps.pop_front();
            }
            gaps.push_back(gap_ms);
            (before, gaps.iter().copied().min())
        };
        if let Some(offset) = after.map(wall).filter(|o| !agrees(*o)) {
            if before.map(wall).is_none_or(agrees) {
                tracing::warn!(
                    seconds = offset / 1000,
                    "this board's clock differs from LINE's by about {} s: check that NTP \
                     is running (replies are not affected: their deadline counts from receipt)",
                    offset / 1000
                );
            }
        }
    }

    /// The estimated offset of the steady timeline from LINE's clock (add it
    /// to a LINE timestamp to place it on the steady timeline); `None` before
    /// the first delivery.
    pub fn line_offset_ms(&self) -> Option<i64> {
        self.inner
            .line_gaps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .min()
    }
}

impl Clock {
    /// LINE's clock at steady time `steady_ms` (a receipt time): placed by
    /// the measured offset ([`Clock::line_offset_ms`]), or before any
    /// measurement by the board's wall clock, which NTP sets as LINE's is.
    pub fn line_time_at(&self, steady_ms: i64) -> i64 {
        match self.line_offset_ms() {
            Some(offset) => steady_ms.saturating_sub(offset),
            None => steady_ms.saturating_add(self.now_ms().saturating_sub(self.steady_ms())),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("offset_ms", &self.inner.offset_ms.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn agrees(offset_ms: i64) -> bool {
    u128::from(offset_ms.unsigned_abs()) <= LINE_AGREEMENT.as_millis()
}

/// The system's wall clock, in milliseconds since the epoch: the one place
/// the gateway reads it.
#[expect(clippy::disallowed_methods, reason = "the one read of the wall clock")]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `ms` as an admin reads it in a listing (`acks`, `staff`, `status`): date
/// and time in the site's zone, to the second, with the zone's abbreviation.
pub fn format_ms(ms: i64, zone: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(
        |_| ms.to_string(),
        |t| {
            t.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        },
    )
}

/// `at_ms` as staff read it in LINE and kintone (`{{time}}`): the site's
/// local date and time, to the minute, as people write it in `language`.
/// The one place the per-language date format lives.
pub fn local_text(at_ms: i64, zone: &TimeZone, language: Language) -> String {
    let Ok(t) = jiff::Timestamp::from_millisecond(at_ms) else {
        return String::new();
    };
    let local = t.to_zoned_datetime(zone.clone());
    let format = match language {
        // 2026年12月1日 14:05: no zero padding on month and day.
        Language::Ja => "%Y年%-m月%-d日 %H:%M",
        Language::En => "%Y-%m-%d %H:%M",
    };
    local.strftime(format).to_string()
}

/// The site's zone for a configured IANA name (`time_zone`).
///
/// # Errors
/// The name is not a zone this system knows, as a message for the config
/// problem.
pub fn zone_named(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name)
        .map_err(|e| format!("{name:?} is not a known IANA time zone (like \"Asia/Tokyo\"): {e}"))
}

/// Whether `zone` is what a board gets when nobody set one (Raspberry Pi OS
/// ships Europe/London; containers and cloud images UTC): a zone that shows
/// staff in Japan times nine hours off.
pub fn is_unset_default(zone: &TimeZone) -> bool {
    const NAMES: &[&str] = &[
        "UTC",
        "Etc/UTC",
        "Etc/UCT",
        "UCT",
        "Etc/Universal",
        "Universal",
        "Etc/Zulu",
        "Zulu",
        "GMT",
        "Etc/GMT",
        "Etc/GMT0",
        "GMT0",
        "Greenwich",
        "Etc/Greenwich",
        "Europe/London",
        "GB",
        "GB-Eire",
    ];
    match zone.iana_name() {
        Some(name) => NAMES.contains(&name),
        // An unnamed zone (a fixed offset, a bare TZ rule, /etc/localtime
        // without a link): UTC when it is at offset zero in winter and summer.
        None => [1_767_225_600, 1_782_864_000].iter().all(|&s| {
            jiff::Timestamp::from_second(s)
                .is_ok_and(|t| zone.to_offset(t) == jiff::tz::Offset::UTC)
        }),
    }
}

/// The bound for "due" reads of a retry queue at steady time `now_ms`: a row
/// is due when `next_attempt_ms <= now_ms` or `next_attempt_ms >` this (no
/// retry is scheduled that far ahead, so the clock was set back since).
pub fn retry_due_before(now_ms: i64) -> i64 {
    now_ms.saturating_add(millis(MAX_RETRY_AHEAD))
}

/// `d` in whole milliseconds, as times are stored (saturating).
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A stored span of milliseconds as a `Duration`; a negative one (a time
/// already past) is zero.
pub fn from_millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn a_step_moves_the_wall_clock_and_not_the_steady_timeline() {
        let clock = Clock::system();
        let (wall, steady) = (clock.now_ms(), clock.steady_ms());
        clock.step_to(-HOUR);
        assert!(clock.now_ms() <= wall - HOUR + 1_000);
        assert!(clock.steady_ms() >= steady);
        assert!(clock.steady_ms() < steady + 1_000);
    }

    #[test]
    fn a_board_clock_an_hour_ahead_starts_its_timeline_there() {
        let clock = Clock::offset_by(HOUR);
        assert!(clock.steady_ms() >= now_ms() + HOUR - 1_000);
    }

    #[test]
    fn the_offset_from_line_is_the_smallest_recent_gap() {
        let clock = Clock::system();
        assert_eq!(clock.line_offset_ms(), None);
        // A clock an hour fast: every event arrives "an hour late".
        clock.observe_line(HOUR + 900);
        clock.observe_line(HOUR + 300);
        assert_eq!(clock.line_offset_ms(), Some(HOUR + 300));
        // A slow relay adds to one gap, never takes from it.
        clock.observe_line(HOUR + 60_000);
        assert_eq!(clock.line_offset_ms(), Some(HOUR + 300));
        // Old samples age out: the estimate follows the latest requests.
        for _ in 0..OFFSET_SAMPLES {
            clock.observe_line(200);
        }
        assert_eq!(clock.line_offset_ms(), Some(200));
    }

    #[test]
    fn line_time_follows_the_measured_offset_else_the_wall_clock() {
        // A board an hour fast whose wall clock NTP has since set right.
        let clock = Clock::offset_by(HOUR);
        clock.step_to(0);
        let received = clock.steady_ms();
        let by_wall = clock.line_time_at(received);
        assert!(
            (by_wall - now_ms()).abs() < 1_000,
            "wall clock before a measurement"
        );
        clock.observe_line(HOUR + 200);
        assert_eq!(clock.line_time_at(received), received - HOUR - 200);
    }

    /// 2026-12-01 05:05 UTC is 14:05 in Tokyo.
    const DEC_1: i64 = 1_796_101_500_000;

    #[test]
    fn local_text_is_the_site_zone_in_the_language_s_format() {
        let tokyo = zone_named("Asia/Tokyo").expect("tzdb");
        assert_eq!(
            local_text(DEC_1, &tokyo, Language::Ja),
            "2026年12月1日 14:05"
        );
        assert_eq!(local_text(DEC_1, &tokyo, Language::En), "2026-12-01 14:05");
        let london = zone_named("Europe/London").expect("tzdb");
        assert_eq!(local_text(DEC_1, &london, Language::En), "2026-12-01 05:05");
        assert_eq!(format_ms(DEC_1, &tokyo), "2026-12-01 14:05:00 JST");
    }

    #[test]
    fn utc_and_london_are_the_unset_defaults_tokyo_is_not() {
        for name in ["UTC", "Etc/UTC", "Europe/London"] {
            assert!(is_unset_default(&zone_named(name).expect("tzdb")), "{name}");
        }
        assert!(is_unset_default(&TimeZone::UTC));
        assert!(!is_unset_default(&zone_named("Asia/Tokyo").expect("tzdb")));
        assert!(!is_unset_default(&TimeZone::fixed(jiff::tz::offset(9))));
        assert!(zone_named("Mars/Olympus").is_err());
    }

    #[test]
    fn retries_further_ahead_than_any_backoff_are_due() {
        let now = 10 * HOUR;
        let bound = retry_due_before(now);
        // The longest backoff (5 min, +20 % jitter) stays below the bound...
        assert!(now + 360_000 < bound);
        // ...and a retry stored before the clock went back an hour is past it.
        assert!(now + HOUR > bound);
    }
}

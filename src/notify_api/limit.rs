//! Per-token rate limits, as LINE Notify counted them: so many messages per
//! token per clock hour, the window resetting on the hour (`X-RateLimit-*`
//! headers say how many are left and when the count resets). Kept in memory:
//! a restart starts a fresh hour, which costs at most one hour's allowance.

use std::collections::HashMap;
use std::sync::Mutex;

const HOUR_MS: i64 = 3_600_000;

/// What a request may do, and what the headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// When the count resets, in seconds since the epoch (UTC).
    pub reset_s: i64,
}

/// The counts of the current hour, per token name.
#[derive(Debug, Default)]
pub struct Limits {
    used: Mutex<HashMap<String, (i64, u32)>>,
}

impl Limits {
    /// Counts a request by `token` at wall time `now_ms` if it is within
    /// `limit` this hour.
    pub fn take(&self, token: &str, limit: u32, now_ms: i64) -> Allowance {
        let mut used = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let hour = now_ms.div_euclid(HOUR_MS);
        let entry = used.entry(token.to_owned()).or_insert((hour, 0));
        if entry.0 != hour {
            *entry = (hour, 0);
        }
        let allowed = entry.1 < limit;
        if allowed {
            entry.1 += 1;
        }
        Allowance {
            allowed,
            limit,
            remaining: limit - entry.1,
            reset_s: (hour + 1) * HOUR_MS / 1000,
        }
    }

    /// The allowance left without counting anything (`GET /api/status`).
    pub fn peek(&self, token: &str, limit: u32, now_ms: i64) -> Allowance {
        let used = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let hour = now_ms.div_euclid(HOUR_MS);
        let n = used
            .get(token)
            .filter(|(h, _)| *h == hour)
            .map_or(0, |(_, n)| *n);
        Allowance {
            allowed: n < limit,
            limit,
            remaining: limit - n,
            reset_s: (hour + 1) * HOUR_MS / 1000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_gets_its_limit_per_clock_hour() {
        let l = Limits::default();
        let at = 10 * HOUR_MS + 5;
        assert_eq!(
            l.take("a", 2, at),
            Allowance {
                allowed: true,
                limit: 2,
                remaining: 1,
                reset_s: 11 * 3600
            }
        );
        assert!(l.take("a", 2, at + 1).allowed);
        let third = l.take("a", 2, at + 2);
        assert!(!third.allowed);
        assert_eq!(third.remaining, 0);
        assert!(
            l.take("b", 2, at).allowed,
            "another token has its own count"
        );
        assert_eq!(l.peek("a", 2, at).remaining, 0);
        assert!(
            l.take("a", 2, 11 * HOUR_MS).allowed,
            "the next hour starts afresh"
        );
    }
}

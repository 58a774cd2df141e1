//! Backoff for retryable failures: exponential, capped, with jitter so a
//! fleet of retries does not arrive in lockstep.

use std::time::Duration;

/// Delay before attempt `attempt + 1` (the first retry is `attempt = 1`):
/// `base · 2^(attempt-1)`, capped at `max`, then scaled by a random factor in
/// [0.8, 1.2).
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(20);
    let raw = base.saturating_mul(1u32 << exp).min(max);
    raw.mul_f64(0.8 + fastrand::f64() * 0.4)
}

/// The default schedule for outside calls: 1 s, 2 s, 4 s … up to 5 min.
pub fn default_backoff(attempt: u32) -> Duration {
    backoff(attempt, Duration::from_secs(1), Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps_with_jitter() {
        for _ in 0..100 {
            let d1 = default_backoff(1);
            assert!(d1 >= Duration::from_millis(800) && d1 < Duration::from_millis(1200));
            let d3 = default_backoff(3);
            assert!(d3 >= Duration::from_millis(3200) && d3 < Duration::from_millis(4800));
            let d30 = default_backoff(30);
            assert!(d30 >= Duration::from_secs(240) && d30 < Duration::from_secs(360));
        }
    }
}

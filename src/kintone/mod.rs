//! kintone: the REST client, record JSON, and errors that say what to do.

pub mod client;
pub mod error;
pub mod query;
pub mod record;

/// Requests a kintone app may take per day on the Standard plan.
pub const DAILY_LIMIT: u64 = 10_000;

/// Requests a day that polling every `interval` costs (one page per pass).
pub fn daily_requests(interval: std::time::Duration) -> u64 {
    86_400 / interval.as_secs().max(1)
}

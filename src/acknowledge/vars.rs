//! The values an acknowledgement's templates (`{{name}}`, `{{time}}`, …) take.

/// `{{time}}` (local, to the minute, for text) and `{{datetime}}` (the same
/// instant as kintone's DATETIME fields take it: UTC, ISO 8601) for `at_ms`.
pub fn template_times(at_ms: i64) -> (String, String) {
    match jiff::Timestamp::from_millisecond(at_ms) {
        Ok(t) => (
            t.to_zoned_datetime(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
        Err(_) => (String::new(), String::new()),
    }
}

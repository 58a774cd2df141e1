//! The values an acknowledgement's templates (`{{name}}`, `{{time}}`, …)
//! take — one map for LINE taps and the panel button.

use std::collections::HashMap;

use jiff::tz::TimeZone;

use crate::clock::local_text;
use crate::domain::{AppId, RecordId};
use crate::text::Language;

/// How an acknowledgement came in (`{{via}}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Line,
    Panel,
}

impl Via {
    fn text(self, language: Language) -> &'static str {
        let texts = language.catalogue();
        match self {
            Via::Line => texts.via_line,
            Via::Panel => texts.via_panel,
        }
    }
}

/// What an acknowledgement's templates can name.
#[derive(Debug, Clone)]
pub struct AckFacts<'a> {
    /// The name written back (staff name, LINE profile, "office panel").
    pub who: &'a str,
    /// The tapping LINE user's id; empty for the panel.
    pub line_user: &'a str,
    /// The linked kintone user's code; empty when none.
    pub kintone_user: &'a str,
    pub via: Via,
    /// The acknowledgement's own time, so a retried write renders the same
    /// values.
    pub at_ms: i64,
    pub app: AppId,
    pub app_name: &'a str,
    pub record: RecordId,
    pub title: &'a str,
    pub notification: &'a str,
    /// The site's zone, for `{{time}}`.
    pub zone: &'a TimeZone,
    /// The site's language, for `{{time}}` and `{{via}}`.
    pub language: Language,
}

impl AckFacts<'_> {
    /// The map templates render from; every [`crate::config::ACK_PLACEHOLDERS`] is in it.
    pub fn render(&self) -> HashMap<&'static str, String> {
        let (time, datetime) = template_times(self.at_ms, self.zone, self.language);
        HashMap::from([
            ("name", self.who.to_owned()),
            ("line_user", self.line_user.to_owned()),
            ("kintone_user", self.kintone_user.to_owned()),
            ("time", time),
            ("datetime", datetime),
            ("record", self.record.to_string()),
            ("app", self.app.to_string()),
            ("app_name", self.app_name.to_owned()),
            ("title", self.title.to_owned()),
            ("notification", self.notification.to_owned()),
            ("via", self.via.text(self.language).to_owned()),
        ])
    }
}

/// `{{time}}` (the site's local time, to the minute, as people write it in
/// `language`) and `{{datetime}}` (the same instant as kintone's DATETIME
/// fields take it: UTC, ISO 8601, whatever the site) for `at_ms`.
pub fn template_times(at_ms: i64, zone: &TimeZone, language: Language) -> (String, String) {
    match jiff::Timestamp::from_millisecond(at_ms) {
        Ok(t) => (
            local_text(at_ms, zone, language),
            t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
        Err(_) => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both callers (the inbox worker's taps, the panel) render through
    /// [`AckFacts::render`]: each `via` must offer every placeholder a
    /// template may use.
    #[test]
    fn taps_and_the_panel_have_every_placeholder() {
        let zone = TimeZone::UTC;
        for via in [Via::Line, Via::Panel] {
            let facts = AckFacts {
                who: "office panel",
                line_user: "",
                kintone_user: "",
                via,
                at_ms: 1_795_597_200_000,
                app: AppId::new(1).expect("app"),
                app_name: "Repairs",
                record: RecordId::new(5).expect("record"),
                title: "Fix the roof",
                notification: "n1",
                zone: &zone,
                language: Language::En,
            };
            let vars = facts.render();
            for p in crate::config::ACK_PLACEHOLDERS {
                assert!(vars.contains_key(p), "{p} missing for {via:?}");
            }
            // kintone's DATETIME format, or a field write-back fails with 520.
            assert_eq!(vars["datetime"], "2026-11-25T09:00:00Z");
        }
    }

    /// `{{time}}` is the site's zone (the config's, not the machine's) in the
    /// site's language; `{{datetime}}` stays UTC for kintone.
    #[test]
    fn time_is_the_site_s_local_time_whatever_the_machine_s_zone() {
        // 2026-12-01 05:05 UTC: 14:05 in Tokyo; 05:05 on a Pi left on London.
        let at = 1_796_101_500_000;
        let tokyo = TimeZone::get("Asia/Tokyo").expect("tzdb");
        let (time, datetime) = template_times(at, &tokyo, Language::Ja);
        assert_eq!(time, "2026年12月1日 14:05");
        assert_eq!(datetime, "2026-12-01T05:05:00Z");
        let (time, _) = template_times(at, &tokyo, Language::En);
        assert_eq!(time, "2026-12-01 14:05");
    }
}

//! `time_zone`: the site's one zone, for every local time a person reads —
//! `{{time}}` in comments and replies, the panel's quiet hours, the admin's
//! listings. `indicator.time_zone`, where quiet hours once took their zone,
//! is still read as a deprecated alias for one release.

use jiff::tz::TimeZone;
use toml::{Table, Value};

use super::words;
use crate::clock::{is_unset_default, zone_named};
use crate::config::reader::Reader;
use crate::text::Language;

/// The site's zone and what `check-config` should warn about it.
pub(super) fn read_zone(r: &mut Reader, t: &Table, language: Language) -> (TimeZone, Vec<String>) {
    let mut warnings = Vec::new();
    let top = r
        .opt_str(t, "", "time_zone")
        .and_then(|name| named(r, "time_zone", &name));
    let alias = old_key(r, t);
    if alias.is_some() {
        warnings.push(words::ZONE_KEY_DEPRECATED.in_(r.language).to_owned());
    }
    let zone = match (top, alias) {
        (Some(top), Some(old)) if !same(&top, &old) => {
            let (old, top_name) = (name_of(&old, r.language), name_of(&top, r.language));
            let args = [("old", old.as_str()), ("top", &top_name)];
            let message = words::ZONE_KEYS_DIFFER.fill(r.language, &args);
            r.problem("indicator.time_zone", message);
            top
        }
        (Some(zone), _) | (None, Some(zone)) => zone,
        (None, None) => TimeZone::system(),
    };
    if language == Language::Ja && is_unset_default(&zone) {
        let zone = name_of(&zone, r.language);
        warnings.push(words::ZONE_UTC_WITH_JA.fill(r.language, &[("zone", &zone)]));
    }
    (zone, warnings)
}

/// `indicator.time_zone`, when set (the indicator section reads the rest).
fn old_key(r: &mut Reader, t: &Table) -> Option<TimeZone> {
    match t.get("indicator")?.as_table()?.get("time_zone")? {
        Value::String(name) => named(r, "indicator.time_zone", name),
        _ => {
            let message = words::ZONE_NOT_STRING.in_(r.language);
            r.problem("indicator.time_zone", message);
            None
        }
    }
}

fn named(r: &mut Reader, key: &str, name: &str) -> Option<TimeZone> {
    let unknown = |r: &mut Reader, e: String| match r.language {
        Language::En => r.problem(key, e),
        Language::Ja => {
            let value = format!("{name:?}");
            let message = words::ZONE_UNKNOWN.fill(r.language, &[("value", &value)]);
            r.problem(key, message);
        }
    };
    zone_named(name).map_err(|e| unknown(r, e)).ok()
}

fn same(a: &TimeZone, b: &TimeZone) -> bool {
    match (a.iana_name(), b.iana_name()) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

fn name_of(zone: &TimeZone, language: Language) -> String {
    zone.iana_name().map_or_else(
        || words::ZONE_UNNAMED.in_(language).to_owned(),
        |n| format!("{n:?}"),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn zone(text: &str, language: Language) -> (Option<String>, Vec<String>, Vec<String>) {
        let t: Table = toml::from_str(text).expect("toml");
        let mut r = Reader::new(Path::new("."), None);
        let (zone, warnings) = read_zone(&mut r, &t, language);
        let problems = r.problems.iter().map(|p| p.key.clone()).collect();
        (zone.iana_name().map(str::to_owned), warnings, problems)
    }

    #[test]
    fn the_top_level_zone_is_the_site_s() {
        let (name, warnings, problems) = zone("time_zone = \"Asia/Tokyo\"", Language::Ja);
        assert_eq!(name.as_deref(), Some("Asia/Tokyo"));
        assert!(warnings.is_empty() && problems.is_empty(), "{warnings:?}");
        let (_, _, problems) = zone("time_zone = \"Mars/Olympus_Mons\"", Language::Ja);
        assert_eq!(problems, ["time_zone"]);
    }

    #[test]
    fn utc_or_london_with_japanese_is_a_warning_not_a_problem() {
        for name in ["UTC", "Europe/London"] {
            let text = format!("time_zone = {name:?}");
            let (_, warnings, problems) = zone(&text, Language::Ja);
            assert!(problems.is_empty());
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(warnings[0].contains("Asia/Tokyo"), "{warnings:?}");
            let (_, warnings, _) = zone(&text, Language::En);
            assert!(warnings.is_empty(), "an English site in London is fine");
        }
    }

    #[test]
    fn the_old_indicator_key_still_sets_the_zone_with_a_warning() {
        let (name, warnings, problems) =
            zone("[indicator]\ntime_zone = \"Asia/Tokyo\"", Language::Ja);
        assert_eq!(name.as_deref(), Some("Asia/Tokyo"));
        assert!(problems.is_empty());
        assert_eq!(warnings, [words::ZONE_KEY_DEPRECATED.ja]);
        // Both, agreeing: still only the warning.
        let both = "time_zone = \"Asia/Tokyo\"\n[indicator]\ntime_zone = \"Asia/Tokyo\"";
        let (_, warnings, problems) = zone(both, Language::Ja);
        assert!(problems.is_empty());
        assert_eq!(warnings, [words::ZONE_KEY_DEPRECATED.ja]);
    }

    #[test]
    fn the_old_key_differing_from_the_new_one_is_a_problem() {
        let both = "time_zone = \"Asia/Tokyo\"\n[indicator]\ntime_zone = \"Europe/London\"";
        let (name, _, problems) = zone(both, Language::Ja);
        assert_eq!(problems, ["indicator.time_zone"]);
        assert_eq!(name.as_deref(), Some("Asia/Tokyo"));
        let (_, _, problems) = zone("[indicator]\ntime_zone = 9", Language::Ja);
        assert_eq!(problems, ["indicator.time_zone"]);
    }
}

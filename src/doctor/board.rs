//! The checks of this board itself: the state directory, the GPIO lines,
//! the clock.

use std::io::Write as _;
use std::path::Path;

use super::{words, Check, MAX_SKEW};
use crate::config::setup::Setup;
use crate::text::Language;

/// A durable write in the state directory (created if missing, as the
/// daemon would).
pub(super) fn state_dir(dir: &Path, lang: Language) -> Check {
    let name = words::NAME_STATE_DIR.in_(lang);
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    let result = std::fs::create_dir_all(dir).and_then(|()| {
        let mut f = std::fs::File::create(&probe)?;
        f.write_all(b"doctor")?;
        f.sync_all()?;
        std::fs::remove_file(&probe)
    });
    let shown = dir.display().to_string();
    match result {
        Ok(()) => Check::pass(name, words::STATE_DIR_OK.fill(lang, &[("dir", &shown)])),
        Err(e) => {
            let args = [("dir", shown.as_str()), ("e", &e.to_string())];
            Check::fail(name, words::STATE_DIR_FAIL.fill(lang, &args))
        }
    }
}

/// The indicator's GPIO lines exist (when the GPIO backend is chosen).
pub(super) fn gpio(setup: &Setup) -> Check {
    let (name, lang) = ("GPIO", setup.config.language);
    let ind = &setup.indicator;
    if ind.backend != crate::config::indicator::BackendKind::Gpio {
        let backend = format!("{:?}", ind.backend).to_lowercase();
        return Check::pass(
            name,
            words::GPIO_UNUSED.fill(lang, &[("backend", &backend)]),
        );
    }
    let problems = crate::indicator::check_hardware(&setup.indicator, lang);
    if problems.is_empty() {
        let lines: Vec<String> = [
            ("led", &ind.led),
            ("buzzer", &ind.buzzer),
            ("button", &ind.button),
        ]
        .into_iter()
        .filter_map(|(k, s)| s.as_ref().map(|s| format!("{k} {}", s.line)))
        .collect();
        let lines = lines.join(", ");
        Check::pass(name, words::GPIO_FOUND.fill(lang, &[("lines", &lines)]))
    } else {
        let list: Vec<String> = problems.iter().map(|p| p.said(lang)).collect();
        let list = list.join("; ");
        Check::fail(name, words::GPIO_FAIL.fill(lang, &[("list", &list)]))
    }
}

/// The clock against the `Date` headers LINE and kintone sent.
pub(super) fn clock(
    dates: &[(&'static str, jiff::Timestamp)],
    now: jiff::Timestamp,
    lang: Language,
) -> Check {
    let name = words::NAME_CLOCK.in_(lang);
    if dates.is_empty() {
        return Check::fail(name, words::CLOCK_NO_DATE.in_(lang));
    }
    let mut worst: Option<(&str, i64)> = None;
    for (who, t) in dates {
        let skew = now.as_millisecond() - t.as_millisecond();
        if worst.is_none_or(|(_, w)| skew.abs() > w.abs()) {
            worst = Some((who, skew));
        }
    }
    let (who, skew) = worst.unwrap_or(("", 0));
    let max = i64::try_from(MAX_SKEW.as_millis()).unwrap_or(i64::MAX);
    // Date headers have whole seconds: up to a second off by themselves.
    let skew_s = format!("{:+.1}", skew as f64 / 1000.0);
    let described = words::CLOCK_SKEW.fill(lang, &[("skew", &skew_s), ("who", who)]);
    if skew.abs() <= max {
        Check::pass(name, described)
    } else {
        let fix = words::CLOCK_FIX.fill(lang, &[("described", &described)]);
        Check::fail(name, fix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_passes_within_the_limit_and_names_the_worst_source() {
        let now: jiff::Timestamp = "2026-11-25T09:00:00Z".parse().unwrap();
        let at = |s: i64| jiff::Timestamp::from_second(now.as_second() + s).unwrap();
        let en = Language::En;
        let c = clock(&[("LINE", at(-1)), ("kintone", at(3))], now, en);
        assert!(c.ok, "{c}");
        assert!(c.detail.starts_with("-3.0 s from kintone's"), "{c}");
        let c = clock(&[("LINE", at(-40))], now, en);
        assert!(!c.ok);
        assert!(c.detail.contains("+40.0 s from LINE's"), "{c}");
        assert!(c.detail.contains("timedatectl"), "{c}");
        assert!(!clock(&[], now, en).ok);
        let c = clock(&[("LINE", at(-40))], now, Language::Ja);
        let said = c.said(Language::Ja);
        assert!(
            said.starts_with("[問題] 時計：LINE の時計と +40.0 秒ずれています"),
            "{said}"
        );
    }

    #[test]
    fn state_dir_that_is_a_file_fails_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let c = state_dir(&file, Language::En);
        assert!(!c.ok);
        assert!(c.detail.contains("not-a-dir"), "{c}");
        assert!(state_dir(&dir.path().join("new"), Language::Ja).ok);
    }
}

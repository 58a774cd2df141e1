//! The checks of this board itself: the state directory, the GPIO lines,
//! the clock.

use std::io::Write as _;
use std::path::Path;

use super::{Check, MAX_SKEW};
use crate::config::setup::Setup;

/// A durable write in the state directory (created if missing, as the
/// daemon would).
pub(super) fn state_dir(dir: &Path) -> Check {
    let name = "state directory";
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    let result = std::fs::create_dir_all(dir).and_then(|()| {
        let mut f = std::fs::File::create(&probe)?;
        f.write_all(b"doctor")?;
        f.sync_all()?;
        std::fs::remove_file(&probe)
    });
    match result {
        Ok(()) => Check::pass(name, format!("{}: writable", dir.display())),
        Err(e) => Check::fail(
            name,
            format!(
                "{}: {e} — it must be writable by the service's user (systemd's StateDirectory= creates it; check owner and mode)",
                dir.display()
            ),
        ),
    }
}

/// The indicator's GPIO lines exist (when the GPIO backend is chosen).
pub(super) fn gpio(setup: &Setup) -> Check {
    let name = "GPIO";
    let ind = &setup.indicator;
    if ind.backend != crate::config::indicator::BackendKind::Gpio {
        return Check::pass(
            name,
            format!(
                "not used (indicator backend {})",
                format!("{:?}", ind.backend).to_lowercase()
            ),
        );
    }
    let problems = crate::indicator::check_hardware(&setup.indicator);
    if problems.is_empty() {
        let lines: Vec<String> = [
            ("led", &ind.led),
            ("buzzer", &ind.buzzer),
            ("button", &ind.button),
        ]
        .into_iter()
        .filter_map(|(k, s)| s.as_ref().map(|s| format!("{k} {}", s.line)))
        .collect();
        Check::pass(name, format!("found {}", lines.join(", ")))
    } else {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Check::fail(
            name,
            format!(
                "{} — `gpioinfo` lists this board's line names; the service's user needs the gpio group (/dev/gpiochip*)",
                list.join("; ")
            ),
        )
    }
}

/// The clock against the `Date` headers LINE and kintone sent.
pub(super) fn clock(dates: &[(&'static str, jiff::Timestamp)], now: jiff::Timestamp) -> Check {
    let name = "clock";
    if dates.is_empty() {
        return Check::fail(
            name,
            "neither LINE nor kintone answered with a Date header, so the clock could not be compared",
        );
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
    let described = format!(
        "{:+.1} s from {who}'s (Date headers are whole seconds)",
        skew as f64 / 1000.0
    );
    if skew.abs() <= max {
        Check::pass(name, described)
    } else {
        Check::fail(
            name,
            format!(
                "{described} — keep it in sync (systemd-timesyncd or chrony; `timedatectl` shows the state): reply deadlines count from LINE's event timestamps"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_passes_within_the_limit_and_names_the_worst_source() {
        let now: jiff::Timestamp = "2026-11-25T09:00:00Z".parse().unwrap();
        let at = |s: i64| jiff::Timestamp::from_second(now.as_second() + s).unwrap();
        let c = clock(&[("LINE", at(-1)), ("kintone", at(3))], now);
        assert!(c.ok, "{c}");
        assert!(c.detail.starts_with("-3.0 s from kintone's"), "{c}");
        let c = clock(&[("LINE", at(-40))], now);
        assert!(!c.ok);
        assert!(c.detail.contains("+40.0 s from LINE's"), "{c}");
        assert!(c.detail.contains("timedatectl"), "{c}");
        assert!(!clock(&[], now).ok);
    }

    #[test]
    fn state_dir_that_is_a_file_fails_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let c = state_dir(&file);
        assert!(!c.ok);
        assert!(c.detail.contains("not-a-dir"), "{c}");
        assert!(state_dir(&dir.path().join("new")).ok);
    }
}

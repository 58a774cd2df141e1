//! `[indicator]` validation: every problem listed with its key.
use super::*;
use crate::text::Language;

pub(crate) fn read(text: &str) -> (IndicatorConfig, Vec<String>) {
    let t: Table = toml::from_str(text).unwrap();
    let mut r = Reader::new(std::path::Path::new("/"), None);
    r.language = crate::text::Language::En;
    let c = read_indicator(&mut r, &t);
    (c, r.problems.iter().map(ToString::to_string).collect())
}

#[test]
fn absent_section_means_no_hardware() {
    let (c, problems) = read("");
    assert!(problems.is_empty());
    assert_eq!(c.backend, BackendKind::None);
}

#[test]
fn full_section_reads() {
    let (c, problems) = read(
        r#"[indicator]
backend = "gpio"
led = "GPIO17"
buzzer = { chip = "gpiochip4", offset = 27, active_low = true }
button = { line = "GPIO22" }
active_low = false
buzzer_pattern = ["100ms", "50ms", "100ms"]
reminder = "30m"
quiet_hours = { from = "22:00", to = "07:00" }
trouble_after = "2m"
long_press = "3s"
"#,
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(c.backend, BackendKind::Gpio);
    assert_eq!(
        c.led,
        Some(PinSpec {
            line: LineRef::Named("GPIO17".into()),
            active_low: false
        })
    );
    assert_eq!(
        c.buzzer.unwrap().line,
        LineRef::ChipOffset {
            chip: "gpiochip4".into(),
            offset: 27
        }
    );
    assert!(c.button.unwrap().active_low, "buttons to GND read low");
    assert_eq!(c.buzzer_pattern, ms(&[100, 50, 100]));
    assert_eq!(c.reminder, Some(Duration::from_secs(1800)));
    assert_eq!(c.trouble_after, Duration::from_secs(120));
    assert_eq!(c.long_press, Duration::from_secs(3));
}

#[test]
fn every_problem_is_listed_with_its_key() {
    let (_, problems) = read(
        r#"[indicator]
backend = "blinkenlights"
led = 17
buzzer = { chip = "gpiochip0" }
buzzer_pattern = ["100ms", "50ms"]
reminder_pattern = ["20s"]
reminder = "5s"
quiet_hours = { from = "25:00", to = "07:00" }
long_press = "100ms"
colour = "red"
"#,
    );
    let keys: Vec<&str> = problems
        .iter()
        .map(|p| p.split(':').next().unwrap())
        .collect();
    for key in [
        "indicator.backend",
        "indicator.led",
        "indicator.buzzer",
        "indicator.buzzer_pattern",
        "indicator.reminder_pattern",
        "indicator.reminder",
        "indicator.quiet_hours.from",
        "indicator.long_press",
        "indicator.colour",
    ] {
        assert!(keys.contains(&key), "{key} missing from {problems:?}");
    }
}

#[test]
fn the_example_config_section_is_valid() {
    let (c, problems) = read(include_str!("../../../examples/config.toml"));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(c.reminder, Some(Duration::from_secs(1800)));
    assert!(c.quiet_hours.is_some());
}

#[test]
fn hardware_backends_need_an_output_and_rppal_needs_bcm_names() {
    let (_, problems) = read("[indicator]\nbackend = \"gpio\"\n");
    assert_eq!(
        problems,
        ["indicator: set at least one of led and buzzer for this backend"]
    );
    let (_, problems) =
        read("[indicator]\nbackend = \"rppal\"\nled = \"PIN_11\"\nbuzzer = \"GPIO27\"\n");
    // A build without the `rppal` feature also says so, first.
    let line_names = if cfg!(feature = "rppal") {
        &problems[..]
    } else {
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("indicator.backend: this build has no rppal support"),
            "{problems:?}"
        );
        &problems[1..]
    };
    assert_eq!(line_names.len(), 1, "{problems:?}");
    assert!(line_names[0].starts_with("indicator.led: PIN_11: rppal needs"));
}

struct Board(&'static [&'static str]);

impl LineLookup for Board {
    fn find(&self, line: &LineRef) -> Result<(), LineMissing> {
        match line {
            LineRef::Named(n) if self.0.contains(&n.as_str()) => Ok(()),
            LineRef::Named(n) => Err(LineMissing::NoSuchName {
                name: n.clone(),
                chips: "/dev/gpiochip0".into(),
            }),
            LineRef::ChipOffset { chip, .. } => Err(LineMissing::Chip {
                path: format!("/dev/{chip}"),
                error: "No such file or directory (os error 2)".into(),
            }),
        }
    }
}

#[test]
fn check_lines_reports_lines_missing_on_this_board() {
    let (c, problems) = read(
        "[indicator]\nbackend = \"gpio\"\nled = \"GPIO17\"\nbuzzer = \"GPIO99\"\nbutton = { chip = \"gpiochip9\", offset = 1 }\n",
    );
    assert!(problems.is_empty());
    let board = Board(&["GPIO17", "GPIO27"]);
    let found: Vec<String> = check_lines(&c, &board, Language::En)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "indicator.buzzer: GPIO99: no line named \"GPIO99\" on /dev/gpiochip0 (see `gpioinfo`)",
            "indicator.button: gpiochip9 line 1: /dev/gpiochip9: No such file or directory (os error 2)",
        ]
    );
    let ja = check_lines(&c, &board, Language::Ja);
    assert_eq!(
        ja[0].said(Language::Ja),
        "indicator.buzzer：GPIO99：/dev/gpiochip0 に \"GPIO99\" という名前のラインはありません（`gpioinfo` で一覧できます）"
    );
    let none = IndicatorConfig::default();
    assert!(check_lines(&none, &Board(&[]), Language::En).is_empty());
}

#[test]
fn quiet_hours_cross_midnight() {
    let tz = jiff::tz::TimeZone::posix("JST-9").unwrap();
    let q = QuietHours {
        from: "22:00".parse().unwrap(),
        to: "07:00".parse().unwrap(),
    };
    // 13:30 UTC is 22:30 in Tokyo; 21:59 UTC is 06:59; 22:00 UTC is 07:00.
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    assert!(q.contains(at("2026-11-25T13:30:00Z"), &tz));
    assert!(q.contains(at("2026-11-25T21:59:00Z"), &tz));
    assert!(!q.contains(at("2026-11-25T22:00:00Z"), &tz));
    assert!(!q.contains(at("2026-11-25T12:59:00Z"), &tz));
    let day = QuietHours {
        from: "12:00".parse().unwrap(),
        to: "13:00".parse().unwrap(),
    };
    assert!(day.contains(at("2026-11-25T03:30:00Z"), &tz));
    assert!(!day.contains(at("2026-11-25T04:00:00Z"), &tz));
}

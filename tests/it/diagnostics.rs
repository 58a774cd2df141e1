//! `check-config` lists every mistake of a file in one round, each with its
//! line and key, in the order of the file (issue #20: eight mistakes used to
//! take three rounds).

use kintone_line_gateway::sim::site::Site;
use kintone_line_gateway::text::Language;

use crate::daemon::{check_config, offline_site};

/// One file, eight different kinds of mistake: each is reported, with its
/// line, in one run, in file order, and the exit code is 64.
#[test]
fn eight_mistakes_are_reported_in_one_round_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let site = Site {
        language: Language::En,
        top: "time_zone = \"Mars/Olympus\"".into(), // a value that is not one
        line_settings: "reply_deadlin = \"20s\"\nconfirm_late_success = \"yes\"".into(), // typo, type
        kintone: "https://x.cybozu.com/k/42/".into(), // a pasted app URL
        app: "poll_interval = \"5s\"\nwebhook_reread = maybe".into(), // budget, syntax
        tail: "[[rules]]\napp = 7\nto = [\"Done\"]\nrecipients = [\"Taro\"]\n\
               [notify]\ndebounce = \"5s\"\nmax_wait = \"2s\"\n"
            .into(), // an app not configured; max_wait below debounce
        ..offline_site("", "")
    };
    let path = site.write(dir.path()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let line_of = |needle: &str| {
        1 + text
            .lines()
            .position(|l| l.starts_with(needle))
            .unwrap_or_else(|| panic!("{needle} not in the config"))
    };
    let (code, _, err) = check_config(&path);
    assert_eq!(code, Some(64), "{err}");
    let expected = [
        (line_of("time_zone"), "time_zone:"),
        (line_of("reply_deadlin"), "line.reply_deadlin: unknown key; did you mean \"line.reply_deadline\"?"),
        (line_of("confirm_late_success"), "line.confirm_late_success: expected true or false, found string"),
        (line_of("base_url"), "kintone.base_url: \"https://x.cybozu.com/k/42/\" must be the site's address alone; write base_url = \"https://x.cybozu.com\""),
        (line_of("poll_interval"), "kintone.apps[0].poll_interval: polling every 5s is 17280 requests/day, 172% of kintone's 10000"),
        (line_of("webhook_reread"), ""),
        (line_of("app = 7"), "rules[0].app: app 7 is not in [[kintone.apps]]"),
        (line_of("max_wait"), "notify.max_wait:"),
    ];
    let reported: Vec<&str> = err.lines().filter(|l| l.starts_with("  - ")).collect();
    assert_eq!(reported.len(), expected.len(), "{err}");
    for ((line, what), got) in expected.iter().zip(&reported) {
        let at = format!("  - line {line}");
        assert!(
            got.starts_with(&at) && got.contains(what),
            "expected {at}… {what}, got {got:?} in\n{err}"
        );
    }
    let syntax = reported[5];
    assert!(
        syntax.contains("not valid TOML")
            && syntax.contains(&format!("line {}:", line_of("webhook_reread"))),
        "{syntax}"
    );
    assert!(
        err.contains("| webhook_reread = maybe"),
        "the offending line is shown:\n{err}"
    );
}

/// Polling past kintone's daily limit is refused (exit 64) unless the
/// operator says it is meant; then it passes with the warning.
#[test]
fn polling_over_the_daily_limit_needs_allow_over_budget() {
    let check = |app: &str| {
        let dir = tempfile::tempdir().unwrap();
        let site = Site {
            language: Language::En,
            ..offline_site(app, "")
        };
        let path = site.write(dir.path()).unwrap();
        let (code, out, err) = check_config(&path);
        (code, out + &err)
    };
    let (code, text) = check("poll_interval = \"5s\"");
    assert_eq!(code, Some(64), "{text}");
    assert!(text.contains("set allow_over_budget = true"), "{text}");
    let (code, text) = check("poll_interval = \"5s\"\nallow_over_budget = true");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("172% of kintone's 10000 — WARNING"), "{text}");
}

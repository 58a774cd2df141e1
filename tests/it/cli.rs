//! The binary itself: a bad config lists every problem with its key and exits
//! 64, so systemd's `RestartPreventExitStatus=64` stops a crash loop.

use crate::daemon::gateway;

#[test]
fn check_config_lists_problems_and_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "typo = 1\n[line]\nchannel_secret = \"inline\"\n[kintone]\nbase_url = \"ftp://x\"\n",
    )
    .unwrap();
    let out = gateway()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "typo",
        "line.channel_secret",
        "line.access_token",
        "kintone.base_url",
        "kintone.apps",
    ] {
        assert!(
            err.contains(&format!("{key}:")),
            "{key} missing from:\n{err}"
        );
    }
    assert!(
        !err.contains("\"inline\""),
        "a secret value was echoed:\n{err}"
    );
}

#[test]
fn missing_config_file_is_a_usage_error() {
    let out = gateway()
        .args(["check-config", "--config", "/nonexistent/klg.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read config file"));
}

#[test]
fn check_config_reports_the_polling_budget_and_warns_past_a_third() {
    use kintone_line_gateway::sim::site::Site;
    let dir = tempfile::tempdir().unwrap();
    let site = Site {
        line: "https://api.line.me".into(),
        channel_secret: "a-channel-secret".into(),
        kintone: "https://example.cybozu.com".into(),
        app: "poll_interval = \"10s\"".into(),
        tail: "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"Taro Yamada\"]\n"
            .into(),
        ..Site::default()
    };
    let path = site.write(dir.path()).unwrap();
    let out = gateway()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("OK (1 app(s), 1 rule(s)"), "{stdout}");
    assert!(
        stdout.contains("polling every 10s ≈ 8640 requests/day") && stdout.contains("WARNING"),
        "{stdout}"
    );
}

#[test]
fn check_config_accepts_the_old_coalesce_window_with_a_warning() {
    use kintone_line_gateway::sim::site::Site;
    let dir = tempfile::tempdir().unwrap();
    let site = Site {
        line: "https://api.line.me".into(),
        channel_secret: "a-channel-secret".into(),
        kintone: "https://example.cybozu.com".into(),
        tail: "[notify]\ncoalesce_window = \"60s\"\n".into(),
        ..Site::default()
    };
    let path = site.write(dir.path()).unwrap();
    let out = gateway()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("warning: notify.coalesce_window is no longer used"),
        "{stdout}"
    );
}

/// A Japanese site whose zone is UTC (a container's default, or set by
/// mistake) shows staff times nine hours off: `check-config` says so, and
/// still passes the config; the deprecated `indicator.time_zone` likewise.
#[test]
fn check_config_warns_of_utc_with_japanese_and_of_the_old_zone_key() {
    use kintone_line_gateway::sim::site::Site;
    let dir = tempfile::tempdir().unwrap();
    let site = Site {
        language: kintone_line_gateway::text::Language::Ja,
        top: "time_zone = \"UTC\"\n".into(),
        line: "https://api.line.me".into(),
        channel_secret: "a-channel-secret".into(),
        kintone: "https://example.cybozu.com".into(),
        tail: "[indicator]\ntime_zone = \"UTC\"\n".into(),
        ..Site::default()
    };
    let path = site.write(dir.path()).unwrap();
    let out = gateway()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("warning: time_zone is \"UTC\" while language = \"ja\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: indicator.time_zone is deprecated"),
        "{stdout}"
    );
}

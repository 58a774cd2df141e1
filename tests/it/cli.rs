//! The binary itself: a bad config lists every problem with its key and exits
//! 64, so systemd's `RestartPreventExitStatus=64` stops a crash loop.

use kintone_line_gateway::sim::site::Site;
use kintone_line_gateway::text::Language;

use crate::daemon::{check_config, gateway, offline_site, store_only_config};

/// [`offline_site`] speaking English, the words these tests quote.
fn english_site(app: &str, tail: &str) -> Site {
    Site {
        language: Language::En,
        ..offline_site(app, tail)
    }
}

const MISTAKES: &str = "typo = 1\n[line]\nchannel_secret = \"inline\"\n[kintone]\n\
    base_url = \"ftp://x\"\n[retention]\naudit = \"a year\"\n";

#[test]
fn check_config_lists_problems_and_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, format!("language = \"en\"\n{MISTAKES}")).unwrap();
    let (code, _, err) = check_config(&path);
    assert_eq!(code, Some(64));
    for key in [
        "typo",
        "line.channel_secret",
        "line.access_token",
        "kintone.base_url",
        "kintone.apps",
        "retention.audit",
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

/// With no `language`, the problems are said in Japanese; keys, lines and
/// exit code as in English.
#[test]
fn check_config_lists_problems_in_japanese_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, MISTAKES).unwrap();
    let (code, _, err) = check_config(&path);
    assert_eq!(code, Some(64), "{err}");
    for line in [
        "config.toml に直すところが 6 件あります：",
        "  - 1 行目：typo：このキーは使えません。ここで使えるキー：state_dir, ",
        "  - 3 行目：line.channel_secret：秘密の値は設定ファイルに直接書けません。",
        "  - 7 行目：retention.audit：\"a year\" は時間の長さとして読めません。",
    ] {
        assert!(err.contains(line), "{line:?} missing from:\n{err}");
    }
    assert!(
        !err.contains("\"inline\""),
        "a secret value was echoed:\n{err}"
    );
}

/// A file that cannot be read names no language: Japanese, the default.
#[test]
fn missing_config_file_is_a_usage_error() {
    let out = gateway()
        .args(["check-config", "--config", "/nonexistent/klg.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("設定ファイルを読めません："), "{err}");
}

#[test]
fn check_config_reports_the_polling_budget_and_warns_past_a_third() {
    let dir = tempfile::tempdir().unwrap();
    let site = english_site(
        "poll_interval = \"10s\"",
        "[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"Taro Yamada\"]\n",
    );
    let (code, stdout, stderr) = check_config(&site.write(dir.path()).unwrap());
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("OK (1 app(s), 1 rule(s)"), "{stdout}");
    assert!(
        stdout.contains("polling every 10s ≈ 8640 requests/day") && stdout.contains("WARNING"),
        "{stdout}"
    );
    let japanese = offline_site("poll_interval = \"10s\"", "");
    let (code, stdout, stderr) = check_config(&japanese.write(dir.path()).unwrap());
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    for line in [
        "config.toml：問題ありません（アプリ 1 件、ルール 0 件、127.0.0.1:0 で待ち受け）",
        "  アプリ 1（Repairs）：10 秒ごとに確認し、1 日およそ 8640 回（kintone の 1 日 10000 回の 86%）。注意：",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }
}

#[test]
fn check_config_accepts_the_old_coalesce_window_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let site = english_site("", "[notify]\ncoalesce_window = \"60s\"\n");
    let (code, stdout, _) = check_config(&site.write(dir.path()).unwrap());
    assert_eq!(code, Some(0), "{stdout}");
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
    let dir = tempfile::tempdir().unwrap();
    let site = Site {
        language: Language::Ja,
        top: "time_zone = \"UTC\"\n".into(),
        ..offline_site("", "[indicator]\ntime_zone = \"UTC\"\n")
    };
    let (code, stdout, _) = check_config(&site.write(dir.path()).unwrap());
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("  注意：language = \"ja\" なのに time_zone が \"UTC\" です"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  注意：indicator.time_zone は古いキーで"),
        "{stdout}"
    );
}

/// The binary with `args`, then `-c config`: exit code, stdout, stderr.
fn with_config(args: &[&str], config: &std::path::Path) -> (Option<i32>, String, String) {
    let out = gateway().args(args).arg("-c").arg(config).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_is_global_and_comes_from_klg_config_too() {
    let dir = tempfile::tempdir().unwrap();
    let config = store_only_config(dir.path());
    // After the subcommand's own arguments, and short.
    let (code, said, err) = with_config(&["staff", "invite", "Taro Yamada"], &config);
    assert_eq!(code, Some(0), "{said}{err}");
    assert!(said.contains("Taro Yamada さんの招待コード："), "{said}");
    // From the environment.
    let out = gateway()
        .args(["staff", "list"])
        .env("KLG_CONFIG", &config)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("まだ誰も登録されていません。"), "{said}");
}

/// The commands answer in the config's `language`: Japanese unless it says
/// `en` (the invite text is what the admin passes on to the staff member).
#[test]
fn the_commands_answer_in_the_configs_language() {
    let dir = tempfile::tempdir().unwrap();
    let config = store_only_config(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("language = \"en\"\n{text}")).unwrap();
    let (_, said, _) = with_config(&["staff", "invite", "Taro Yamada"], &config);
    assert!(said.contains("Invite code for Taro Yamada: "), "{said}");
    assert!(
        said.contains("They add the bot as a friend in LINE and send this code in the chat."),
        "{said}"
    );
    let (code, _, err) = with_config(&["staff", "remove", "Nobody"], &config);
    assert_eq!(code, Some(1));
    assert!(err.contains("no staff member matches \"Nobody\""), "{err}");
}

#[test]
fn every_usage_error_exits_64_and_a_typo_gets_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let config = store_only_config(dir.path());
    let cases: [&[&str]; 4] = [
        &["stauts"],
        &["status", "--bogus"],
        &["acks", "--since", "yesterday"],
        &["staff", "invite", "Taro", "--valid", "3x"],
    ];
    for args in cases {
        let out = gateway()
            .args(args)
            .arg("-c")
            .arg(&config)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {err}");
        assert!(!err.trim().is_empty(), "{args:?}: nothing said");
    }
    let out = gateway().arg("stauts").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\nもしかして：status"), "no suggestion: {err}");
    // A bad --valid is refused before the store is made.
    assert!(!dir.path().join("state").exists());
}

/// What `.ci/assets` (`cargo run --example assets`, which `cargo test`
/// builds too) puts in the `.deb`, rendered here the same way: a section-1
/// man page with the exit codes and environment, and bash, zsh and fish
/// completions that know every command.
#[test]
fn the_man_page_and_completions_build_and_name_every_command() {
    use clap_complete::Shell;
    let mut man = Vec::new();
    clap_mangen::Man::new(kintone_line_gateway::cli::command())
        .render(&mut man)
        .unwrap();
    let man = String::from_utf8(man).unwrap();
    assert!(man.contains(".TH kintone-line-gateway 1"), "{man}");
    assert!(
        man.contains("Exit status:") && man.contains("KLG_CONFIG"),
        "{man}"
    );
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let script = String::from_utf8(completions::render(shell)).unwrap();
        for word in [
            "status",
            "backup",
            "outbox",
            "doctor",
            "check-config",
            "retry",
            "config",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
}

#[path = "../../examples/assets/completions.rs"]
mod completions;

/// What bash offers after `words` (the last one being completed), from the
/// completion script the `.deb` ships.
fn bash_offers(script: &std::path::Path, words: &[&str]) -> String {
    let function = "_kintone__line__gateway";
    let line = format!(
        "source {}; COMP_WORDS=({}); COMP_CWORD={}; {function} kintone-line-gateway {} {}; \
         echo \"${{COMPREPLY[*]}}\"",
        script.display(),
        words.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &line])
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// In bash, a command's own options complete too (clap_complete's script
/// misspells them for a hyphenated name; `completions` mends it), and so do
/// a nested command's.
#[test]
fn bash_completes_commands_and_each_commands_options() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("kintone-line-gateway");
    std::fs::write(&script, completions::render(clap_complete::Shell::Bash)).unwrap();
    let top = bash_offers(&script, &["kintone-line-gateway", "st"]);
    assert_eq!(top, "staff status store");
    let acks = bash_offers(&script, &["kintone-line-gateway", "acks", "--"]);
    assert!(
        acks.contains("--since") && acks.contains("--json"),
        "{acks}"
    );
    let retry = bash_offers(&script, &["kintone-line-gateway", "outbox", "retry", "--"]);
    assert!(retry.contains("--all"), "{retry}");
    let check = bash_offers(&script, &["kintone-line-gateway", "check-config", "--"]);
    assert!(check.contains("--config"), "{check}");
}

/// A command line the binary cannot read is said in plain Japanese, with
/// the command's usage and where its help is (none of clap's English), and
/// exits 64 like a bad config.
#[test]
fn a_mistyped_command_line_is_said_in_japanese_and_exits_64() {
    let out = gateway()
        .args(["--frobnicate", "run"])
        .output()
        .expect("run the binary");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert_eq!(
        err,
        "--frobnicate というオプションはありません。\n\
         使い方（Usage）: kintone-line-gateway [OPTIONS] <COMMAND>\n\
         使い方は kintone-line-gateway --help（コマンドごとなら kintone-line-gateway <コマンド> --help）で確かめられます。\n"
    );
}

/// `--help` reads Japanese first down to its headings, and `help` is a
/// command like the others: `help store rescue` is `store rescue --help`,
/// and a command that does not exist is refused with exit 64.
#[test]
fn help_is_japanese_first_and_help_names_a_command() {
    let said = |args: &[&str]| {
        let out = gateway().args(args).output().expect("run the binary");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, top) = said(&["--help"]);
    assert_eq!(code, Some(0));
    for heading in [
        "使い方（Usage）: kintone-line-gateway",
        "コマンド（Commands）:",
        "オプション（Options）:",
        "コマンドの使い方を表示します",
    ] {
        assert!(top.contains(heading), "{heading}: {top}");
    }
    assert!(!top.contains("Print this message"), "{top}");
    // clap's English brackets are said in the helps' own words instead.
    assert!(
        !top.contains("[env:") && !top.contains("[default:") && top.contains("既定は /etc/"),
        "{top}"
    );
    assert_eq!(said(&["help"]), (Some(0), top));
    let asked = said(&["help", "store", "rescue"]);
    assert_eq!(asked, said(&["store", "rescue", "--help"]));
    assert!(
        asked
            .1
            .contains("使い方（Usage）: kintone-line-gateway store rescue"),
        "{}",
        asked.1
    );
    let out = gateway().args(["help", "frob"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(
        err.starts_with("frob というコマンドはありません。"),
        "{err}"
    );
}

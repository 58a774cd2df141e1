use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use super::*;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (name, text, mode) in [
            ("secret", "chan-secret", 0o600),
            ("token", "access", 0o600),
            ("app", "apptoken", 0o600),
            ("open", "leaky", 0o644),
            ("hook", "abcdefghijklmnopqrstuvwxyz012345", 0o600),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        Fixture { dir }
    }

    fn parse(&self, text: &str) -> Result<Config, Vec<Problem>> {
        Config::parse(text, self.dir.path())
    }
}

/// The rules of a parsed config, read as `Setup` reads them.
fn rules_of(
    c: &Config,
    dir: &std::path::Path,
) -> Result<Vec<crate::config::rules::Rule>, Vec<Problem>> {
    let apps: Vec<_> = c.kintone.apps.iter().map(|a| a.id).collect();
    crate::config::rules::read_rules(&c.rest, &apps, dir)
}

const GOOD: &str = r#"
state_dir = "/tmp/klg"
site = "tokyo"
[server]
listen = "127.0.0.1:0"
[line]
channel_secret = { file = "secret" }
access_token = { file = "token" }
reply_deadline = "20s"
[kintone]
base_url = "https://example.cybozu.com"
[[kintone.apps]]
id = 42
name = "Approvals"
api_token = { file = "app" }
webhook_token = { file = "hook" }
ack = { method = "fields", fields = { Acked_by = "{{name}}", Acked_at = "{{time}}" } }
"#;

#[test]
fn good_config_loads() {
    let f = Fixture::new();
    let c = f.parse(GOOD).unwrap();
    assert_eq!(c.site.as_str(), "tokyo");
    assert_eq!(c.line.api_base, DEFAULT_LINE_API);
    assert_eq!(c.line.reply_deadline, Duration::from_secs(20));
    assert_eq!(c.line.channel_secret.current().expose(), "chan-secret");
    let app = &c.kintone.apps[0];
    assert_eq!(app.id.get(), 42);
    assert!(matches!(app.ack.method, AckMethod::Fields(ref f) if f.len() == 2));
    // Secrets never show in Debug.
    let dbg = format!("{c:?}");
    for s in ["chan-secret", "access", "apptoken", "abcdefghijklmnop"] {
        assert!(!dbg.contains(s), "{s} leaked into Debug");
    }
}

#[test]
fn every_problem_is_listed_with_its_key() {
    let f = Fixture::new();
    let bad = r#"
site = "Tokyo!"
typo = 1
[server]
listen = "nowhere"
[line]
channel_secret = "inline-secret"
access_token = { file = "open" }
reply_deadline = "forever"
deadline_fallback = "sms"
confirm_late_success = "yes"
[kintone]
base_url = "ftp://x"
[[kintone.apps]]
id = 0
api_token = { file = "missing-file" }
webhook_token = { file = "app" }
ack = { method = "comment", comment = "by {{nmae}}" }
"#;
    let problems = f.parse(bad).unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    for k in [
        "typo",
        "site",
        "server.listen",
        "line.channel_secret",
        "line.access_token",
        "line.reply_deadline",
        "line.deadline_fallback",
        "line.confirm_late_success",
        "kintone.base_url",
        "kintone.apps[0].id",
        "kintone.apps[0].api_token",
        "kintone.apps[0].webhook_token",
        "kintone.apps[0].ack.comment",
    ] {
        assert!(
            keys.contains(&k),
            "no problem reported for {k}: {problems:?}"
        );
    }
    let all = format!("{problems:?}");
    assert!(!all.contains("inline-secret") && !all.contains("leaky"));
}

#[test]
fn a_syntax_error_comes_first_with_its_line_and_column_and_the_rest_still_reported() {
    let f = Fixture::new();
    let p = f.parse("language = \"en\"\n[line\n").unwrap_err();
    assert!(p[0].message.contains("not valid TOML"), "{p:#?}");
    assert_eq!(
        p[0].to_string().lines().next(),
        Some("line 2:6: not valid TOML: unclosed table, expected `]`")
    );
    assert!(
        p[0].message.ends_with("| [line"),
        "the offending line is shown: {p:#?}"
    );
    let keys: Vec<&str> = p[1..].iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["line.channel_secret", "line.access_token", "kintone"]
    );
}

/// With no `language`, the problems are said in Japanese; the key, line and
/// column stay as written.
#[test]
fn problems_are_said_in_japanese_by_default() {
    let f = Fixture::new();
    let p = f.parse("[line\n").unwrap_err();
    let first = p[0].said(Language::Ja);
    assert!(
        first.starts_with("1 行目 6 文字目：TOML の書き方に誤りがあります："),
        "{first}"
    );
    let rest: Vec<String> = p[1..].iter().map(|p| p.said(Language::Ja)).collect();
    assert_eq!(rest[2], "kintone：[kintone] の部分がありません", "{rest:?}");
    let secret = "1 行目：line.channel_secret：書かれていません";
    assert!(rest[0].starts_with(secret), "{rest:?}");
    let typo = f.parse("stat_dir = \"/x\"\n").unwrap_err();
    assert_eq!(
        typo[0].said(Language::Ja),
        "1 行目：stat_dir：このキーは使えません。\"state_dir\" のまちがいではありませんか？"
    );
}

#[test]
fn late_success_is_silent_unless_asked_for() {
    let f = Fixture::new();
    assert!(!f.parse(GOOD).unwrap().line.confirm_late_success);
    let asked = GOOD.replace(
        "reply_deadline = \"20s\"",
        "reply_deadline = \"20s\"\nconfirm_late_success = true",
    );
    assert!(f.parse(&asked).unwrap().line.confirm_late_success);
}

#[test]
fn ack_by_is_read_per_rule_and_checked() {
    use crate::config::rules::{read_rules, AckBy};
    let f = Fixture::new();
    let rules = |tail: &str| {
        let c = f.parse(&format!("{GOOD}{tail}")).unwrap();
        let apps: Vec<_> = c.kintone.apps.iter().map(|a| a.id).collect();
        read_rules(&c.rest, &apps, f.dir.path())
    };
    let one = "[[rules]]\napp = 42\nrecipients = [\"Taro\"]\n";
    let found = rules(&format!(
        "{one}{one}ack_by = \"staff\"\n{one}ack_by = \"anyone\"\n"
    ))
    .unwrap();
    let by: Vec<AckBy> = found.iter().map(|r| r.ack_by).collect();
    assert_eq!(by, [AckBy::Recipients, AckBy::Staff, AckBy::Anyone]);
    let problems = rules(&format!("{one}ack_by = \"everyone\"\n")).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].key, "rules[0].ack_by");
    assert!(problems[0].message.contains("recipients"), "{problems:?}");
}

/// With no comment or reply of its own, an app gets the language's: the
/// catalogue's defaults, `ja` unless `language` says otherwise; an app's
/// own text still wins.
#[test]
fn the_template_defaults_follow_the_language() {
    let f = Fixture::new();
    let no_ack = GOOD.replace("ack = { method = \"fields\", fields = { Acked_by = \"{{name}}\", Acked_at = \"{{time}}\" } }\n", "");
    for (line, language) in [
        ("", Language::Ja),
        ("language = \"ja\"\n", Language::Ja),
        ("language = \"en\"\n", Language::En),
    ] {
        let c = f.parse(&format!("{line}{no_ack}")).unwrap();
        assert_eq!(c.language, language);
        let texts = language.catalogue();
        let ack = &c.kintone.apps[0].ack;
        assert_eq!(ack.reply.source(), texts.default_reply, "{line}");
        let AckMethod::Comment(comment) = &ack.method else {
            panic!("the default method is a comment");
        };
        assert_eq!(comment.source(), texts.default_comment, "{line}");
    }
    let own = no_ack.replace(
        "webhook_token = { file = \"hook\" }",
        "webhook_token = { file = \"hook\" }\nack = { comment = \"見ました {{name}}\", reply = \"OK\" }",
    );
    let c = f.parse(&format!("language = \"en\"\n{own}")).unwrap();
    let ack = &c.kintone.apps[0].ack;
    assert_eq!(ack.reply.source(), "OK");
    assert!(matches!(&ack.method, AckMethod::Comment(t) if t.source() == "見ました {{name}}"));
}

/// Reminder and escalation keys are read per rule; each mistake is named by
/// its key.
#[test]
fn chain_keys_are_read_per_rule_and_checked() {
    use crate::config::rules::{Recipient, DEFAULT_GIVE_UP};
    let f = Fixture::new();
    let rules = |tail: &str| {
        let c = f.parse(&format!("{GOOD}{tail}")).unwrap();
        rules_of(&c, f.dir.path())
    };
    let one = "[[rules]]\napp = 42\nrecipients = [\"Taro\"]\n";
    let found = rules(&format!(
        "{one}remind = \"15m\"\nescalate = [{{ after = \"30m\", to = [\"group:Office\"] }}, \
         {{ after = \"2h\", to = [\"Hanako\"] }}]\n{one}"
    ))
    .unwrap();
    let c = &found[0].chain;
    assert_eq!(c.remind, Some(Duration::from_secs(900)));
    assert_eq!(c.remind_max, 3);
    assert_eq!(c.give_up, DEFAULT_GIVE_UP);
    assert_eq!(c.escalate.len(), 2);
    assert_eq!(c.escalate[1].after, Duration::from_secs(7200));
    assert_eq!(c.escalate[0].to, [Recipient::GroupName("Office".into())]);
    assert!(found[1].chain.is_empty(), "no keys, no chain");

    let problems = rules(&format!(
        "{one}remind = \"10s\"\nremind_max = -1\ngive_up = \"soon\"\n\
         escalate = [{{ after = \"2h\", to = [\"field:Boss\"] }}, {{ after = \"1h\", to = [] }}, {{ to = [\"Jiro\"] }}]\n\
         {one}remind_max = 2\n"
    ))
    .unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "rules[0].remind",
            "rules[0].remind_max",
            "rules[0].escalate[0].to[0]",
            "rules[0].escalate[1].after",
            "rules[0].escalate[1].to",
            "rules[0].escalate[2].after",
            "rules[0].give_up",
            "rules[1].remind_max",
        ],
        "{problems:?}"
    );
}

/// `at_night` and `urgent` are read and checked, each mistake named by its
/// key (`[notify] quiet_hours`: `config::setup`'s tests).
#[test]
fn at_night_and_urgent_are_read_and_checked() {
    use crate::domain::AtNight;
    let f = Fixture::new();
    let one = "[[rules]]\napp = 42\nrecipients = [\"Taro\"]\n";
    let text = format!("{GOOD}{one}{one}at_night = \"silent\"\n{one}urgent = true\n");
    let c = f.parse(&text).unwrap();
    let nights: Vec<AtNight> = rules_of(&c, f.dir.path())
        .unwrap()
        .iter()
        .map(|r| r.at_night)
        .collect();
    assert_eq!(nights, [AtNight::Hold, AtNight::Silent, AtNight::Send]);

    let bad = format!("{GOOD}{one}at_night = \"mute\"\n{one}urgent = true\nat_night = \"hold\"\n");
    let c = f.parse(&bad).unwrap();
    let keys: Vec<String> = rules_of(&c, f.dir.path())
        .unwrap_err()
        .into_iter()
        .map(|p| p.key)
        .collect();
    assert_eq!(keys, ["rules[0].at_night", "rules[1].urgent"]);
}

/// A secret that cannot be loaded is said in the config's language, with
/// the file and the fix, never the content.
#[test]
fn an_open_secret_file_is_said_in_the_language() {
    let f = Fixture::new();
    let open = GOOD.replace("{ file = \"token\" }", "{ file = \"open\" }");
    let p = f.parse(&open).unwrap_err();
    let said = p[0].said(Language::Ja);
    assert!(
        said.contains("line.access_token：秘密の値のファイル ")
            && said.contains("をグループやほかの人が読めます（モード 644）。`chmod 600 "),
        "{said}"
    );
    let p = f.parse(&format!("language = \"en\"\n{open}")).unwrap_err();
    assert!(
        p[0].message
            .contains("is readable by group or others (mode 644)"),
        "{p:?}"
    );
    assert!(!format!("{p:?}").contains("leaky"));
}

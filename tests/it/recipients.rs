//! Recipients that cannot be misspelled: `check-config` judges every
//! recipient against the staff directory and the recorded groups (read-only,
//! without the network) and refuses a near miss with the nearest name.

use kintone_line_gateway::sim::site::Site;
use kintone_line_gateway::store::staff::{normalise_code, Redeem};
use kintone_line_gateway::store::Store;
use kintone_line_gateway::text::Language;

use crate::daemon::{check_config, offline_site};

const HANAKO: &str = "U1111111111111111111111111111aaaa";
const OFFICE: &str = "C3333333333333333333333333333cccc";

/// A site speaking English, the words these tests quote.
fn site(recipients: &str) -> Site {
    let tail =
        format!("[[rules]]\napp = 1\nto = [\"Needs approval\"]\nrecipients = [{recipients}]\n");
    Site {
        language: Language::En,
        ..offline_site("", &tail)
    }
}

/// A store in `dir/state` where 佐藤 花子 (kintone hanako.sato) is linked,
/// Taro Yamada is invited and the bot is in the group "Office".
async fn directory(dir: &std::path::Path) {
    let store = Store::open(&dir.join("state")).unwrap();
    let far = i64::MAX / 2;
    let inv = store
        .invite_create("佐藤 花子".into(), Some("hanako.sato".into()), 0, far)
        .await
        .unwrap();
    let code = normalise_code(&inv.code).unwrap();
    let r = store.invite_redeem(HANAKO.into(), code, 1).await.unwrap();
    assert!(matches!(r, Redeem::Linked(_)));
    store
        .invite_create("Taro Yamada".into(), None, 0, far)
        .await
        .unwrap();
    store
        .group_joined(OFFICE.into(), Some("Office".into()), 0)
        .await
        .unwrap();
}

#[tokio::test]
async fn misspelled_recipients_are_refused_with_the_nearest_name() {
    let dir = tempfile::tempdir().unwrap();
    directory(dir.path()).await;
    let path = site("\"Hanako Sato\", \"group:Ofice\"")
        .write(dir.path())
        .unwrap();
    let (code, _, err) = check_config(&path);
    assert_eq!(code, Some(64), "{err}");
    assert!(
        err.contains("rules[0].recipients[0]: no staff member is called \"Hanako Sato\"; did you mean 佐藤 花子?"),
        "{err}"
    );
    assert!(
        err.contains(
            "rules[0].recipients[1]: no group is called \"Ofice\"; did you mean group:Office?"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_broken_line_id_is_refused_even_without_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = site("\"U123\"").write(dir.path()).unwrap();
    let (code, _, err) = check_config(&path);
    assert_eq!(code, Some(64), "{err}");
    assert!(
        err.contains("rules[0].recipients[0]: \"U123\" is not a LINE id"),
        "{err}"
    );
    assert!(
        !dir.path().join("state").exists(),
        "check-config created the store"
    );
}

#[tokio::test]
async fn unlinked_names_are_warnings_that_say_how_to_link_them() {
    let dir = tempfile::tempdir().unwrap();
    directory(dir.path()).await;
    let path = site("\"佐藤 花子\", \"group:Office\", \"Taro Yamada\", \"鈴木 一郎\"")
        .write(dir.path())
        .unwrap();
    let (code, out, err) = check_config(&path);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains(
            "warning: rules[0].recipients[2]: \"Taro Yamada\" is invited but not linked yet"
        ),
        "{out}"
    );
    assert!(
        out.contains("warning: rules[0].recipients[3]: no staff member is called \"鈴木 一郎\" yet: link them with `kintone-line-gateway staff invite \"鈴木 一郎\"`"),
        "{out}"
    );
    assert!(
        !out.contains("recipients[0]") && !out.contains("recipients[1]"),
        "{out}"
    );
}

#[tokio::test]
async fn doctor_lists_whom_each_rule_reaches_now() {
    use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
    use kintone_line_gateway::sim::site::APP_TOKEN;
    let line = FakeLine::start().await.unwrap();
    let kintone = FakeKintone::start(APP_TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    directory(dir.path()).await;
    let rules = "[[rules]]\nname = \"approval\"\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"佐藤 花子\", \"group:Office\", \"Taro Yamada\"]\n\
                 [[rules]]\nname = \"orphan\"\napp = 1\nto = [\"Done\"]\nrecipients = [\"鈴木 一郎\"]\n";
    let site = Site {
        language: Language::En,
        ..Site::for_fakes(&line, &kintone, "poll_interval = \"60s\"", rules)
    };
    let path = site.write(dir.path()).unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || crate::doctor::doctor(&path))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{text}");
    for want in [
        "[FAIL] recipients: 2 rule(s)",
        &format!("rule \"approval\" reaches 佐藤 花子 (linked); group Office ({OFFICE})"),
        "\"Taro Yamada\" is invited but not linked yet",
        "rule \"orphan\" reaches NOBODY",
        "no staff member is called \"鈴木 一郎\" yet",
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
}

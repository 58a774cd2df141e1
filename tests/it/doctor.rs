//! `kintone-line-gateway doctor` against the fakes: every check passes on a
//! good site; a wrong token, a misspelt field code and an unwritable state
//! directory each fail with what to do, and the exit code says so.

use crate::daemon::gateway;

use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, ACCESS_TOKEN, APP_TOKEN};
use kintone_line_gateway::text::Language;

use crate::world::{World, USER};

const APP: &str = "poll_interval = \"60s\"\n[kintone.apps.ack]\nmethod = \"fields\"\nfields = { Acknowledged_by = \"{{name}}\" }\n";

/// A site speaking English, the words these tests quote.
fn site(line: &FakeLine, kintone: &FakeKintone, tail: &str) -> Site {
    Site {
        language: Language::En,
        ..Site::for_fakes(line, kintone, APP, tail)
    }
}

fn rule(field: &str, show: &str) -> String {
    format!(
        "[[rules]]\nname = \"approval\"\napp = 1\nfield = \"{field}\"\nto = [\"Needs approval\"]\nrecipients = [\"{USER}\", \"field:Assignee\"]\nshow = [\"{show}\"]\n"
    )
}

/// Runs `doctor`; (exit code, stdout).
pub(crate) fn doctor(config: &std::path::Path) -> (Option<i32>, String) {
    let out = gateway()
        .args(["doctor", "--config"])
        .arg(config)
        .output()
        .expect("doctor runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn doctor_passes_a_good_site_and_says_what_to_fix_on_a_bad_one() {
    // A running board, and LINE's webhook URL pointing straight at it.
    let w = World::start_with(APP, &rule("STATUS", "Assignee"), |_| {}).await;
    let (line, kintone) = (&w.line, &w.kintone);
    line.require_token(ACCESS_TOKEN);
    line.set_webhook_endpoint(&w.line_webhook_url(), true);
    let dir = tempfile::tempdir().unwrap();

    let good = site(line, kintone, &rule("STATUS", "Assignee"))
        .write(dir.path())
        .unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&good))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{text}");
    for line in [
        "[ok  ] config: 1 app(s), 1 rule(s)",
        "[ok  ] state directory: ",
        "[ok  ] store: no store yet at ",
        "[ok  ] LINE: token accepted",
        "[ok  ] LINE webhook: LINE sent a test webhook to http://",
        "(straight to the board) and got HTTP 200: LINE → board works",
        "[ok  ] kintone app 1 \"Repairs\": token accepted; ",
        "[ok  ] recipients: 1 rule(s) (no staff directory yet",
        "[ok  ] GPIO: not used",
        "[ok  ] clock: ",
        "All 9 checks passed.",
    ] {
        assert!(text.contains(line), "{line:?} missing:\n{text}");
    }
    let reach = format!("rule \"approval\" reaches LINE user {USER}; the linked people in field \"Assignee\" of each record");
    assert!(text.contains(&reach), "{reach:?} missing:\n{text}");
    assert!(!text.contains(ACCESS_TOKEN) && !text.contains(APP_TOKEN));
    assert!(
        !dir.path().join("state/gateway.db").exists(),
        "doctor created the store"
    );

    // In Japanese, the default: the same checks.
    let japanese = Site::for_fakes(line, kintone, APP, &rule("STATUS", "Assignee"))
        .write(dir.path())
        .unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&japanese))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{text}");
    for line in [
        "kintone-line-gateway の点検（doctor）— ",
        "[正常] 設定：アプリ 1 件、ルール 1 件。",
        "[正常] ストア：",
        "[正常] LINE：http://",
        "がトークンを受け付けました",
        "（基板へ直接）にテストの Webhook を送り、HTTP 200 が返りました",
        "[正常] kintone アプリ 1「Repairs」：トークンを受け付けました。",
        "ルール「approval」の送り先：LINE ユーザー ",
        "[正常] GPIO：使っていません",
        "[正常] 時計：",
        "9 項目の点検はすべて問題ありません。",
    ] {
        assert!(text.contains(line), "{line:?} missing:\n{text}");
    }

    // LINE refuses the token, kintone knows another token, a field code is
    // misspelt: each fails on its own line, with what to do.
    line.require_token("a-newer-token");
    let other = FakeKintone::start("another-apps-token").await.unwrap();
    let bad = site(line, &other, &rule("Stauts", "Assignee"))
        .write(dir.path())
        .unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&bad))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[FAIL] LINE: 127.0.0.1:")
            && text.contains("refused the channel access token"),
        "{text}"
    );
    assert!(
        text.contains("[FAIL] kintone app 1 \"Repairs\": ") && text.contains("API token"),
        "{text}"
    );
    assert!(text.contains("2 of 8 checks failed."), "{text}");

    let misspelt = site(line, kintone, &rule("Stauts", "Asignee"))
        .write(dir.path())
        .unwrap();
    line.require_token(ACCESS_TOKEN);
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&misspelt))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "the form has no field Stauts (rule \"approval\" field), Asignee (rule \"approval\" show)"
        ),
        "{text}"
    );
    assert!(text.contains("1 of 9 checks failed."), "{text}");
}

#[tokio::test]
async fn doctor_fails_a_state_directory_it_cannot_write() {
    let line = FakeLine::start().await.unwrap();
    let kintone = FakeKintone::start(APP_TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = site(&line, &kintone, "").write(dir.path()).unwrap();
    // A file where the state directory should be (root ignores modes).
    std::fs::write(dir.path().join("state"), "not a directory").unwrap();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&config))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[FAIL] state directory: ")
            && text.contains("writable by the service's user"),
        "{text}"
    );
}

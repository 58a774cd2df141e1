//! `outbox retry`: a dead letter goes back in the queue with a new retry
//! key while the daemon runs, LINE gets it again, and the audit says who
//! put it back.

use kintone_line_gateway::sim::fakes::PushFault;

use crate::notify_loop::rule;
use crate::reports::run;
use crate::world::{baseline, eventually, rows, until, World};

#[tokio::test]
async fn a_retried_dead_letter_is_sent_again_with_a_new_key_and_audited() {
    let w = World::start_with(
        "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"",
        &rule("[\"Needs approval\"]", "debounce = \"0s\""),
        |k| k.set_record(5, 1, "Open"),
    )
    .await;
    baseline(&w).await;
    // LINE refuses the push for good: a dead letter.
    w.line.fail_pushes([PushFault::BadRequest]);
    w.kintone.user_sets_status(5, "Needs approval");
    until(15, "the push is a dead letter", || async {
        rows(&w, "SELECT COUNT(*) FROM outbox WHERE state = 'dead'").await == 1
    })
    .await;
    assert!(w.line.accepted().is_empty());
    let first_key = w.line.push_attempt_keys()[0].clone();
    let config = w.config_path();

    let listed = run(&["outbox"], &config);
    let said = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(said.contains("デッドレター：`outbox retry "), "{said}");

    // Asking for a request that is not dead changes nothing.
    let wrong = run(&["outbox", "retry", "999"], &config);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("no push request #999"));

    let id: i64 = rows(&w, "SELECT id FROM outbox WHERE state = 'dead'").await;
    let out = run(&["outbox", "retry", &id.to_string()], &config);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!("#{id} を新しい再送キーで送信待ちに戻しました")),
        "{said}"
    );
    assert!(said.contains("LINE がもう一度送ります"), "{said}");

    // The running daemon sends it, under a key LINE has not seen.
    eventually(10, || w.line.accepted().len() == 1).await;
    let keys = w.line.push_attempt_keys();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_ne!(keys[1], first_key, "the same retry key was sent again");
    // LINE took it; the gateway marks it sent once it has LINE's answer.
    until(10, "the request marked sent", || async {
        rows(&w, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'").await == 1
    })
    .await;
    let audit = w.store().retries_of(id).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(
        audit[0].2.contains(&first_key) && audit[0].2.contains(&keys[1]),
        "{audit:?}"
    );

    // Nothing left to retry.
    let out = run(&["outbox", "retry", "--all"], &config);
    assert!(String::from_utf8_lossy(&out.stdout).contains("デッドレター）はありません"));
}

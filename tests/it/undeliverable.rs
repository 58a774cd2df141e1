//! Nobody is not silence: a notification whose recipients resolve to nobody
//! is recorded as undeliverable with the reason, counted, listed by
//! `outbox` and `status`, and sent to `[notify] fallback` when one is set.

use crate::world::{baseline, eventually, rows, until, World, USER};

const WEBHOOK: &str = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";

fn tail(notify: &str) -> String {
    format!(
        "[[rules]]\nname = \"approval\"\napp = 1\nto = [\"Needs approval\"]\nrecipients = [\"Hanako Sato\", \"group:Ofice\"]\n\n[notify]\ndebounce = \"0s\"\n{notify}\n"
    )
}

async fn metric(w: &World, name: &str) -> String {
    let text = reqwest::get(format!("http://{}/metrics", w.gateway().addr()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_default()
        .to_owned()
}

fn command(w: &World, name: &str) -> String {
    let out = crate::daemon::gateway()
        .args([name, "--config"])
        .arg(w.config_path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_notification_reaching_nobody_is_recorded_counted_and_listed() {
    let mut w = World::start_with(WEBHOOK, &tail(""), |k| k.set_record(5, 1, "Open")).await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    until(10, "the notification recorded as undeliverable", || async {
        rows(&w, "SELECT COUNT(*) FROM undeliverable").await == 1
    })
    .await;
    assert_eq!(
        metric(&w, "klg_undeliverable_total").await,
        "klg_undeliverable_total 1"
    );
    // Recorded in the same transaction as the notification: nothing was
    // owed to anyone, so nothing is pushed.
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM deliveries").await, 0);
    assert!(w.line.pushes().is_empty());
    w.stop().await;
    let outbox = command(&w, "outbox");
    assert!(
        outbox.contains("届け先なし  ルール「approval」、アプリ 1 #5"),
        "{outbox}"
    );
    assert!(
        outbox.contains("nobody reached: \"Hanako Sato\" (no linked staff member), group:Ofice (the bot is not in it)"),
        "{outbox}"
    );
    assert!(
        outbox.contains("誰にも送っていません（[notify] fallback"),
        "{outbox}"
    );
    let status = command(&w, "status");
    assert!(status.contains("届け先のない通知 1 件"), "{status}");
}

#[tokio::test]
async fn a_notification_reaching_nobody_goes_to_the_fallback() {
    let w = World::start_with(WEBHOOK, &tail(&format!("fallback = \"{USER}\"")), |k| {
        k.set_record(5, 1, "Open")
    })
    .await;
    baseline(&w).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(15, || w.line.pushes().len() == 1).await;
    let push = &w.line.pushes()[0];
    assert_eq!(push["to"], USER);
    assert!(
        push.to_string().contains("ack:v1::1:5:"),
        "the card, with its button"
    );
    assert_eq!(
        rows(
            &w,
            "SELECT COUNT(*) FROM undeliverable WHERE fallback IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        metric(&w, "klg_undeliverable_total").await,
        "klg_undeliverable_total 1"
    );
}

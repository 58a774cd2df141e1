//! `doctor` on a board that pulls from Pub/Sub: the subscription is found
//! and its backlog counted (and left in place); a wrong one says what to fix.

use kintone_line_gateway::sim::fakes::{FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN};
use kintone_line_gateway::text::Language;

use super::emulator::Topic;
use super::line_message;
use crate::daemon::gateway;

fn doctor(config: &std::path::Path) -> String {
    let out = gateway()
        .args(["doctor", "--config"])
        .arg(config)
        .output()
        .expect("doctor runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn doctor_finds_the_subscription_and_counts_its_backlog() {
    let line = FakeLine::start().await.unwrap();
    let kintone = FakeKintone::start(APP_TOKEN).await.unwrap();
    let topic = Topic::create("doctor", 10).await;
    topic
        .publish(&[line_message("{}", "s", ""), line_message("{}", "s", "")])
        .await;
    let dir = tempfile::tempdir().unwrap();
    let app = "poll_interval = \"60s\"";
    let site = Site {
        language: Language::En,
        ..Site::for_fakes(
            &line,
            &kintone,
            app,
            &topic.ingress(&topic.api_base(), "10s"),
        )
    };
    let config = site.write(dir.path()).unwrap();

    let out = tokio::task::spawn_blocking(move || doctor(&config))
        .await
        .unwrap();
    let found = out
        .lines()
        .find(|l| l.contains("pubsub"))
        .unwrap_or_default()
        .to_owned();
    assert!(found.contains("2 message(s) waiting"), "{out}");
    assert!(found.contains(&topic.topic), "{out}");
    // Handed straight back: a second look sees them again.
    let config = site.write(dir.path()).unwrap();
    let again = tokio::task::spawn_blocking(move || doctor(&config))
        .await
        .unwrap();
    assert!(again.contains("2 message(s) waiting"), "{again}");

    let mut wrong = site.clone();
    wrong.tail = wrong
        .tail
        .replace(&topic.subscription, "no-such-subscription");
    let config = wrong.write(dir.path()).unwrap();
    let out = tokio::task::spawn_blocking(move || doctor(&config))
        .await
        .unwrap();
    let failed = out
        .lines()
        .find(|l| l.contains("pubsub"))
        .unwrap_or_default()
        .to_owned();
    assert!(failed.contains("does not exist"), "{out}");
}

//! Quiet hours for pushes (issue #19 §2): in `[notify] quiet_hours` a rule's
//! cards are held and go in one batch when the hours end, or go silently
//! (`notificationDisabled`); urgent rules ring as usual. The window is set
//! around the real time and left with `Clock::skip`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use kintone_line_gateway::clock::now_ms;
use serde_json::Value;

use crate::notify_loop::acknowledge_buttons;
use crate::world::{baseline, eventually, rows, until, World, USER};

/// `HH:MM` in UTC, `minutes` from now.
fn hhmm(minutes: i64) -> String {
    let at = jiff::Timestamp::from_millisecond(now_ms() + minutes * 60_000).expect("time");
    at.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%H:%M")
        .to_string()
}

/// A site in UTC whose quiet hours began an hour ago and end in about half
/// an hour, with `rules`.
async fn at_night(rules: &str) -> World {
    at_night_with(rules, "").await
}

/// [`at_night`] with more `[notify]` lines.
async fn at_night_with(rules: &str, notify: &str) -> World {
    let tail = format!(
        "{rules}\n[notify]\ndebounce = \"0s\"\nquiet_hours = {{ from = \"{}\", to = \"{}\" }}\n{notify}\n",
        hhmm(-60),
        hhmm(31)
    );
    let w = World::start_tuned(
        |s| s.top = "time_zone = \"UTC\"".into(),
        "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"",
        &tail,
        |k| {
            for id in 5..=8 {
                k.set_record(id, 1, "Open");
            }
        },
    )
    .await;
    baseline(&w).await;
    w
}

/// Record 5 reaches the rule (its chain made); eleven minutes on, still
/// night, its first reminder (every 10 minutes) is due and waits.
async fn notified_then_waiting(w: &World) {
    w.kintone.user_sets_status(5, "Needs approval");
    until(10, "the notification", || async {
        rows(w, "SELECT COUNT(*) FROM chains").await == 1
    })
    .await;
    w.clock.skip(Duration::from_secs(11 * 60));
    until(5, "the chain waits", || async {
        w.gateway()
            .metrics
            .chains
            .waiting_quiet
            .load(Ordering::Relaxed)
            == 1
    })
    .await;
}

fn rule(to: &str, extra: &str) -> String {
    format!("[[rules]]\napp = 1\nto = [\"{to}\"]\nrecipients = [\"{USER}\"]\n{extra}\n")
}

#[tokio::test]
async fn held_cards_go_in_one_batch_when_the_quiet_hours_end_and_urgent_ones_at_once() {
    let rules = [rule("Needs approval", ""), rule("Urgent", "urgent = true")].concat();
    let mut w = at_night(&rules).await;
    for id in 5..=7 {
        w.kintone.user_sets_status(id, "Needs approval");
    }
    until(10, "three notifications", || async {
        rows(&w, "SELECT COUNT(*) FROM deliveries").await == 3
    })
    .await;
    // The urgent card goes at once: the outbox looked, and held the others.
    w.kintone.user_sets_status(8, "Urgent");
    eventually(5, || !w.line.pushes().is_empty()).await;
    assert_eq!(acknowledge_buttons(&w), [8], "held cards went out at night");
    assert!(w.line.pushes()[0].get("notificationDisabled").is_none());

    // Morning: the three held cards go together, one message.
    w.clock.skip(Duration::from_secs(32 * 60));
    eventually(5, || w.line.pushes().len() == 2).await;
    let mut morning = acknowledge_buttons(&w)[1..].to_vec();
    morning.sort_unstable();
    assert_eq!(morning, [5, 6, 7]);
    assert_eq!(
        w.line.pushes()[1]["messages"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(w.line.usage(), 2, "one message per push");
    w.stop().await;
}

#[tokio::test]
async fn silent_cards_go_with_notification_disabled_only_in_the_quiet_hours() {
    let w = at_night(&rule("Needs approval", "at_night = \"silent\"")).await;
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(5, || w.line.pushes().len() == 1).await;
    let push = &w.line.pushes()[0];
    assert_eq!(push["notificationDisabled"], Value::Bool(true), "{push}");
    let spec = crate::openapi::line_messaging_api();
    if let Err(e) = spec.validate("PushMessageRequest", push) {
        panic!("push does not match the LINE spec: {e:#?}");
    }

    w.clock.skip(Duration::from_secs(32 * 60));
    w.kintone.user_sets_status(6, "Needs approval");
    eventually(5, || w.line.pushes().len() == 2).await;
    assert!(w.line.pushes()[1].get("notificationDisabled").is_none());
}

/// A reminder due in the quiet hours of a rule that holds its cards waits:
/// when the hours end, the card and one reminder go in one message, not a
/// reminder per interval of the night.
#[tokio::test]
async fn a_held_rules_reminders_wait_out_the_quiet_hours_and_go_once() {
    let w = at_night(&rule("Needs approval", "remind = \"10m\"\nremind_max = 3")).await;
    notified_then_waiting(&w).await;
    assert_eq!(
        rows(&w, "SELECT COUNT(*) FROM deliveries").await,
        1,
        "a reminder was queued at night"
    );
    // Morning, 32 minutes in: reminders 1–3 were all due; one goes.
    w.clock.skip(Duration::from_secs(21 * 60));
    until(5, "the chain moved on and everything went", || async {
        rows(&w, "SELECT COUNT(*) FROM chains WHERE stage = 'reminder 3'").await == 1
            && rows(&w, "SELECT COUNT(*) FROM deliveries WHERE push_id IS NULL").await == 0
            && rows(&w, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'").await == 0
    })
    .await;
    let texts = w.texts();
    let pushes = w.line.pushes();
    let all: String = pushes.iter().map(Value::to_string).collect();
    assert_eq!(acknowledge_buttons(&w), [5, 5], "{all}");
    assert_eq!(
        // Banner lines on cards (the altText repeats them).
        all.matches(&format!(
            "\"text\":\"{}",
            texts.chain_reminder.split('{').next().unwrap_or("?")
        ))
        .count(),
        1,
        "{all}"
    );
    assert!(all.contains(&kintone_line_gateway::text::fill(
        texts.chain_reminder,
        &[("n", "3")]
    )));
}

/// `reminders_at_night = "pause"`: the chain's clock stands still while it
/// waits, so in the morning its first reminder goes, and the next comes a
/// full interval later — not reminder 3 at once.
#[tokio::test]
async fn with_pause_a_held_chain_goes_on_in_the_morning_where_it_stopped() {
    let w = at_night_with(
        &rule("Needs approval", "remind = \"10m\"\nremind_max = 3"),
        "reminders_at_night = \"pause\"",
    )
    .await;
    notified_then_waiting(&w).await;
    // Morning, 32 minutes in: only the first reminder, 22 minutes late.
    w.clock.skip(Duration::from_secs(21 * 60));
    until(5, "reminder 1 went, the clock moved", || async {
        rows(
            &w,
            "SELECT COUNT(*) FROM chains WHERE stage = 'reminder 1' AND paused_ms >= 20 * 60000",
        )
        .await
            == 1
    })
    .await;
    // Ten minutes on: reminder 2.
    w.clock.skip(Duration::from_secs(10 * 60 + 5));
    until(5, "reminder 2", || async {
        rows(&w, "SELECT COUNT(*) FROM chains WHERE stage = 'reminder 2'").await == 1
    })
    .await;
    let texts = w.texts();
    until(10, "both reminders pushed", || async {
        let all: String = w.line.pushes().iter().map(Value::to_string).collect();
        all.contains(&kintone_line_gateway::text::fill(
            texts.chain_reminder,
            &[("n", "2")],
        ))
    })
    .await;
    let all: String = w.line.pushes().iter().map(Value::to_string).collect();
    assert!(
        all.contains(&kintone_line_gateway::text::fill(
            texts.chain_reminder,
            &[("n", "1")]
        )),
        "{all}"
    );
    assert!(
        !all.contains(&kintone_line_gateway::text::fill(
            texts.chain_reminder,
            &[("n", "3")]
        )),
        "{all}"
    );
}

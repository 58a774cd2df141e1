//! The office panel end to end: the real gateway against the fakes, a long
//! press acknowledges everything pending — written back to kintone like a
//! LINE acknowledgement, audited, and no Reply. And `check-config` refuses a
//! line that does not exist on this board.

use std::sync::atomic::Ordering;
use std::time::Duration;

use kintone_line_gateway::acknowledge::writeback::comment_marker;
use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::fakes::{Comment, FakeKintone, FakeLine};
use kintone_line_gateway::sim::site::{Site, APP_TOKEN};

use crate::daemon::check_config;
use crate::world::{until, World, COMMENT_ACK};

/// A panel without hardware, its button pressed through the gateway.
const PANEL: &str = "[indicator]\nbackend = \"none\"\nlong_press = \"500ms\"\ndebounce = \"10ms\"";

#[tokio::test]
async fn long_press_acknowledges_everything_pending_at_the_board() {
    let mut w = World::start_with(COMMENT_ACK, PANEL, |_| {}).await;
    let (gw, line, kintone) = (w.gateway(), &w.line, &w.kintone);

    let actor = w.texts().panel_actor;
    let panel_comment = |key: &str| {
        let marker = comment_marker(key, w.site.language);
        format!("Acknowledged by {actor}\n{marker}")
    };
    // Three notifications wait; n3's write-back reached kintone before an
    // interruption (its marker is there), so it must not be written twice.
    let created = now_ms();
    for (id, record) in [("n1", 5), ("n2", 6), ("n3", 7)] {
        gw.store
            .seed_notification(id, record, "", created)
            .await
            .unwrap();
    }
    kintone.add_records(5, 5, "Urgent");
    // It was written by the release before, with the old `[ref:…]` marker:
    // the search still knows it.
    let before_upgrade = "Acknowledged by office panel\n[ref:panel:n3]";
    kintone.state.lock().unwrap().comments.push(Comment {
        record: 7,
        id: 1,
        text: before_upgrade.into(),
    });
    let state = || gw.metrics.indicator_state.load(Ordering::Relaxed);
    until(5, "the indicator is on", || async { state() == 1 }).await;

    gw.indicator.button(true).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    gw.indicator.button(false).await;

    until(5, "nothing pending", || async {
        gw.store.pending_acks().await.unwrap() == 0
    })
    .await;
    let comments = kintone.comment_texts();
    assert_eq!(
        comments,
        [
            before_upgrade.to_owned(),
            panel_comment("panel:n1"),
            panel_comment("panel:n2"),
        ]
    );
    let audit = gw.store.acks_since(0).await.unwrap();
    let rows: Vec<_> = audit
        .iter()
        .map(|a| {
            (
                a.notification.as_str(),
                a.actor.as_str(),
                a.outcome.as_str(),
                a.reply.as_str(),
                a.line_user_id.is_none(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("n1", actor, "written", "none", true),
            ("n2", actor, "written", "none", true),
            ("n3", actor, "already-written", "none", true),
        ]
    );
    let n1 = gw
        .store
        .notification_get("n1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n1.acked_by.as_deref(), Some(actor));
    assert_eq!(
        line.reply_calls(),
        0,
        "a panel acknowledgement has no Reply"
    );
    assert!(line.pushes().is_empty());
    until(5, "the indicator is off", || async { state() == 0 }).await;

    // Nothing pending: a second long press writes nothing.
    gw.indicator.button(true).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    gw.indicator.button(false).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(kintone.comment_texts().len(), 3);

    // kintone is busy at the press: retried with backoff, for what was
    // pending at the press only (n5 arrives afterwards and stays pending).
    let insert =
        |id: &'static str, record: i64| gw.store.seed_notification(id, record, "", now_ms());
    insert("n4", 8).await.unwrap();
    kintone.fail_next(2);
    gw.indicator.button(true).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    gw.indicator.button(false).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    insert("n5", 9).await.unwrap();
    until(15, "n4 acknowledged", || async {
        let n4 = gw.store.notification_get("n4".into()).await.unwrap();
        n4.unwrap().acked_ms.is_some()
    })
    .await;
    assert_eq!(
        kintone.comment_texts().last(),
        Some(&panel_comment("panel:n4"))
    );
    assert_eq!(kintone.comment_texts().len(), 4);
    let n5 = gw
        .store
        .notification_get("n5".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n5.acked_ms, None, "arrived after the press");
    assert_eq!(line.reply_calls(), 0);
    w.stop().await;
}

#[tokio::test]
async fn check_config_reports_a_line_missing_on_this_board() {
    // The site of the shared world, not started: the gateway would refuse it.
    let line = FakeLine::start().await.expect("fake LINE");
    let kintone = FakeKintone::start(APP_TOKEN).await.expect("fake kintone");
    let dir = tempfile::tempdir().unwrap();
    let gpio = "[indicator]\nbackend = \"gpio\"\nled = \"KLG_NO_SUCH_LINE\"";
    let path = Site::for_fakes(&line, &kintone, COMMENT_ACK, gpio)
        .write(dir.path())
        .expect("writing the site");
    let (code, _, err) = check_config(&path);
    assert_eq!(code, Some(64), "{err}");
    assert!(err.contains("indicator.led：KLG_NO_SUCH_LINE："), "{err}");
    // Here (no GPIO chip) or on a board (chips listed), the reason is given,
    // in the site's language (Japanese).
    assert!(
        err.contains("GPIO チップがありません")
            || err.contains("\"KLG_NO_SUCH_LINE\" という名前のラインはありません"),
        "{err}"
    );
}

/// `[indicator]` timings are live: a reload shortening `long_press` makes
/// the next press of that length acknowledge (the lines stay as opened).
#[tokio::test]
async fn a_reloaded_long_press_takes_effect_without_a_restart() {
    let slow = PANEL.replace("500ms", "30s");
    let mut w = World::start_with(COMMENT_ACK, &slow, |_| {}).await;
    w.gateway()
        .store
        .seed_notification("n1", 5, "", now_ms())
        .await
        .unwrap();
    w.kintone.add_records(5, 1, "Urgent");
    w.site.tail = PANEL.into();
    let done = w.gateway().reload(&w.config_path()).expect("a good config");
    assert_eq!(done.live, ["indicator.long_press"], "{done:?}");
    let gw = w.gateway();
    let state = || gw.metrics.indicator_state.load(Ordering::Relaxed);
    until(5, "the indicator is on", || async { state() == 1 }).await;
    gw.indicator.button(true).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    gw.indicator.button(false).await;
    until(5, "a 600 ms press acknowledged it", || async {
        gw.store.pending_acks().await.unwrap() == 0
    })
    .await;
}

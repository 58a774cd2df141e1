//! The intent life cycle end to end: held, released, expired, refused.

use super::*;
use crate::store::changes::queue_held;

/// Record 5 of app 1, whose write-back will make revision 7.
const INTENT: Intent = Intent {
    app: 1,
    record: 5,
    revision: 7,
};

fn changes(c: &Connection) -> Vec<(i64, i64)> {
    let mut st = c
        .prepare("SELECT held, next_attempt_ms FROM changes ORDER BY seq")
        .expect("query");
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

#[tokio::test]
async fn an_intent_holds_its_revision_only_until_it_resolves_or_expires() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path()).expect("store");
    let intent = INTENT;
    // A panel write: no inbox event owns it, so its life bounds it.
    store
        .begin_write(None, "panel:n1", None, intent, 1_000)
        .await
        .expect("begin");
    let (life, recheck) = (ms(INTENT_LIFE), ms(HOLD_RECHECK));
    let held = store
        .call(move |c| {
            let exact = held_until(c, 1, 5, 7, 2_000)?;
            let other = held_until(c, 1, 5, 6, 2_000)?;
            let late = held_until(c, 1, 5, 7, 1_000 + life - 1_000)?;
            let expired = held_until(c, 1, 5, 7, 1_000 + life)?;
            queue_held(c, 1, 5, 2_000 + recheck, 2_000)?;
            queue_held(c, 1, 5, 3_000 + recheck, 3_000)?;
            Ok((exact, other, late, expired, changes(c)))
        })
        .await
        .expect("read");
    assert_eq!(held.0, Some(2_000 + recheck), "held, looked at again soon");
    assert_eq!(held.1, None, "another revision cannot be this write's");
    assert_eq!(held.2, Some(1_000 + life), "the hold ends with the life");
    assert_eq!(held.3, None, "an intent's hold ends with its life");
    assert_eq!(held.4, vec![(1, 2_000 + recheck)], "one held poll change");

    store
        .write_landed("panel:n1", 1, 5, None, 4_000)
        .await
        .expect("landed");
    let after = store
        .call(|c| {
            let own: i64 = c.query_row(
                "SELECT revision FROM own_writes WHERE app = 1 AND record = 5",
                [],
                |r| r.get(0),
            )?;
            Ok((own, held_until(c, 1, 5, 7, 4_000)?, changes(c)))
        })
        .await
        .expect("read");
    assert_eq!(after.0, 7, "the intent's revision became the gateway's own");
    assert_eq!(after.1, None);
    assert_eq!(after.2, vec![(0, 0)], "the held change is due");
}

#[tokio::test]
async fn a_pending_events_intent_holds_until_the_event_ends() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path()).expect("store");
    let seq = store.seed_event("ev1").await.expect("event");
    let intent = INTENT;
    store
        .begin_write(Some(seq), "ev1", None, intent, 1_000)
        .await
        .expect("begin");
    let (life, recheck) = (ms(INTENT_LIFE), ms(HOLD_RECHECK));
    // Long past its life (kintone out for an hour, the event retried
    // meanwhile), and with a time stored before the clock went back.
    let much_later = 1_000 + life + 3_600_000;
    let held = store
        .call(move |c| {
            let late = held_until(c, 1, 5, 7, much_later)?;
            let before = held_until(c, 1, 5, 7, 500)?;
            queue_held(c, 1, 5, much_later + recheck, much_later)?;
            Ok((late, before))
        })
        .await
        .expect("read");
    assert_eq!(held.0, Some(much_later + recheck), "the event is pending");
    assert_eq!(held.1, Some(500 + recheck), "a time ahead counts as now");

    // The event ends without its write resolved (a permanent error):
    // nothing will resolve the intent now, so it goes and the change is due.
    store
        .inbox_finish(
            seq,
            crate::store::inbox::Finish::Failed,
            None,
            (None, None),
            None,
            2_000,
        )
        .await
        .expect("finish");
    let after = store
        .call(move |c| Ok((held_until(c, 1, 5, 7, much_later)?, changes(c))))
        .await
        .expect("read");
    assert_eq!(after.0, None);
    assert_eq!(after.1, vec![(0, 0)], "the held change is due");
}

#[tokio::test]
async fn a_refused_write_leaves_no_own_revision() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path()).expect("store");
    let intent = INTENT;
    store
        .begin_write(None, "ev1", None, intent, 1_000)
        .await
        .expect("begin");
    store
        .write_refused(None, "ev1", 1, 5)
        .await
        .expect("refused");
    let (own, held): (i64, Option<i64>) = store
        .call(|c| {
            let own = c.query_row("SELECT COUNT(*) FROM own_writes", [], |r| r.get(0))?;
            Ok((own, held_until(c, 1, 5, 7, 2_000)?))
        })
        .await
        .expect("read");
    assert_eq!((own, held), (0, None));
}

//! The inbox end to end: deduplicated intake and progress through to the end.

use super::*;

fn ev(id: &str) -> EventEnvelope {
    EventEnvelope {
        id: id.into(),
        timestamp_ms: 10,
        redelivery: false,
        kind: "postback".into(),
        json: "{}".into(),
    }
}

#[tokio::test]
async fn dedupes_and_tracks_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let r = store
        .inbox_insert(vec![ev("a"), ev("b")], 100)
        .await
        .unwrap();
    assert_eq!(
        r,
        Inserted {
            new: 2,
            duplicates: 0
        }
    );
    let r = store.inbox_insert(vec![ev("a")], 200).await.unwrap();
    assert_eq!(
        r,
        Inserted {
            new: 0,
            duplicates: 1
        }
    );

    let due = store.inbox_due(1_000, 10, HashSet::new()).await.unwrap();
    assert_eq!(due.len(), 2);
    // Rows being handled are left out, and the limit counts the rest.
    let skip = HashSet::from([due[0].seq]);
    let rest = store.inbox_due(1_000, 1, skip).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].event_id, due[1].event_id);
    assert_eq!(
        store.inbox_due(1_000, 1, HashSet::new()).await.unwrap()[0].event_id,
        due[0].event_id
    );
    let a = &due[0];
    store
        .inbox_set_stage(a.seq, Stage::Writing, None)
        .await
        .unwrap();
    store
        .inbox_set_stage(a.seq, Stage::Written, Some("c9".into()))
        .await
        .unwrap();
    store.inbox_mark_reply_attempted(a.seq).await.unwrap();
    let a = store.inbox_get("a").await.unwrap().unwrap();
    assert_eq!(a.stage, Stage::Written);
    assert_eq!(a.writeback_ref.as_deref(), Some("c9"));
    assert!(a.reply_attempted);
    assert_eq!(a.attempts, 1);

    store
        .inbox_retry_at(a.seq, 5_000, "later".into())
        .await
        .unwrap();
    let due_at = |now| {
        let store = store.clone();
        async move {
            store
                .inbox_due(now, 10, HashSet::new())
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(
        due_at(1_000).await,
        1,
        "`a` waits for its retry time; only the other row is due"
    );
    // The clock went back an hour after `a` was scheduled: a retry time
    // further ahead than any backoff is due now, not in an hour.
    assert_eq!(due_at(5_000 - 3_600_000).await, 2);
    store
        .inbox_finish(a.seq, Finish::Done, None, None, None, 6_000)
        .await
        .unwrap();
    assert_eq!(
        due_at(10_000).await,
        1,
        "finished: only the other row is left"
    );
    assert_eq!(store.inbox_pending_count().await.unwrap(), 1);
}

//! The inbox end to end: deduplicated intake and progress through to the end.

use super::*;

fn ev(id: &str) -> EventEnvelope {
    EventEnvelope {
        id: id.into(),
        timestamp_ms: 10,
        redelivery: false,
        kind: "postback".into(),
        json: "{}".into(),
        reply_token: None,
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
    assert_eq!(a.attempts, 0, "an attempt counts once it failed");

    store
        .inbox_retry_at(a.seq, 5_000, "later".into())
        .await
        .unwrap();
    assert_eq!(store.inbox_get("a").await.unwrap().unwrap().attempts, 1);
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
        .inbox_finish(a.seq, Finish::Done, None, (None, None), None, 6_000)
        .await
        .unwrap();
    assert_eq!(
        due_at(10_000).await,
        1,
        "finished: only the other row is left"
    );
    assert_eq!(store.inbox_pending_count().await.unwrap(), 1);
    let finished = store.inbox_get(&a.event_id).await.unwrap().unwrap();
    assert_eq!(finished.json, "{}", "a postback's row stays as it came");
}

/// A finish takes the event off the queue and writes its row again only
/// for what the row must keep: a failure, and a message's words blanked.
#[tokio::test]
async fn a_finish_leaves_a_postback_as_stored_and_blanks_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let message = EventEnvelope {
        kind: "message".into(),
        json: r#"{"message":{"text":"電話ください"}}"#.into(),
        ..ev("m")
    };
    store
        .inbox_insert(vec![ev("p"), ev("f"), message], 100)
        .await
        .unwrap();
    let seq = |id: &'static str| {
        let store = store.clone();
        async move { store.inbox_get(id).await.unwrap().unwrap().seq }
    };
    for (id, how) in [
        ("p", Finish::Done),
        ("f", Finish::Failed),
        ("m", Finish::Done),
    ] {
        let told = store
            .inbox_finish(seq(id).await, how, None, (None, None), None, 200)
            .await
            .unwrap();
        assert_eq!(told, 0);
    }
    assert_eq!(store.inbox_pending_count().await.unwrap(), 0);
    let rows: Vec<(String, String, bool)> = store
        .read(|c| {
            let mut st = c.prepare("SELECT event_id, json, failed FROM inbox ORDER BY seq")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            ("p".into(), "{}".into(), false),
            ("f".into(), "{}".into(), true),
            ("m".into(), String::new(), false),
        ]
    );
    // A second finish of an event no longer queued changes nothing.
    store
        .inbox_finish(seq("f").await, Finish::Done, None, (None, None), None, 300)
        .await
        .unwrap();
    let failed: bool = store
        .read(|c| {
            Ok(
                c.query_row("SELECT failed FROM inbox WHERE event_id = 'f'", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap();
    assert!(failed);
}

/// An event's reply token is read with it while it waits and stored
/// nowhere once it is finished.
#[tokio::test]
async fn a_reply_token_waits_with_its_event_and_goes_at_its_finish() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let tap = EventEnvelope {
        reply_token: Some(Secret::new("tok-123")),
        ..ev("p")
    };
    store.inbox_insert(vec![tap], 100).await.unwrap();
    let due = store.inbox_due(1_000, 10, HashSet::new()).await.unwrap();
    let token = due[0].reply_token.as_ref().map(Secret::expose);
    assert_eq!(token, Some("tok-123"));
    assert!(!format!("{:?}", due[0]).contains("tok-123"));
    store
        .inbox_finish(due[0].seq, Finish::Done, None, (None, None), None, 200)
        .await
        .unwrap();
    assert!(store
        .inbox_get("p")
        .await
        .unwrap()
        .unwrap()
        .reply_token
        .is_none());
    let (bodies, queued): (String, i64) = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT group_concat(json) FROM inbox),
                        (SELECT COUNT(*) FROM inbox_queue)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert!(!bodies.contains("tok-123"), "{bodies}");
    assert_eq!(queued, 0);
}

/// Two acknowledgements of one notification racing: only the first tells
/// the other 1:1 recipients (never the one who tapped, never a group).
#[tokio::test]
async fn only_the_first_acknowledgement_tells_the_others() {
    use crate::store::audit::AckRecord;
    use crate::store::pushes::OthersNotice;
    const TARO: &str = "U00000000000000000000000000000001";
    const HANA: &str = "U00000000000000000000000000000002";
    const GROUP: &str = "C00000000000000000000000000000003";
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .seed_notification_to("n1", 5, "Invoice", 0, &[TARO, HANA, GROUP])
        .await
        .unwrap();
    store
        .inbox_insert(vec![ev("e1"), ev("e2")], 1)
        .await
        .unwrap();
    let ack = |event: &str, by: &str| {
        let audit = AckRecord {
            at_ms: 1,
            event_id: event.into(),
            line_user_id: Some(by.into()),
            actor: by.into(),
            app: 1,
            record: 5,
            notification: "n1".into(),
            method: "comment".into(),
            outcome: "written".into(),
            reply: String::new(),
        };
        let notice = OthersNotice {
            notification: "n1".into(),
            except: Some(by.into()),
            messages: "[]".into(),
        };
        (Some(audit), Some(notice))
    };
    let first = store
        .inbox_finish(1, Finish::Done, None, ack("e1", TARO), None, 1)
        .await
        .unwrap();
    assert_eq!(first, 1, "Hanako only");
    let second = store
        .inbox_finish(2, Finish::Done, None, ack("e2", HANA), None, 2)
        .await
        .unwrap();
    assert_eq!(second, 0, "told twice");
    let to: String = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT recipients FROM outbox WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(to, format!("[\"{HANA}\"]"));
    // A finished event is not finished again: no second audit row.
    store
        .inbox_finish(1, Finish::Done, None, ack("e1", TARO), None, 3)
        .await
        .unwrap();
    let audited: i64 = store
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM acks", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(audited, 2);
}

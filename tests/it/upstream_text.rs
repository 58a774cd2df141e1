//! Upstream text never carries a secret and never reaches a person raw.
//!
//! The fakes echo the request's headers into their error answers, as a
//! proxy or a debug page in front of LINE or kintone can: the channel
//! access token and the kintone API token come back in the error body.
//! Whatever the gateway keeps of such an answer — log lines, the inbox's
//! `last_error`, audit rows, the Reply — must not hold either token, and the
//! person is told in the gateway's own words.

use std::io::Write;
use std::sync::{Arc, Mutex};

use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::sim::site::{ACCESS_TOKEN, APP_TOKEN};
use kintone_line_gateway::text::fill;

use crate::world::{acks_eventually, eventually, inbox_drained, until, World, COMMENT_ACK, USER};

const DATA: &str = "ack:v1::1:5:abc123";
const COMMENT: &str = "/k/v1/record/comment.json";

/// What the person is told when kintone refuses the change (the gateway's
/// sentence in `inbox_worker/tell.rs`, in the catalogue).
fn refused(w: &World) -> String {
    let texts = w.texts();
    let args = [("record", "5"), ("reason", texts.reason_rejected)];
    fill(texts.write_refused, &args)
}

/// Every log line written on this thread while the guard lives. The tests
/// run on tokio's current-thread runtime, so the gateway's tasks log here.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Every cell of every table in the gateway's store, as text.
async fn store_text(w: &World) -> String {
    w.store()
        .read(|c| {
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut all = String::new();
            for t in tables {
                let mut st = c.prepare(&format!("SELECT * FROM \"{t}\""))?;
                let n = st.column_count();
                let mut rows = st.query([])?;
                while let Some(row) = rows.next()? {
                    for i in 0..n {
                        let v: rusqlite::types::Value = row.get(i)?;
                        if let rusqlite::types::Value::Text(s) = v {
                            all.push_str(&s);
                            all.push('\n');
                        }
                    }
                }
            }
            Ok(all)
        })
        .await
        .expect("reading the store")
}

async fn world() -> World {
    let w = World::start_with(COMMENT_ACK, "", |k| k.set_record(5, 3, "Needs approval")).await;
    w.store()
        .seed_notification_to("abc123", 5, "", now_ms(), &[USER])
        .await
        .expect("seeding the notification");
    w
}

fn reply_texts(w: &World) -> Vec<String> {
    w.line
        .replies()
        .iter()
        .map(|m| m["messages"][0]["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn assert_no_token(place: &str, text: &str) {
    for token in [APP_TOKEN, ACCESS_TOKEN] {
        assert!(!text.contains(token), "{token} in {place}:\n{text}");
    }
}

#[tokio::test]
async fn a_kintone_refusal_that_echoes_the_api_token_keeps_no_token() {
    let (logs, _guard) = Logs::capture();
    let w = world().await;
    w.kintone.echo_headers_in_errors();
    w.kintone
        .fault_at("POST", COMMENT, 520, "CB_VA01", "Missing or invalid input.");
    assert_eq!(w.deliver(&[w.line.postback_event(USER, DATA)]).await.0, 200);
    let acks = acks_eventually(&w, 1).await;
    inbox_drained(&w).await;

    let logged = logs.text();
    assert!(logged.contains("write-back refused by kintone"), "{logged}");
    assert_no_token("the log", &logged);
    assert_no_token("the store", &store_text(&w).await);
    assert_no_token("the Reply", &format!("{:?}", w.line.replies()));
    assert_eq!(reply_texts(&w), [refused(&w)], "the gateway's own sentence");
    // The echo did reach the gateway, and was scrubbed; the code stays for
    // an admin.
    let outcome = &acks[0].outcome;
    assert!(
        outcome.starts_with("failed") && outcome.contains("CB_VA01"),
        "{outcome}"
    );
    assert!(outcome.contains("[redacted]"), "{outcome}");
}

#[tokio::test]
async fn a_line_error_that_echoes_the_access_token_keeps_no_token() {
    let (logs, _guard) = Logs::capture();
    let w = world().await;
    // Every Reply is refused (its token expired at once), by a page that
    // echoes the request's `Authorization: Bearer …`.
    w.line.set_reply_ttl(std::time::Duration::ZERO);
    w.line.echo_headers_in_errors();
    assert_eq!(w.deliver(&[w.line.postback_event(USER, DATA)]).await.0, 200);
    inbox_drained(&w).await;
    eventually(5, || w.line.reply_calls() >= 1).await;
    // The audit row, written before the Reply, is corrected after it.
    until(5, "the failed Reply audited", || async {
        acks_eventually(&w, 1).await[0].reply != "replied"
    })
    .await;
    let acks = acks_eventually(&w, 1).await;

    let logged = logs.text();
    assert!(logged.contains("Reply failed"), "{logged}");
    assert_no_token("the log", &logged);
    assert_no_token("the store", &store_text(&w).await);
    // The echo did reach the gateway, and was scrubbed.
    let reply = &acks[0].reply;
    assert!(reply.starts_with("reply-failed"), "{reply}");
    assert!(reply.contains("[redacted]"), "{reply}");
}

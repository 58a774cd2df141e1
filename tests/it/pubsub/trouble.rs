//! Pub/Sub unreachable longer than `[ingress.pubsub] trouble_after`: the
//! pull loop's state reaches the indicator, which shows trouble.

use std::sync::atomic::Ordering;

use crate::world::{until, World, COMMENT_ACK};

#[tokio::test]
async fn pubsub_unreachable_past_trouble_after_shows_trouble() {
    // Nothing listens on this port: every pull fails at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let tail = format!(
        "[indicator]\nbackend = \"none\"\n\n[ingress]\nmode = [\"http\", \"pubsub\"]\n\n[ingress.pubsub]\nproject = \"klg-test\"\nsubscription = \"nowhere\"\napi_base = \"http://{closed}\"\ntrouble_after = \"1s\"\n"
    );
    let w = World::start_with(COMMENT_ACK, &tail, |_| {}).await;
    let gw = w.gateway();
    until(10, "a pull failed", || async {
        gw.metrics.pubsub.down.load(Ordering::Relaxed) == 1
    })
    .await;
    // LINE and kintone answer: only Pub/Sub's outage can make it trouble,
    // and `[indicator] trouble_after` (5 min by default) is not waited for.
    until(15, "the indicator shows trouble", || async {
        gw.metrics.indicator_state.load(Ordering::Relaxed) == 2
    })
    .await;
    assert_eq!(gw.metrics.line_down.load(Ordering::Relaxed), 0);
    assert_eq!(gw.metrics.kintone_down.load(Ordering::Relaxed), 0);
}

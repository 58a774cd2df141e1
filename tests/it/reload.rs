//! Secrets rotated and config reloaded without a restart (issue #20): during
//! a rotation a webhook signed or sent with the old or the new secret is
//! accepted; a reload swaps what can change live and keeps the old config
//! when the new one has problems.

use kintone_line_gateway::sim::line::DEFAULT_SECRET;
use kintone_line_gateway::sim::site::RELAY_TOKEN;

use crate::world::{rows, World, COMMENT_ACK, USER};

const OLD_SECRET: &str = "the-channel-secret-before-reissue";

/// The channel secret listed `[new, old]`: LINE signs with the old one until
/// the console reissues it, then with the new one; both are stored. A
/// signature with neither is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_signed_with_either_secret_of_a_rotation_is_stored() {
    let w = World::start_tuned(
        |s| s.previous_channel_secret = Some(OLD_SECRET.into()),
        COMMENT_ACK,
        "",
        |_| {},
    )
    .await;
    w.line.reissue_secret(OLD_SECRET);
    let (status, _) = w.deliver(&[w.line.follow_event(USER)]).await;
    assert_eq!(status, 200, "signed with the old secret");
    w.line.reissue_secret(DEFAULT_SECRET);
    let (status, _) = w.deliver(&[w.line.follow_event(USER)]).await;
    assert_eq!(status, 200, "signed with the new secret");
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM inbox").await, 2);
    w.line.reissue_secret("a-secret-neither-of-them");
    let (status, _) = w.deliver(&[w.line.follow_event(USER)]).await;
    assert_eq!(status, 401, "a signature with neither secret");
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM inbox").await, 2);
}

/// The relay token listed `[new, old]`: the relay may send either while it is
/// being redeployed; anything else is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn either_relay_token_of_a_rotation_is_accepted() {
    let old = "the-relay-token-before-rotation-0123";
    let w = World::start_tuned(
        |s| {
            s.server =
                "relay_token = [{ file = \"relay-token\" }, { file = \"relay-token-old\" }]".into();
            s.secrets = vec![("relay-token-old".into(), old.into())];
        },
        COMMENT_ACK,
        "",
        |_| {},
    )
    .await;
    let post = |token: &'static str| {
        let (body, signature) = w.line.webhook(&[w.line.follow_event(USER)]);
        let url = w.line_webhook_url();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-line-signature", signature)
                .header("x-relay-token", token)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(post(RELAY_TOKEN).await, 200, "the new token");
    assert_eq!(post(old).await, 200, "the old token");
    assert_eq!(post("not-a-token-of-this-gateway-012345").await, 401);
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM inbox").await, 2);
}

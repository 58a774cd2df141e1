//! Secrets rotated and config reloaded without a restart (issue #20): during
//! a rotation a webhook signed or sent with the old or the new secret is
//! accepted; a reload swaps what can change live and keeps the old config
//! when the new one has problems.

use kintone_line_gateway::daemon::{ReloadError, Reloaded};
use kintone_line_gateway::sim::line::DEFAULT_SECRET;
use kintone_line_gateway::sim::site::{NOTIFY_TOKEN, RELAY_TOKEN};

use crate::world::{baseline, changes_judged, eventually, rows, World, COMMENT_ACK, USER};

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

/// Webhooks on; the poller only sets the baseline.
const WEBHOOK: &str = "webhook_token = { file = \"hook-token\" }\npoll_interval = \"60s\"";

fn rule_to(status: &str) -> String {
    format!(
        "[[rules]]\napp = 1\nto = [\"{status}\"]\nrecipients = [\"{USER}\"]\n\n[notify]\ndebounce = \"0s\"\n"
    )
}

/// Record ids on the Acknowledge buttons of every push so far.
fn pushed_records(w: &World) -> Vec<String> {
    w.line
        .pushes()
        .iter()
        .flat_map(|p| {
            let text = p.to_string();
            text.split("ack:v1::1:")
                .skip(1)
                .filter_map(|s| s.split(':').next().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A rule changed in the file and reloaded: the next change is judged by
/// the new rule (and no longer by the old one), without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reloaded_rule_takes_effect_at_once() {
    let mut w = World::start_with(WEBHOOK, &rule_to("Needs approval"), |k| {
        k.set_record(5, 1, "Open");
        k.set_record(6, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.site.tail = rule_to("Done");
    let done = w.gateway().reload(&w.config_path()).expect("a good config");
    assert_eq!(done.live, ["rules[0].to"], "{done:?}");
    assert!(done.restart.is_empty(), "{done:?}");
    w.kintone.user_sets_status(6, "Needs approval");
    changes_judged(&w, 1).await;
    w.kintone.user_sets_status(5, "Done");
    eventually(10, || !w.line.pushes().is_empty()).await;
    changes_judged(&w, 2).await;
    assert_eq!(pushed_records(&w), ["5"], "only the new rule notifies");
}

/// A config with problems changes nothing: every problem is returned (the
/// daemon logs them), the old rules and secrets stay in effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_config_is_refused_whole_and_the_old_one_kept() {
    let mut w = World::start_with(WEBHOOK, &rule_to("Needs approval"), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    let good = w.site.clone();
    w.site.tail = rule_to("Done").replace("to = ", "too = ");
    w.site.channel_secret = "a-new-secret-the-reload-must-not-take".into();
    w.site.line_settings = "reply_deadline = \"forever\"".into();
    let Err(ReloadError::Config(e)) = w.gateway().reload(&w.config_path()) else {
        panic!("a bad config was applied");
    };
    let keys: Vec<&str> = e.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["line.reply_deadline", "rules[0].too"], "{e}");
    // LINE still signs with the old secret, and the old rule still holds.
    let (status, _) = w.deliver(&[w.line.follow_event(USER)]).await;
    assert_eq!(status, 200, "the old channel secret is still in effect");
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(10, || !w.line.pushes().is_empty()).await;
    assert_eq!(pushed_records(&w), ["5"]);
    // Fixed again: it reloads, and what changed since is named.
    w.site = good;
    let done = w.gateway().reload(&w.config_path()).expect("good again");
    assert_eq!(
        done,
        Reloaded::default(),
        "nothing differs from the running config"
    );
}

/// Reloads under a stream of signed webhooks, rotating the channel secret
/// on the way: every webhook is answered 200 and stored, none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_under_load_loses_no_webhook() {
    let mut w = World::start_with(COMMENT_ACK, "", |_| {}).await;
    let sent = 300;
    let stream = {
        let url = w.line_webhook_url();
        let bodies: Vec<_> = (0..sent)
            .map(|_| w.line.webhook(&[w.line.follow_event(USER)]))
            .collect();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut statuses = Vec::new();
            for (body, signature) in bodies {
                let status = client
                    .post(&url)
                    .header("x-line-signature", signature)
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                statuses.push(status.unwrap_or(0));
            }
            statuses
        })
    };
    // Reload while the stream runs: the secret rotates to [new, old] and
    // back, the rules change — all signed with the old secret stay valid.
    let mut reloads = 0;
    while !stream.is_finished() {
        w.site.previous_channel_secret = (reloads % 2 == 0).then(|| "an-old-one-0123".into());
        w.site.tail = if reloads % 2 == 0 {
            rule_to("Done")
        } else {
            String::new()
        };
        w.gateway().reload(&w.config_path()).expect("a good config");
        reloads += 1;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let statuses = stream.await.unwrap();
    assert!(
        reloads >= 3,
        "the stream ended before reloads overlapped it ({reloads})"
    );
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM inbox").await, sent);
}

/// Poll passes begun so far: each reads from the first record id on.
fn passes(w: &World) -> usize {
    w.kintone
        .requests()
        .iter()
        .filter(|r| r.path == "/k/v1/records.json")
        .filter_map(|r| r.query_param("query"))
        .filter(|q| q.contains("$id > 0 "))
        .count()
}

/// A shorter `poll_interval` reloaded: the poller, asleep for a minute,
/// polls at once and then at the new interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reloaded_poll_interval_takes_effect_without_waiting_out_the_old_one() {
    let mut w = World::start_with("poll_interval = \"60s\"", &rule_to("Done"), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    let begun = passes(&w);
    w.site.app = "poll_interval = \"5s\"\nallow_over_budget = true".into();
    let done = w.gateway().reload(&w.config_path()).expect("a good config");
    assert_eq!(
        done.live,
        [
            "kintone.apps[0].poll_interval",
            "kintone.apps[0].allow_over_budget"
        ],
        "{done:?}"
    );
    assert!(done.restart.is_empty(), "{done:?}");
    eventually(30, || passes(&w) >= begun + 2).await;
}

/// `/api/notify`'s tokens are live: the first one added by a reload turns
/// the endpoint on; a token file rewritten in place (a rotation) is read
/// again, the old value refused from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_api_tokens_are_added_and_rotated_by_a_reload() {
    const ROTATED: &str = "the-rotated-notify-token-0123456789";
    let mut w = World::start_with(COMMENT_ACK, "", |_| {}).await;
    let url = format!("http://{}/api/notify", w.gateway().addr());
    let post = |token: &'static str| {
        let url = url.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .form(&[("message", "backup finished")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        post(NOTIFY_TOKEN).await,
        404,
        "no token configured: no endpoint"
    );

    w.site.tail = format!(
        "[[notify_api.tokens]]\nname = \"backup\"\ntoken = {{ file = \"api-token\" }}\nto = [\"{USER}\"]\n"
    );
    w.site.secrets = vec![("api-token".into(), NOTIFY_TOKEN.into())];
    let done = w.gateway().reload(&w.config_path()).expect("a good config");
    assert_eq!(done.live, ["notify_api"], "{done:?}");
    assert_eq!(post(NOTIFY_TOKEN).await, 200, "the new token works at once");

    w.site.secrets = vec![("api-token".into(), ROTATED.into())];
    let done = w.gateway().reload(&w.config_path()).expect("a good config");
    assert_eq!(done.live, ["notify_api.tokens[0].token"], "{done:?}");
    assert_eq!(post(NOTIFY_TOKEN).await, 401, "the old value is refused");
    assert_eq!(post(ROTATED).await, 200);
    assert_eq!(rows(&w, "SELECT COUNT(*) FROM outbox").await, 2);
}

/// A long-lived channel access token reissued in the console (the old one
/// stops working there at once) and written over its file: a reload swaps
/// it in, and the next push carries it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reissued_access_token_is_used_after_a_reload() {
    const REISSUED: &str = "the-reissued-long-lived-access-token";
    let mut w = World::start_with(WEBHOOK, &rule_to("Needs approval"), |k| {
        k.set_record(5, 1, "Open");
    })
    .await;
    baseline(&w).await;
    w.line.require_token(REISSUED);
    w.site.secrets = vec![("access-token".into(), REISSUED.into())];
    let done = w.gateway().reload(&w.config_path()).expect("a good config");
    assert_eq!(done.live, ["line.access_token"], "{done:?}");
    assert!(done.restart.is_empty(), "{done:?}");
    w.kintone.user_sets_status(5, "Needs approval");
    eventually(10, || !w.line.pushes().is_empty()).await;
    assert_eq!(pushed_records(&w), ["5"], "pushed with the reissued token");
}

/// An app's API token regenerated in kintone and its acknowledgement texts
/// changed: after a reload the next tap is written back with the new token
/// and answered with the new words, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apps_new_token_and_texts_are_used_after_a_reload() {
    const REGENERATED: &str = "the-regenerated-app-api-token";
    let mut w = World::start_with(COMMENT_ACK, "", |k| k.set_record(5, 3, "Urgent")).await;
    w.store()
        .seed_notification_to(
            "abc123",
            5,
            "",
            kintone_line_gateway::clock::now_ms(),
            &[USER],
        )
        .await
        .expect("seeding the notification");
    w.kintone.reissue_token(REGENERATED);
    w.site.secrets = vec![("app-token".into(), REGENERATED.into())];
    w.site.app = COMMENT_ACK
        .replace("Acknowledged by {{name}}", "Seen by {{name}}")
        .replace("✓ Recorded", "✓ Noted");
    let done = w.gateway().reload(&w.config_path()).expect("a good config");
    assert_eq!(
        done.live,
        [
            "kintone.apps[0].ack.comment",
            "kintone.apps[0].ack.reply",
            "kintone.apps[0].api_token"
        ],
        "{done:?}"
    );
    assert!(done.restart.is_empty(), "{done:?}");
    let tap = w.line.postback_event(USER, "ack:v1::1:5:abc123");
    assert_eq!(w.deliver(&[tap]).await.0, 200);
    eventually(10, || w.line.replies().len() == 1).await;
    assert_eq!(w.line.replies()[0]["messages"][0]["text"], "✓ Noted — #5");
    let comments = w.kintone.comment_texts();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].starts_with("Seen by "), "{comments:?}");
}

//! OAuth 2 for the real service, against an in-process token endpoint that
//! checks the JWT as Google does: RS256 signature by the key's public half,
//! issuer, audience, scope and lifetime. And a fake Pub/Sub that takes only
//! the token it issued last.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kintone_line_gateway::clock::now_ms;
use kintone_line_gateway::pubsub::{PubsubClient, PubsubError, ServiceAccount};
use kintone_line_gateway::secret::Secret;
use kintone_line_gateway::sim::http::{url_decode_pairs, SimRequest, SimResponse, SimServer};
use serde_json::{json, Value};

const KEY: &str = include_str!("../../data/pubsub-test-key.pem");
const OTHER_KEY: &str = include_str!("../../data/pubsub-other-key.pem");
const PUBLIC_KEY: &[u8] = include_bytes!("../../data/pubsub-test-key.pub.der");
const EMAIL: &str = "board@klg-test.iam.gserviceaccount.com";

#[derive(Default)]
struct Google {
    token_requests: AtomicUsize,
    /// `expires_in` of the next tokens.
    lifetime_s: AtomicI64,
    /// The token Pub/Sub takes (the last one issued; none once revoked).
    valid: Mutex<Option<String>>,
    token_url: Mutex<String>,
}

/// Why the fake token endpoint refuses an assertion, if it does.
fn check_assertion(g: &Google, req: &SimRequest) -> Result<(), String> {
    let form = url_decode_pairs(std::str::from_utf8(&req.body).map_err(|e| e.to_string())?);
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return Err("grant_type".into());
    }
    let jwt = field("assertion").ok_or("no assertion")?;
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, sig] = parts[..] else {
        return Err("not three parts".into());
    };
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|e| e.to_string())?;
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        PUBLIC_KEY,
    )
    .verify(format!("{header}.{claims}").as_bytes(), &sig)
    .map_err(|_| "bad signature")?;
    let json = |s: &str| -> Result<Value, String> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    let (h, c) = (json(header)?, json(claims)?);
    let now_s = now_ms() / 1000;
    let iat = c["iat"].as_i64().unwrap_or(0);
    let ok = h["alg"] == "RS256"
        && h["kid"] == "key-1"
        && c["iss"] == EMAIL
        && c["scope"] == "https://www.googleapis.com/auth/pubsub"
        && c["aud"] == *g.token_url.lock().unwrap()
        && (iat - now_s).abs() < 60
        && c["exp"].as_i64() == Some(iat + 3600);
    ok.then_some(()).ok_or(format!("claims {h} {c}"))
}

async fn google() -> (Arc<Google>, SimServer) {
    let g = Arc::new(Google::default());
    g.lifetime_s.store(3600, Ordering::Relaxed);
    let state = g.clone();
    let server = SimServer::start(Arc::new(move |req: SimRequest| {
        let g = state.clone();
        Box::pin(async move {
            if req.path == "/token" {
                g.token_requests.fetch_add(1, Ordering::Relaxed);
                if let Err(why) = check_assertion(&g, &req) {
                    return SimResponse::json(400, &json!({ "error": "invalid_grant", "why": why }));
                }
                let n = g.token_requests.load(Ordering::Relaxed);
                let token = format!("tok-{n}");
                *g.valid.lock().unwrap() = Some(token.clone());
                let lifetime = g.lifetime_s.load(Ordering::Relaxed);
                return SimResponse::json(
                    200,
                    &json!({ "access_token": token, "expires_in": lifetime, "token_type": "Bearer" }),
                );
            }
            let valid = g.valid.lock().unwrap().clone();
            let presented = req.header("authorization").map(str::to_owned);
            if valid.is_none() || presented != valid.map(|t| format!("Bearer {t}")) {
                return SimResponse::json(401, &json!({ "error": { "code": 401 } }));
            }
            SimResponse::json(
                200,
                &json!({ "name": req.path, "topic": "projects/klg-test/topics/hooks", "ackDeadlineSeconds": 30 }),
            )
        })
    }))
    .await
    .expect("fake Google");
    *g.token_url.lock().unwrap() = format!("{}/token", server.base_url());
    (g, server)
}

fn key_file(pem: &str, server: &SimServer) -> Secret {
    Secret::new(
        json!({
            "type": "service_account",
            "project_id": "klg-test",
            "private_key_id": "key-1",
            "private_key": pem,
            "client_email": EMAIL,
            "token_uri": format!("{}/token", server.base_url()),
        })
        .to_string(),
    )
}

fn client(key: &Secret, server: &SimServer) -> PubsubClient {
    PubsubClient::new(
        &server.base_url(),
        "klg-test",
        "board-main",
        Some(key),
        Duration::from_secs(5),
    )
    .expect("client")
}

#[tokio::test]
async fn the_signed_jwt_is_exchanged_for_a_token_that_is_cached() {
    let (g, server) = google().await;
    let c = client(&key_file(KEY, &server), &server);
    let info = c.subscription().await.expect("subscription");
    assert_eq!(info.topic, "projects/klg-test/topics/hooks");
    assert_eq!(info.ack_deadline_s, 30);
    c.subscription().await.expect("again");
    assert_eq!(
        g.token_requests.load(Ordering::Relaxed),
        1,
        "the token is cached"
    );

    // A key Google does not know is refused at the token endpoint.
    let stranger = client(&key_file(OTHER_KEY, &server), &server);
    let err = stranger.subscription().await.unwrap_err();
    assert!(
        matches!(err, PubsubError::Rejected { status: 400, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_expiring_token_is_replaced_and_a_refused_one_forgotten() {
    let (g, server) = google().await;
    // Tokens that are already due for renewal when they arrive.
    g.lifetime_s.store(0, Ordering::Relaxed);
    let c = client(&key_file(KEY, &server), &server);
    c.subscription().await.expect("first");
    c.subscription().await.expect("second");
    assert_eq!(
        g.token_requests.load(Ordering::Relaxed),
        2,
        "renewed, not reused"
    );

    g.lifetime_s.store(3600, Ordering::Relaxed);
    c.subscription().await.expect("third");
    assert_eq!(g.token_requests.load(Ordering::Relaxed), 3);
    // Revoked early: Pub/Sub answers 401 once, the next call gets a new one.
    *g.valid.lock().unwrap() = None;
    let err = c.subscription().await.unwrap_err();
    assert!(
        matches!(err, PubsubError::Denied { status: 401, .. }),
        "{err:?}"
    );
    c.subscription().await.expect("with a fresh token");
    assert_eq!(g.token_requests.load(Ordering::Relaxed), 4);
}

#[test]
fn the_key_never_prints() {
    let key = Secret::new(
        json!({ "private_key": KEY, "client_email": EMAIL, "token_uri": "http://x/token" })
            .to_string(),
    );
    let account = ServiceAccount::from_json(&key).expect("key");
    let shown = format!("{account:?}");
    assert!(
        !shown.contains("PRIVATE") && !shown.contains(&KEY[40..80]),
        "{shown}"
    );
    let broken = Secret::new(json!({ "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "client_email": EMAIL, "token_uri": "x" }).to_string());
    let err = ServiceAccount::from_json(&broken).unwrap_err().to_string();
    assert!(!err.contains("AAAA"), "{err}");
}

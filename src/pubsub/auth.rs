//! OAuth 2 for Google: a service-account key signs a JWT (RS256) that the
//! key's `token_uri` exchanges for a bearer token (the JWT bearer grant,
//! RFC 7523); the token is cached and fetched again before it expires.
//!
//! Signed with ring, which rustls already links (no OpenSSL, no aws-lc);
//! the PEM key is read by rustls-pki-types, also already linked. The JWT
//! itself is two base64url JSON objects and a signature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::PrivatePkcs8KeyDer;
use tokio::sync::Mutex;

use super::PubsubError;
use crate::secret::Secret;

/// What the token is for: pulling and acknowledging.
pub const SCOPE: &str = "https://www.googleapis.com/auth/pubsub";
/// Google grants tokens for an hour; the assertion asks for that.
const ASSERTION_LIFETIME_S: i64 = 3600;
/// A token is replaced this long before it expires, so no request carries
/// one that runs out on the way.
const REFRESH_EARLY_MS: i64 = 300_000;

/// A service-account key (the JSON file the console downloads).
pub struct ServiceAccount {
    client_email: String,
    key_id: Option<String>,
    token_uri: String,
    key: RsaKeyPair,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("key", &"[redacted]")
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct KeyFile {
    client_email: String,
    private_key: String,
    private_key_id: Option<String>,
    token_uri: String,
}

impl ServiceAccount {
    /// Reads the key file's JSON. Errors never quote the key.
    ///
    /// # Errors
    /// [`PubsubError::Key`]: not the JSON of a service-account key, or its
    /// private key is not an RSA PKCS#8 PEM.
    pub fn from_json(key: &Secret) -> Result<ServiceAccount, PubsubError> {
        let bad = |why: &str| PubsubError::Key(why.to_owned());
        let file: KeyFile = serde_json::from_str(key.expose()).map_err(|_| {
            bad("not a service-account key JSON (client_email, private_key, token_uri)")
        })?;
        let der = PrivatePkcs8KeyDer::from_pem_slice(file.private_key.as_bytes())
            .map_err(|_| bad("private_key is not a PKCS#8 PEM (\"BEGIN PRIVATE KEY\")"))?;
        let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|_| bad("private_key is not a usable RSA key"))?;
        Ok(ServiceAccount {
            client_email: file.client_email,
            key_id: file.private_key_id,
            token_uri: file.token_uri,
            key,
        })
    }

    /// The signed assertion for the token endpoint, issued at `now_s`.
    ///
    /// # Errors
    /// [`PubsubError::Key`] if ring cannot sign (it does not, for a key it
    /// accepted).
    pub fn assertion(&self, now_s: i64) -> Result<String, PubsubError> {
        let mut header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
        if let Some(kid) = &self.key_id {
            header["kid"] = kid.clone().into();
        }
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now_s,
            "exp": now_s + ASSERTION_LIFETIME_S,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| PubsubError::Key("signing the assertion failed".into()))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

struct Cached {
    token: Secret,
    /// Wall ms after which it is replaced.
    renew_at_ms: i64,
}

/// Bearer tokens for one service account, cached.
pub struct TokenSource {
    account: ServiceAccount,
    http: reqwest::Client,
    cached: Mutex<Option<Cached>>,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: i64,
}

impl TokenSource {
    pub fn new(account: ServiceAccount, http: reqwest::Client) -> TokenSource {
        TokenSource {
            account,
            http,
            cached: Mutex::new(None),
        }
    }

    /// A token valid for a while yet: the cached one, or a new one.
    ///
    /// # Errors
    /// The token endpoint could not be reached, or refused the key.
    pub async fn token(&self) -> Result<Secret, PubsubError> {
        let mut cached = self.cached.lock().await;
        let now = crate::clock::now_ms();
        if let Some(c) = cached.as_ref().filter(|c| now < c.renew_at_ms) {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch(now).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Drops the cached token (Pub/Sub refused it: revoked or expired early).
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self, now_ms: i64) -> Result<Cached, PubsubError> {
        let assertion = self.account.assertion(now_ms / 1000)?;
        let resp = self
            .http
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| PubsubError::unreachable("the token endpoint", e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            // The body may echo the assertion: only its size is kept.
            return Err(PubsubError::from_status("the token endpoint", status));
        }
        let answer: TokenAnswer = resp.json().await.map_err(|_| {
            PubsubError::Protocol("the token endpoint's answer is not a token".into())
        })?;
        let lifetime_ms = answer.expires_in.saturating_mul(1000);
        // A short-lived token is renewed at half its life instead.
        let early = REFRESH_EARLY_MS.min(lifetime_ms / 2);
        tracing::debug!(
            expires_in = answer.expires_in,
            "Pub/Sub access token obtained"
        );
        Ok(Cached {
            token: Secret::new(answer.access_token),
            renew_at_ms: now_ms + lifetime_ms - early,
        })
    }
}

//! The webhook signature check, as a change of type.
//!
//! LINE signs the raw body bytes: `x-line-signature` is
//! base64(HMAC-SHA256(channel secret, body)). Only a [`VerifiedWebhook`] can be
//! parsed into events, and the only way to get one is [`RawWebhook::verify`] —
//! so no code path can act on an unsigned or re-serialised body.

use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::{Rotation, Secret, Which};

/// The channel secret: the HMAC key for webhook signatures (and the client
/// secret for stateless channel access tokens).
#[derive(Debug, Clone)]
pub struct ChannelSecret(Secret);

impl ChannelSecret {
    pub fn new(secret: Secret) -> Self {
        ChannelSecret(secret)
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }

    fn mac(&self) -> Hmac<Sha256> {
        mac(&self.0)
    }

    /// The signature LINE would send for `body`. Used by the simulators and
    /// tests; the gateway itself only verifies.
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }
}

fn mac(key: &Secret) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    <Hmac<Sha256> as Mac>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// A webhook as it arrived: bytes untouched, signature header as sent.
#[derive(Debug)]
pub struct RawWebhook {
    pub body: Bytes,
    pub signature: Option<String>,
}

/// A webhook whose signature matched. Its body may be parsed.
#[derive(Debug)]
pub struct VerifiedWebhook {
    body: Bytes,
}

impl VerifiedWebhook {
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// Why a webhook was refused. Both answer 401; neither says more to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing x-line-signature header")]
    Missing,
    #[error("x-line-signature does not match the body")]
    Mismatch,
}

impl RawWebhook {
    /// Checks the signature over the exact bytes, in constant time.
    ///
    /// # Errors
    /// [`SignatureError::Missing`] without a header; [`SignatureError::Mismatch`]
    /// when it is not base64 or does not match.
    pub fn verify(self, secret: &ChannelSecret) -> Result<VerifiedWebhook, SignatureError> {
        self.verify_rotation(&Rotation::one(secret.0.clone()))
            .map(|(v, _)| v)
    }

    /// Checks the signature against each secret of a rotation (`[new, old]`),
    /// in constant time each, and says which one LINE signed with.
    ///
    /// # Errors
    /// As [`RawWebhook::verify`], when neither matches.
    pub fn verify_rotation(
        self,
        secrets: &Rotation,
    ) -> Result<(VerifiedWebhook, Which), SignatureError> {
        let sig = self.signature.as_deref().ok_or(SignatureError::Missing)?;
        let expected = base64::engine::general_purpose::STANDARD
            .decode(sig.trim())
            .map_err(|_| SignatureError::Mismatch)?;
        let which = secrets.each().find_map(|(which, key)| {
            let mut mac = mac(key);
            mac.update(&self.body);
            // `verify_slice` compares in constant time.
            mac.verify_slice(&expected).is_ok().then_some(which)
        });
        let which = which.ok_or(SignatureError::Mismatch)?;
        Ok((VerifiedWebhook { body: self.body }, which))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // LINE's official test vector (FACTS.md).
    const BODY: &str = r#"{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}"#;
    const SECRET: &str = "8c570fa6dd201bb328f1c1eac23a96d8";
    const SIGNATURE: &str = "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs=";

    fn secret() -> ChannelSecret {
        ChannelSecret::new(Secret::new(SECRET))
    }

    fn raw(body: &str, sig: Option<&str>) -> RawWebhook {
        RawWebhook {
            body: Bytes::copy_from_slice(body.as_bytes()),
            signature: sig.map(str::to_owned),
        }
    }

    #[test]
    fn official_test_vector_verifies() {
        assert_eq!(secret().sign(BODY.as_bytes()), SIGNATURE);
        let v = raw(BODY, Some(SIGNATURE)).verify(&secret()).unwrap();
        assert_eq!(v.body(), BODY.as_bytes());
    }

    #[test]
    fn forged_missing_and_reserialised_are_refused() {
        assert_eq!(
            raw(BODY, None).verify(&secret()).unwrap_err(),
            SignatureError::Missing
        );
        let forged = "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLQ=";
        assert_eq!(
            raw(BODY, Some(forged)).verify(&secret()).unwrap_err(),
            SignatureError::Mismatch
        );
        assert_eq!(
            raw(BODY, Some("not base64!"))
                .verify(&secret())
                .unwrap_err(),
            SignatureError::Mismatch
        );
        // Same JSON, different bytes (a relay that pretty-printed it).
        let reserialised = r#"{"destination": "U8e742f61d673b39c7fff3cecb7536ef0", "events": []}"#;
        assert_eq!(
            raw(reserialised, Some(SIGNATURE))
                .verify(&secret())
                .unwrap_err(),
            SignatureError::Mismatch
        );
        let wrong_secret = ChannelSecret::new(Secret::new("8c570fa6dd201bb328f1c1eac23a96d9"));
        assert!(raw(BODY, Some(SIGNATURE)).verify(&wrong_secret).is_err());
    }

    #[test]
    fn during_a_rotation_either_secret_verifies_and_says_which() {
        let new = Secret::new("8c570fa6dd201bb328f1c1eac23a96d9");
        let rotating = Rotation::rotating(new.clone(), Secret::new(SECRET));
        let (_, which) = raw(BODY, Some(SIGNATURE))
            .verify_rotation(&rotating)
            .unwrap();
        assert_eq!(which, Which::Previous);
        let signed_new = ChannelSecret::new(new.clone()).sign(BODY.as_bytes());
        let (_, which) = raw(BODY, Some(&signed_new))
            .verify_rotation(&rotating)
            .unwrap();
        assert_eq!(which, Which::Current);
        let after = Rotation::one(new);
        assert_eq!(
            raw(BODY, Some(SIGNATURE))
                .verify_rotation(&after)
                .unwrap_err(),
            SignatureError::Mismatch,
            "once the old secret is dropped, its signatures are refused"
        );
    }
}

//! A lock's key as a caller presented it: the token itself, in a request
//! to the board, or its SHA-256, as the relay publishes it to Pub/Sub so
//! that the token is never kept in Google's queue (messages wait there for
//! days, readable by whoever may read the subscription).

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Secret;

/// A presented token, or its digest.
#[derive(Clone, Copy)]
pub enum Presented<'a> {
    /// The token itself (a path token, a bearer token).
    Token(&'a str),
    /// Its SHA-256, hexadecimal (`*_sha256` attributes).
    Sha256(&'a str),
}

impl Presented<'_> {
    /// Whether this is `secret`: compared in constant time, so that the
    /// time taken says nothing of how close it came.
    pub fn opens(&self, secret: &Secret) -> bool {
        match self {
            Presented::Token(t) => bool::from(secret.expose().as_bytes().ct_eq(t.as_bytes())),
            Presented::Sha256(presented) => {
                let digest = sha256_hex(secret.expose());
                let presented = presented.to_ascii_lowercase();
                bool::from(digest.as_bytes().ct_eq(presented.as_bytes()))
            }
        }
    }
}

impl fmt::Debug for Presented<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Presented::Token(_) => "Token([redacted])",
            Presented::Sha256(_) => "Sha256([redacted])",
        })
    }
}

/// SHA-256 of `text`'s bytes, in lowercase hexadecimal (as the relay's
/// `crypto.createHash('sha256').digest('hex')` writes it).
pub fn sha256_hex(text: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_by_itself_or_by_its_digest_and_nothing_else_does() {
        let secret = Secret::new("hook-token-0123456789abcdef");
        // `printf %s hook-token-0123456789abcdef | sha256sum`
        let real = sha256_hex(secret.expose());
        assert_eq!(
            real,
            "12df676709b1133cda4d78cdf02b83f4241affcededcd83376925b66412d87be"
        );
        let other = sha256_hex("hook-token-0123456789abcdeF");
        assert!(Presented::Token("hook-token-0123456789abcdef").opens(&secret));
        assert!(Presented::Sha256(&real).opens(&secret));
        assert!(Presented::Sha256(&real.to_ascii_uppercase()).opens(&secret));
        assert!(!Presented::Sha256(&other).opens(&secret));
        assert!(
            !Presented::Token(&real).opens(&secret),
            "the digest is not the token"
        );
        assert!(!Presented::Sha256("hook-token-0123456789abcdef").opens(&secret));
        assert!(!Presented::Token("hook-token-0123456789abcde").opens(&secret));
        assert!(!format!("{:?}", Presented::Token("hook-token")).contains("hook"));
    }
}

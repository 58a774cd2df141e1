//! Scrubbing upstream text before the gateway keeps it.
//!
//! An error body from LINE, kintone or a proxy in between is text the
//! gateway did not write: a proxy that echoes the request puts our own
//! `Authorization` or `X-Cybozu-API-Token` header into it. The clients hand
//! every such text through a [`Redactor`] that knows the secrets they sent,
//! before the text becomes part of an error — and so of a log line, an
//! `inbox.last_error` or an audit row.

use base64::Engine as _;

use super::Secret;

/// What a removed secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Runs of token characters at least this long are taken for a token we do
/// not know (a LINE channel access token is about 170, a kintone API token
/// 40): upstream messages name ids and field codes, which are shorter.
const TOKEN_LIKE_MIN: usize = 32;

/// Words after which the next value is a credential, whatever it looks like
/// (compared in lower case).
const CREDENTIAL_KEYS: &[&str] = &[
    "bearer",
    "basic",
    "x-cybozu-api-token",
    "x-cybozu-authorization",
    "authorization",
    "client_secret",
    "access_token",
];

/// The secrets a client sent, to be cut out of what came back.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// A redactor that knows no secret yet (it still removes credential-like
    /// text).
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Also removes `secret` — and, for a comma-separated list of kintone
    /// API tokens, each of them.
    #[must_use]
    pub fn with(mut self, secret: &Secret) -> Self {
        let text = secret.expose();
        for part in std::iter::once(text).chain(text.split(',')) {
            let part = part.trim();
            if !part.is_empty() && !self.secrets.iter().any(|s| s.expose() == part) {
                self.secrets.push(Secret::new(part));
            }
        }
        self
    }

    /// Also removes HTTP basic credentials: the password and the header value
    /// built from them.
    #[must_use]
    pub fn with_basic(self, user: &str, password: &Secret) -> Self {
        let raw = format!("{user}:{}", password.expose());
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
        self.with(password).with(&Secret::new(encoded))
    }

    /// `text` without any known secret, any value after a credential word
    /// (`Bearer …`, `X-Cybozu-API-Token: …`) and any long token-like run.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let mut known: Vec<&str> = self.secrets.iter().map(Secret::expose).collect();
        // Longest first: a token that contains another is removed whole.
        known.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in known {
            out = out.replace(s, REDACTED);
        }
        redact_token_like(&after_credential_words(&out))
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '~')
}

/// Replaces the value that follows each credential word.
fn after_credential_words(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some((start, key)) = next_key(&lower, at) {
        let after_key = start + key.len();
        let value_start = after_key
            + text[after_key..]
                .find(|c: char| !matches!(c, ' ' | ':' | '=' | '"' | '\''))
                .unwrap_or(text.len() - after_key);
        if ["bearer ", "basic "]
            .iter()
            .any(|scheme| lower[value_start..].starts_with(scheme))
        {
            // `Authorization: Bearer …`: the scheme's own turn is next.
            out.push_str(&text[at..value_start]);
            at = value_start;
            continue;
        }
        let value_len = text[value_start..]
            .find(|c: char| !is_token_char(c) && c != '.')
            .unwrap_or(text.len() - value_start);
        out.push_str(&text[at..value_start]);
        if looks_like_value(key, &text[after_key..value_start], value_len)
            && !text[value_start..].starts_with(REDACTED)
        {
            out.push_str(REDACTED);
        } else {
            out.push_str(&text[value_start..value_start + value_len]);
        }
        at = value_start + value_len;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether what follows a credential word is its value, not prose: a
/// header or field name needs `:` or `=` before it ("the authorization
/// header is invalid" keeps its words); a scheme (`Bearer`, `Basic`) needs a
/// space and a value of credential length ("Bearer token required" stays).
fn looks_like_value(key: &str, separator: &str, value_len: usize) -> bool {
    if matches!(key, "bearer" | "basic") {
        separator.starts_with(' ') && value_len >= 8
    } else {
        value_len > 0 && separator.contains([':', '='])
    }
}

/// The first credential word at or after `from` that stands alone (not the
/// tail of a longer word).
fn next_key(lower: &str, from: usize) -> Option<(usize, &'static str)> {
    CREDENTIAL_KEYS
        .iter()
        .filter_map(|k| {
            let mut search = from;
            while let Some(i) = lower[search..].find(k) {
                let start = search + i;
                let before = lower[..start].chars().next_back();
                let end = start + k.len();
                let after = lower[end..].chars().next();
                let alone = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if alone {
                    return Some((start, *k));
                }
                search = end;
            }
            None
        })
        .min_by_key(|(start, k)| (*start, std::cmp::Reverse(k.len())))
}

/// Replaces long runs of token characters that mix letters and digits.
fn redact_token_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let mixed =
            run.chars().any(|c| c.is_ascii_digit()) && run.chars().any(|c| c.is_ascii_alphabetic());
        if run.len() >= TOKEN_LIKE_MIN && mixed {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE_TOKEN: &str = "fJ8k2+Hq/Zr0wLmN4pXa9bYcD1eF3gH5iJ6kL7mN8oP9qR0sT1uV2wX3yZ4=";

    #[test]
    fn removes_configured_secrets_anywhere() {
        let r = Redactor::new().with(&Secret::new("hunter2"));
        assert_eq!(r.redact("pw=hunter2!"), "pw=[redacted]!");
        assert_eq!(r.redact("xhunter2x"), "x[redacted]x");
    }

    #[test]
    fn removes_each_of_several_api_tokens() {
        let r = Redactor::new().with(&Secret::new("tokA1,tokB2"));
        assert_eq!(r.redact("tokB2 and tokA1"), "[redacted] and [redacted]");
    }

    #[test]
    fn removes_basic_credentials_and_their_header() {
        let r = Redactor::new().with_basic("alice", &Secret::new("pw9"));
        let header = base64::engine::general_purpose::STANDARD.encode("alice:pw9");
        let out = r.redact(&format!("got {header} and pw9"));
        assert!(!out.contains(&header) && !out.contains("pw9"), "{out}");
    }

    #[test]
    fn removes_unknown_bearer_and_header_values() {
        let r = Redactor::new();
        let out = r.redact("authorization: Bearer short.tok1; X-Cybozu-API-Token: abc");
        assert_eq!(
            out,
            "authorization: Bearer [redacted]; X-Cybozu-API-Token: [redacted]"
        );
        let json = r.redact(r#"{"access_token":"eyJ.abc","x":1}"#);
        assert_eq!(json, r#"{"access_token":"[redacted]","x":1}"#);
    }

    #[test]
    fn removes_long_token_like_runs() {
        let out = Redactor::new().redact(&format!("echo {LINE_TOKEN} end"));
        assert_eq!(out, "echo [redacted] end");
    }

    #[test]
    fn keeps_ordinary_messages() {
        let r = Redactor::new().with(&Secret::new(LINE_TOKEN));
        for m in [
            "The specified record (ID: 5) is not found.",
            "Invalid reply token",
            "The value of the X-Line-Retry-Key header is invalid",
            "Missing or invalid input. basically fine",
            "non-JSON answer (512 bytes)",
            "Authentication failed. Confirm that the access token in the authorization header is valid.",
            "Bearer token required",
        ] {
            assert_eq!(r.redact(m), m);
        }
    }

    #[test]
    fn debug_names_no_secret() {
        let r = Redactor::new().with(&Secret::new("hunter2"));
        assert_eq!(format!("{r:?}"), "Redactor(1 secrets)");
    }
}

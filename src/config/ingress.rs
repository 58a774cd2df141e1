//! `[ingress]`: how webhooks reach the board — posted to its HTTP server,
//! pulled from a Google Cloud Pub/Sub subscription, or both.

use std::time::Duration;

use toml::{Table, Value};

use super::reader::Reader;
use super::section_words;
use crate::secret::Secret;

/// The service's address (the default `api_base`).
pub const PUBSUB_API_BASE: &str = "https://pubsub.googleapis.com";

/// `[ingress]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressConfig {
    /// Webhooks are taken on `/line/webhook` and `/kintone/webhook/…`. The
    /// listener serves `/healthz` and `/metrics` either way.
    pub http: bool,
    /// Webhooks are pulled from Pub/Sub.
    pub pubsub: Option<PubsubSettings>,
}

impl Default for IngressConfig {
    fn default() -> Self {
        IngressConfig {
            http: true,
            pubsub: None,
        }
    }
}

/// `[ingress.pubsub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubsubSettings {
    pub project: String,
    pub subscription: String,
    /// A service-account key JSON; none for the emulator.
    pub credentials: Option<Secret>,
    pub api_base: String,
    /// Messages per pull (flow control: at most this many in hand).
    pub max_messages: u32,
    /// How long Pub/Sub waits for an acknowledgement before redelivering.
    pub ack_deadline: Duration,
    /// Pub/Sub unreachable this long shows trouble on the indicator.
    pub trouble_after: Duration,
}

/// The default `trouble_after`: a few failed pulls are normal (a router
/// restarting), five minutes of them are not.
pub const PUBSUB_TROUBLE_AFTER: Duration = Duration::from_secs(300);

pub(super) fn read_ingress(r: &mut Reader, rest: &Table) -> IngressConfig {
    // The key is a secret like the core config's: `{ credential = … }` is
    // read from the service's credentials folder.
    if r.credentials_dir.is_none() {
        r.credentials_dir = std::env::var_os("CREDENTIALS_DIRECTORY").map(Into::into);
    }
    let Some(t) = r.opt_table(rest, "", "ingress") else {
        return IngressConfig::default();
    };
    r.unknown_keys(t, "ingress", &["mode", "pubsub"]);
    let (http, pubsub) = read_mode(r, t.get("mode"));
    let settings = r.opt_table(t, "ingress", "pubsub");
    let pubsub = match (pubsub, settings) {
        (true, Some(_)) if !cfg!(feature = "pubsub") => {
            r.said("ingress.mode", &section_words::NO_PUBSUB, &[]);
            None
        }
        (true, Some(s)) => read_pubsub(r, s),
        (true, None) => {
            r.said("ingress.pubsub", &section_words::PUBSUB_SECTION, &[]);
            None
        }
        (false, _) => None,
    };
    IngressConfig { http, pubsub }
}

fn read_mode(r: &mut Reader, v: Option<&Value>) -> (bool, bool) {
    let names: Vec<&str> = match v {
        None => return (true, false),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().unwrap_or("?")).collect(),
        Some(_) => vec!["?"],
    };
    if names.is_empty() || names.iter().any(|n| !matches!(*n, "http" | "pubsub")) {
        r.said("ingress.mode", &section_words::MODES, &[]);
        return (true, false);
    }
    (names.contains(&"http"), names.contains(&"pubsub"))
}

/// Pub/Sub resource ids: a letter, then letters, digits and `-_.~+%`.
fn valid_id(s: &str) -> bool {
    s.len() <= 255
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~+%".contains(c))
}

fn read_pubsub(r: &mut Reader, t: &Table) -> Option<PubsubSettings> {
    const P: &str = "ingress.pubsub";
    r.unknown_keys(
        t,
        P,
        &[
            "project",
            "subscription",
            "credentials",
            "api_base",
            "max_messages",
            "ack_deadline",
            "trouble_after",
        ],
    );
    let id = |r: &mut Reader, key: &str| {
        let v = r.str(t, P, key)?;
        if valid_id(&v) {
            Some(v)
        } else {
            r.said(format!("{P}.{key}"), &section_words::PUBSUB_ID, &[]);
            None
        }
    };
    let project = id(r, "project");
    let subscription = id(r, "subscription");
    let api_base = r.opt_str(t, P, "api_base");
    let emulator = api_base.is_some();
    let api_base = api_base.unwrap_or_else(|| PUBSUB_API_BASE.to_owned());
    if !api_base.starts_with("http://") && !api_base.starts_with("https://") {
        r.said(format!("{P}.api_base"), &section_words::HTTP_URL, &[]);
    }
    // The emulator takes no credentials; the service always needs them.
    let credentials = r.secret(t, P, "credentials", !emulator);
    let max_messages = match r.opt_int(t, P, "max_messages") {
        None => 100,
        Some(n @ 1..=1000) => n as u32,
        Some(_) => {
            r.said(
                format!("{P}.max_messages"),
                &section_words::MAX_MESSAGES,
                &[],
            );
            100
        }
    };
    let ack_deadline = r
        .opt_duration(t, P, "ack_deadline")
        .unwrap_or(Duration::from_secs(60));
    if !(10..=600).contains(&ack_deadline.as_secs()) || ack_deadline.subsec_nanos() != 0 {
        r.said(
            format!("{P}.ack_deadline"),
            &section_words::ACK_DEADLINE,
            &[],
        );
    }
    let trouble_after = r
        .opt_duration(t, P, "trouble_after")
        .unwrap_or(PUBSUB_TROUBLE_AFTER);
    Some(PubsubSettings {
        project: project?,
        subscription: subscription?,
        credentials,
        api_base,
        max_messages,
        ack_deadline,
        trouble_after,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn read(text: &str) -> (IngressConfig, Vec<String>) {
        let rest: Table = toml::from_str(text).expect("toml");
        let mut r = Reader::new(Path::new("."), None);
        r.language = crate::text::Language::En;
        let c = read_ingress(&mut r, &rest);
        (c, r.problems.iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn http_alone_by_default() {
        assert_eq!(read("").0, IngressConfig::default());
        let (c, p) = read("[ingress]\nmode = \"http\"\n");
        assert!(p.is_empty() && c.http && c.pubsub.is_none());
    }

    #[test]
    fn the_emulator_needs_no_credentials_and_defaults_apply() {
        let (c, p) = read(
            "[ingress]\nmode = [\"http\", \"pubsub\"]\n[ingress.pubsub]\nproject = \"p\"\nsubscription = \"s1\"\napi_base = \"http://127.0.0.1:8085\"\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert!(c.http);
        let s = c.pubsub.expect("pubsub");
        assert_eq!(
            (s.max_messages, s.ack_deadline, s.trouble_after),
            (100, Duration::from_secs(60), Duration::from_secs(300))
        );
        assert!(s.credentials.is_none());
    }

    #[test]
    fn every_problem_is_named_by_its_key() {
        let (_, p) = read(
            "[ingress]\nmode = \"pubsub\"\n[ingress.pubsub]\nproject = \"1bad\"\nsubscription = \"s\"\nmax_messages = 0\nack_deadline = \"5s\"\nextra = 1\n",
        );
        assert_eq!(
            p.iter()
                .map(|s| s.split(':').next().unwrap())
                .collect::<Vec<_>>(),
            [
                "ingress.pubsub.extra",
                "ingress.pubsub.project",
                "ingress.pubsub.credentials",
                "ingress.pubsub.max_messages",
                "ingress.pubsub.ack_deadline",
            ]
        );
        let (_, p) = read("[ingress]\nmode = \"smtp\"\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("ingress.mode"));
        let (_, p) = read("[ingress]\nmode = \"pubsub\"\n");
        assert!(p[0].starts_with("ingress.pubsub: mode includes"), "{p:?}");
    }
}

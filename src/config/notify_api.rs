//! `[notify_api]`: the LINE Notify–compatible endpoint's tokens. Each
//! `[[notify_api.tokens]]` is a secret (never inline) that a tool presents as
//! `Authorization: Bearer …`, the recipients its messages go to, and how many
//! messages it may send an hour (LINE Notify allowed 1,000).

use toml::Table;

use super::reader::{join, Reader};
use super::rules::{fixed_recipients, Recipient};
use super::section_words;
use crate::line::flex::FlexTemplate;
use crate::secret::Secret;

/// LINE Notify's limit per token and hour, the default here.
pub const DEFAULT_PER_HOUR: u32 = 1000;

/// A bearer token shorter than this could be guessed.
const MIN_TOKEN_LEN: usize = 24;

/// `[notify_api]` settings; no tokens: the endpoint answers 401 to everyone.
#[derive(Debug, Clone, Default)]
pub struct NotifyApiConfig {
    pub tokens: Vec<ApiToken>,
}

/// One configured token.
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// What the token is for (logs, `GET /api/status`'s `target`).
    pub name: String,
    pub token: Secret,
    /// Whom its messages reach (no `field:` recipients: there is no record).
    pub to: Vec<Recipient>,
    /// Messages per hour before 429.
    pub per_hour: u32,
    /// A Flex bubble the text is shown in (`{{message}}`, `{{name}}`);
    /// without one the text goes as a plain text message, as LINE Notify's.
    pub template: Option<FlexTemplate>,
}

/// The placeholders a token's template may use.
pub const TEMPLATE_PLACEHOLDERS: &[&str] = &["message", "name"];

const TOKEN_KEYS: &[&str] = &["name", "token", "to", "per_hour", "template"];

pub(super) fn read_notify_api(r: &mut Reader, rest: &Table) -> NotifyApiConfig {
    let Some(t) = r.opt_table(rest, "", "notify_api") else {
        return NotifyApiConfig::default();
    };
    r.unknown_keys(t, "notify_api", &["tokens"]);
    let mut tokens: Vec<ApiToken> = Vec::new();
    for (i, t) in r.tables(t, "notify_api", "tokens").into_iter().enumerate() {
        let p = format!("notify_api.tokens[{i}]");
        if let Some(token) = read_token(r, t, &p) {
            if tokens.iter().any(|o| o.name == token.name) {
                let value = format!("{:?}", token.name);
                r.said(
                    join(&p, "name"),
                    &section_words::USED_TWICE,
                    &[("value", &value)],
                );
            }
            if tokens.iter().any(|o| o.token == token.token) {
                r.said(join(&p, "token"), &section_words::SAME_SECRET, &[]);
            }
            tokens.push(token);
        }
    }
    NotifyApiConfig { tokens }
}

fn read_token(r: &mut Reader, t: &Table, p: &str) -> Option<ApiToken> {
    r.unknown_keys(t, p, TOKEN_KEYS);
    let name = r.str(t, p, "name");
    let token = r.secret(t, p, "token", true);
    if token
        .as_ref()
        .is_some_and(|s| s.expose().trim().len() < MIN_TOKEN_LEN)
    {
        let n = MIN_TOKEN_LEN.to_string();
        r.said(join(p, "token"), &section_words::TOKEN_LENGTH, &[("n", &n)]);
    }
    let to = read_to(r, t, p);
    let per_hour = match r.opt_int(t, p, "per_hour") {
        None => DEFAULT_PER_HOUR,
        Some(n) => match u32::try_from(n) {
            Ok(n) if n > 0 => n,
            _ => {
                r.said(join(p, "per_hour"), &section_words::PER_HOUR, &[]);
                DEFAULT_PER_HOUR
            }
        },
    };
    let base_dir = r.base_dir.clone();
    let template = super::rules::read_template(r, &base_dir, t, p);
    if let Some(unknown) = template.as_ref().and_then(|t| {
        t.placeholders()
            .into_iter()
            .find(|n| !TEMPLATE_PLACEHOLDERS.contains(n))
            .map(str::to_owned)
    }) {
        let args = [
            (
                "why",
                section_words::UNKNOWN_PLACEHOLDER
                    .in_(r.language)
                    .to_owned(),
            ),
            ("placeholder", format!("{{{{{unknown}}}}}")),
            ("allowed", TEMPLATE_PLACEHOLDERS.join(", ")),
        ];
        let args = args.each_ref().map(|(k, v)| (*k, v.as_str()));
        r.said(join(p, "template"), &section_words::TEMPLATE_NAMES, &args);
    }
    Some(ApiToken {
        name: name?,
        token: Secret::new(token?.expose().trim()),
        to,
        per_hour,
        template,
    })
}

/// `to`: at least one recipient, none of them a record field.
fn read_to(r: &mut Reader, t: &Table, p: &str) -> Vec<Recipient> {
    let key = join(p, "to");
    let Some(list) = r.opt_strings(t, p, "to") else {
        if !t.contains_key("to") {
            r.said(&key, &section_words::TO_MISSING, &[]);
        }
        return Vec::new();
    };
    if list.is_empty() {
        r.said(&key, &section_words::ONE_RECIPIENT, &[]);
    }
    let no_field = section_words::API_FIELD.in_(r.language);
    fixed_recipients(&list, (&key, r.language), no_field, |k, m| {
        r.problem(k, m);
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::reader::Problem;

    fn read(text: &str, dir: &Path) -> (NotifyApiConfig, Vec<Problem>) {
        let rest: Table = toml::from_str(text).expect("toml");
        let mut r = Reader::new(dir, None);
        let c = read_notify_api(&mut r, &rest);
        (c, r.problems)
    }

    fn secret(dir: &Path, name: &str, value: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, value).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("mode");
    }

    #[test]
    fn a_token_maps_a_secret_to_recipients_with_a_limit() {
        let dir = tempfile::tempdir().expect("dir");
        secret(dir.path(), "t", "0123456789abcdef0123456789abcdef\n");
        let (c, problems) = read(
            "[[notify_api.tokens]]\nname = \"monitor\"\ntoken = { file = \"t\" }\nto = [\"group:Office\"]\nper_hour = 10\n",
            dir.path(),
        );
        assert!(problems.is_empty(), "{problems:?}");
        let t = &c.tokens[0];
        assert_eq!(t.token.expose(), "0123456789abcdef0123456789abcdef");
        assert_eq!(t.to, [Recipient::GroupName("Office".into())]);
        assert_eq!(t.per_hour, 10);
    }

    #[test]
    fn every_wrong_value_is_reported_with_its_key() {
        let dir = tempfile::tempdir().expect("dir");
        secret(dir.path(), "short", "guessable");
        let (_, problems) = read(
            "[[notify_api.tokens]]\nname = \"a\"\ntoken = { file = \"short\" }\nto = [\"field:Assignee\"]\nper_hour = 0\n\
             [[notify_api.tokens]]\ntoken = \"inline\"\n",
            dir.path(),
        );
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "notify_api.tokens[0].token",
                "notify_api.tokens[0].to[0]",
                "notify_api.tokens[0].per_hour",
                "notify_api.tokens[1].name",
                "notify_api.tokens[1].token",
                "notify_api.tokens[1].to",
            ]
        );
    }

    #[test]
    fn a_template_may_use_only_message_and_name() {
        let dir = tempfile::tempdir().expect("dir");
        secret(dir.path(), "t", "0123456789abcdef0123456789abcdef");
        let bubble = |text: &str| {
            format!(
                r#"{{"type":"bubble","body":{{"type":"box","layout":"vertical","contents":[{{"type":"text","text":"{text}"}}]}}}}"#
            )
        };
        std::fs::write(
            dir.path().join("good.json"),
            bubble("{{name}}: {{message}}"),
        )
        .expect("write");
        std::fs::write(dir.path().join("bad.json"), bubble("{{mesage}}")).expect("write");
        let token = |file: &str| {
            format!("[[notify_api.tokens]]\nname = \"m\"\ntoken = {{ file = \"t\" }}\nto = [\"group:Office\"]\ntemplate = \"{file}\"\n")
        };
        let (c, problems) = read(&token("good.json"), dir.path());
        assert!(problems.is_empty(), "{problems:?}");
        assert!(c.tokens[0].template.is_some());
        let (_, problems) = read(&token("bad.json"), dir.path());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "notify_api.tokens[0].template");
        assert!(problems[0].message.contains("{{mesage}}"), "{problems:?}");
        let (_, problems) = read(&token("missing.json"), dir.path());
        assert_eq!(problems[0].key, "notify_api.tokens[0].template");
    }
}

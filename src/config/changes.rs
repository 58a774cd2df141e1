//! What a reload changes: the keys whose written value differs between two
//! readings of the file, and the secrets whose content differs behind an
//! unchanged reference (a file rewritten in place). The daemon decides which
//! of them take effect live and which need a restart.

use toml::{Table, Value};

use super::reader::join;
use super::setup::Setup;
use super::{Config, TokenConfig};

/// Every key that differs, in file order of sections (`rules[1].to`,
/// `line.channel_secret`), each once.
pub fn changed_keys(old: &Setup, new: &Setup) -> Vec<String> {
    let mut out = Vec::new();
    diff_table(&old.written, &new.written, "", &mut out);
    let api = old.notify_api.tokens.iter().zip(&new.notify_api.tokens);
    let api = api
        .enumerate()
        .filter(|(_, (a, b))| a.token != b.token)
        .map(|(i, _)| format!("notify_api.tokens[{i}].token"));
    for key in changed_secrets(&old.config, &new.config)
        .into_iter()
        .chain(api)
    {
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

fn diff_table(old: &Table, new: &Table, prefix: &str, out: &mut Vec<String>) {
    let added = new.keys().filter(|k| !old.contains_key(*k));
    for key in old.keys().chain(added) {
        diff_value(old.get(key), new.get(key), &join(prefix, key), out);
    }
}

fn diff_value(old: Option<&Value>, new: Option<&Value>, path: &str, out: &mut Vec<String>) {
    match (old, new) {
        (Some(a), Some(b)) if a == b => {}
        (Some(Value::Table(a)), Some(Value::Table(b))) => diff_table(a, b, path, out),
        (Some(Value::Array(a)), Some(Value::Array(b)))
            if a.len() == b.len() && a.iter().chain(b).all(Value::is_table) =>
        {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff_value(Some(x), Some(y), &format!("{path}[{i}]"), out);
            }
        }
        _ => out.push(path.to_owned()),
    }
}

/// Secrets whose loaded value changed (the reference may be the same).
fn changed_secrets(old: &Config, new: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let mut note = |changed: bool, key: String| {
        if changed {
            out.push(key);
        }
    };
    note(
        old.line.channel_secret != new.line.channel_secret,
        "line.channel_secret".into(),
    );
    let token = |t: &TokenConfig| match t {
        TokenConfig::LongLived(s) => Some(s.clone()),
        TokenConfig::Stateless { .. } => None,
    };
    note(
        token(&old.line.token) != token(&new.line.token),
        "line.access_token".into(),
    );
    note(
        old.server.relay_token != new.server.relay_token,
        "server.relay_token".into(),
    );
    for (i, (a, b)) in old.kintone.apps.iter().zip(&new.kintone.apps).enumerate() {
        let p = format!("kintone.apps[{i}]");
        note(a.auth.api_token != b.auth.api_token, join(&p, "api_token"));
        note(
            a.webhook_token != b.webhook_token,
            join(&p, "webhook_token"),
        );
        let password = |x: &super::AppConfig| x.auth.basic.as_ref().map(|b| b.password.clone());
        note(password(a) != password(b), join(&p, "basic_auth.password"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(a: &str, b: &str) -> Vec<String> {
        let (a, b): (Table, Table) = (toml::from_str(a).unwrap(), toml::from_str(b).unwrap());
        let mut out = Vec::new();
        diff_table(&a, &b, "", &mut out);
        out
    }

    #[test]
    fn changed_keys_are_named_down_to_the_rule_or_app() {
        let before = "x = 1\n[s]\na = 1\nb = 2\n[[rules]]\nto = \"A\"\n[[rules]]\nto = \"B\"\n";
        assert!(diff(before, before).is_empty());
        let after =
            "x = 1\n[s]\na = 1\nb = 3\nc = 4\n[[rules]]\nto = \"A\"\n[[rules]]\nto = \"C\"\n";
        assert_eq!(diff(before, after), ["rules[1].to", "s.b", "s.c"]);
        let fewer = "x = 1\n[s]\na = 1\nb = 2\n[[rules]]\nto = \"A\"\n";
        assert_eq!(diff(before, fewer), ["rules"]);
        assert_eq!(
            diff(
                before,
                "[s]\na = 1\nb = 2\n[[rules]]\nto = \"A\"\n[[rules]]\nto = \"B\"\n"
            ),
            ["x"]
        );
    }
}

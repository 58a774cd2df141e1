//! The kintone checks: each app answers with its token and has every field
//! the config names.

use std::collections::BTreeSet;

use super::{server_date, words, Check};
use crate::config::rules::{Recipient, Rule};
use crate::config::{AckMethod, AppConfig, Config};
use crate::kintone::client::FieldInfo;
use crate::kintone::error::KintoneError;
use crate::line::flex::template::BUILTIN_PLACEHOLDERS;
use crate::text::Language;

/// The app answers with its token, and every field code the config names is
/// in its form.
pub(super) async fn kintone(
    c: &Config,
    app: &AppConfig,
    rules: &[Rule],
    dates: &mut Vec<(&'static str, jiff::Timestamp)>,
) -> Check {
    let lang = c.language;
    let id = app.id.to_string();
    let name = words::NAME_APP.fill(lang, &[("app", &id), ("name", &app.name)]);
    let client = match crate::daemon::kintone_client(c) {
        Ok(client) => client,
        Err(e) => {
            let e = format!("{e:#}");
            return Check::fail(name, words::NO_CLIENT.fill(lang, &[("e", &e)]));
        }
    };
    if dates.iter().all(|(who, _)| *who != "kintone") {
        if let Some(t) = server_date(&c.kintone.base_url, c.kintone.timeout).await {
            dates.push(("kintone", t));
        }
    }
    let fields = match client.form_fields(&app.auth).await {
        Ok(f) => f,
        Err(e) => return Check::fail(name, why(&c.kintone.base_url, &e, lang)),
    };
    fields_check(name, app, rules, &fields, lang)
}

/// A failed kintone call in plain words, with the fix that fits its cause.
fn why(base: &str, e: &KintoneError, lang: Language) -> String {
    let host = ("host", super::host_of(base));
    match e {
        KintoneError::Retryable {
            status: None,
            message,
            ..
        } => words::CANNOT_CONNECT_KINTONE.fill(lang, &[host, ("message", message)]),
        KintoneError::Retryable {
            status: Some(s), ..
        } => words::KINTONE_BUSY.fill(lang, &[host, ("status", &s.to_string())]),
        KintoneError::Unauthorized { .. } => words::KINTONE_REFUSED_TOKEN.fill(lang, &[host]),
        other => words::KINTONE_OTHER.fill(lang, &[("e", &other.to_string()), ("base", base)]),
    }
}

/// Passes when every field code the config names for `app` is in its form.
fn fields_check(
    name: String,
    app: &AppConfig,
    rules: &[Rule],
    fields: &[FieldInfo],
    lang: Language,
) -> Check {
    let mut have: BTreeSet<&str> = fields.iter().map(|f| f.code.as_str()).collect();
    // The default watched field names the status field whatever its code.
    if fields.iter().any(|f| f.field_type == "STATUS") {
        have.insert(crate::kintone::record::STATUS);
    }
    let missing: Vec<String> = named_fields(app, rules, lang)
        .into_iter()
        .filter(|(code, _)| !have.contains(code.as_str()))
        .map(|(code, why)| words::FIELD_FROM.fill(lang, &[("code", &code), ("why", &why)]))
        .collect();
    if missing.is_empty() {
        let n = fields.len().to_string();
        Check::pass(name, words::FIELDS_OK.fill(lang, &[("n", &n)]))
    } else {
        let missing = missing.join(", ");
        Check::fail(
            name,
            words::FIELDS_MISSING.fill(lang, &[("missing", &missing)]),
        )
    }
}

/// Field codes the config relies on for `app`, with where they come from.
fn named_fields(app: &AppConfig, rules: &[Rule], lang: Language) -> Vec<(String, String)> {
    let mut named = Vec::new();
    if let Some(t) = &app.title_field {
        named.push((t.clone(), "title_field".to_owned()));
    }
    if let AckMethod::Fields(fields) = &app.ack.method {
        for (code, _) in fields {
            named.push((code.clone(), "ack.fields".to_owned()));
        }
    }
    for r in rules.iter().filter(|r| r.app == app.id) {
        let rule = |what: &str| words::FROM_RULE.fill(lang, &[("rule", &r.name), ("what", what)]);
        named.push((r.field.clone(), rule("field")));
        for s in &r.show {
            named.push((s.clone(), rule("show")));
        }
        // A card template's other placeholders are field codes: one the form
        // lacks (a typo, or `{{field.件名}}` for `{{件名}}`) would render as `-`.
        for name in r.template.iter().flat_map(|t| t.placeholders()) {
            if !BUILTIN_PLACEHOLDERS.contains(&name) {
                named.push((name.to_owned(), rule("template")));
            }
        }
        for rec in &r.recipients {
            if let Recipient::Field(f) = rec {
                named.push((f.clone(), rule("recipients")));
            }
        }
    }
    named
}

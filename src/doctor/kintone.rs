//! The kintone checks: each app answers with its token and has every field
//! the config names.

use std::collections::BTreeSet;

use super::{server_date, Check};
use crate::config::rules::{Recipient, Rule};
use crate::config::{AckMethod, AppConfig, Config};
use crate::kintone::client::FieldInfo;
use crate::kintone::error::KintoneError;
use crate::line::flex::template::BUILTIN_PLACEHOLDERS;

/// The app answers with its token, and every field code the config names is
/// in its form.
pub(super) async fn kintone(
    c: &Config,
    app: &AppConfig,
    rules: &[Rule],
    dates: &mut Vec<(&'static str, jiff::Timestamp)>,
) -> Check {
    let name = format!("kintone app {} {:?}", app.id, app.name);
    let client = match crate::daemon::kintone_client(c) {
        Ok(client) => client,
        Err(e) => return Check::fail(name, format!("cannot build the client: {e:#}")),
    };
    if dates.iter().all(|(who, _)| *who != "kintone") {
        if let Some(t) = server_date(&c.kintone.base_url, c.kintone.timeout).await {
            dates.push(("kintone", t));
        }
    }
    let fields = match client.form_fields(&app.auth).await {
        Ok(f) => f,
        Err(e) => return Check::fail(name, why(&c.kintone.base_url, &e)),
    };
    fields_check(name, app, rules, &fields)
}

/// A failed kintone call in plain words, with the fix that fits its cause.
fn why(base: &str, e: &KintoneError) -> String {
    let host = super::host_of(base);
    match e {
        KintoneError::Retryable {
            status: None,
            message,
            ..
        } => format!("cannot connect to {host}: {message} — check the network or proxy, and kintone.base_url"),
        KintoneError::Retryable {
            status: Some(s), ..
        } => format!("{host} answered HTTP {s}: kintone is busy or down — try again in a few minutes"),
        KintoneError::Unauthorized { .. } => format!(
            "{host} refused the app's API token — kintone: app settings → API token (it needs View records, plus Edit records or Add comments for the write-back)"
        ),
        other => format!("{other} — check the app id and kintone.base_url {base}"),
    }
}

/// Passes when every field code the config names for `app` is in its form.
fn fields_check(name: String, app: &AppConfig, rules: &[Rule], fields: &[FieldInfo]) -> Check {
    let mut have: BTreeSet<&str> = fields.iter().map(|f| f.code.as_str()).collect();
    // The default watched field names the status field whatever its code.
    if fields.iter().any(|f| f.field_type == "STATUS") {
        have.insert(crate::kintone::record::STATUS);
    }
    let missing: Vec<String> = named_fields(app, rules)
        .into_iter()
        .filter(|(code, _)| !have.contains(code.as_str()))
        .map(|(code, why)| format!("{code} ({why})"))
        .collect();
    if missing.is_empty() {
        Check::pass(
            name,
            format!(
                "token accepted; {} form fields, every field the config names is there",
                fields.len()
            ),
        )
    } else {
        Check::fail(
            name,
            format!(
                "token accepted, but the form has no field {} — field codes are case-sensitive (kintone: app settings → form → field settings → field code)",
                missing.join(", ")
            ),
        )
    }
}

/// Field codes the config relies on for `app`, with where they come from.
fn named_fields(app: &AppConfig, rules: &[Rule]) -> Vec<(String, String)> {
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
        let rule = format!("rule {:?}", r.name);
        named.push((r.field.clone(), format!("{rule} field")));
        for s in &r.show {
            named.push((s.clone(), format!("{rule} show")));
        }
        // A card template's other placeholders are field codes: one the form
        // lacks (a typo, or `{{field.件名}}` for `{{件名}}`) would render as `-`.
        for name in r.template.iter().flat_map(|t| t.placeholders()) {
            if !BUILTIN_PLACEHOLDERS.contains(&name) {
                named.push((name.to_owned(), format!("{rule} template")));
            }
        }
        for rec in &r.recipients {
            if let Recipient::Field(f) = rec {
                named.push((f.clone(), format!("{rule} recipients")));
            }
        }
    }
    named
}

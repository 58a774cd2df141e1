//! `[[rules]]`: which field transitions notify whom, with what.
//!
//! A rule names an app, a watched field, the values it moves from and to
//! (`"*"` matches any, and `from = ["*"]` also matches a record seen for the
//! first time), the recipients, the fields shown on the card, and whether the
//! buzzer sounds. Everything is checked at config load.

use std::path::Path;

use toml::Table;

mod chain;
mod recipient;

pub use chain::{ChainRule, Escalation, DEFAULT_GIVE_UP, DEFAULT_REMIND_MAX};
pub use recipient::{fixed_recipients, AckBy, Recipient};

use crate::config::reader::{join, Problem, Reader};
use crate::config::section_words;
use crate::config::words;
use crate::domain::{AppId, AtNight};
use crate::line::flex::FlexTemplate;

/// One validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub app: AppId,
    pub field: String,
    /// `None` = any ("*").
    pub from: Option<Vec<String>>,
    pub to: Option<Vec<String>>,
    pub recipients: Vec<Recipient>,
    /// Field codes shown on the card.
    pub show: Vec<String>,
    pub buzz: bool,
    pub template: Option<FlexTemplate>,
    pub ack_by: AckBy,
    /// Reminders and escalations while nobody acknowledges.
    pub chain: ChainRule,
    /// What its cards do in `[notify] quiet_hours` (`urgent` = `Send`).
    pub at_night: AtNight,
    /// On the first acknowledgement, tell the other 1:1 recipients who
    /// acknowledged (a counted push; a group sees the free Reply already).
    pub tell_others: bool,
}

impl Rule {
    /// Whether a change `from → to` matches. A first sight (`from = None`)
    /// only matches `from = "*"`.
    pub fn matches(&self, from: Option<&str>, to: &str) -> bool {
        let from_ok = match (&self.from, from) {
            (None, _) => true,
            (Some(set), Some(f)) => set.iter().any(|v| v == f),
            (Some(_), None) => false,
        };
        let to_ok = self
            .to
            .as_ref()
            .is_none_or(|set| set.iter().any(|v| v == to));
        from_ok && to_ok
    }
}

fn value_set(r: &mut Reader, t: &Table, p: &str, key: &str) -> Option<Vec<String>> {
    let set = match t.get(key) {
        None => vec!["*".to_owned()],
        Some(toml::Value::String(s)) => vec![s.clone()],
        Some(_) => r.opt_strings(t, p, key)?,
    };
    if set.iter().any(|v| v == "*") {
        if set.len() > 1 {
            r.said(join(p, key), &section_words::STAR_AND_VALUES, &[]);
        }
        return None;
    }
    Some(set)
}

const RULE_KEYS: &[&str] = &[
    "name",
    "app",
    "field",
    "from",
    "to",
    "recipients",
    "show",
    "buzz",
    "template",
    "ack_by",
    "remind",
    "remind_max",
    "escalate",
    "give_up",
    "at_night",
    "urgent",
    "tell_others",
];

/// Reads `[[rules]]` from the config's extra sections; `apps` are the ids of
/// `[[kintone.apps]]` (read from the file even when that section has
/// problems, so the rules are checked in the same round).
///
/// # Errors
/// Every problem, with its key.
pub fn read_rules(
    rest: &Table,
    apps: &[AppId],
    base_dir: &Path,
) -> Result<Vec<Rule>, Vec<Problem>> {
    let mut r = Reader::new(base_dir, None);
    r.language = super::language_in(rest);
    let mut rules = Vec::new();
    for (i, t) in r.tables(rest, "", "rules").into_iter().enumerate() {
        if let Some(rule) = read_rule(&mut r, apps, base_dir, t, i) {
            rules.push(rule);
        }
    }
    if r.problems.is_empty() {
        Ok(rules)
    } else {
        Err(r.problems)
    }
}

/// The `i`th rule; `None` (with a problem noted) when its app is unusable.
fn read_rule(r: &mut Reader, apps: &[AppId], base_dir: &Path, t: &Table, i: usize) -> Option<Rule> {
    let p = format!("rules[{i}]");
    r.unknown_keys(t, &p, RULE_KEYS);
    let name = r
        .opt_str(t, &p, "name")
        .unwrap_or_else(|| format!("rule-{}", i + 1));
    let app = read_app_id(r, apps, t, &p);
    let field = r
        .opt_str(t, &p, "field")
        .unwrap_or_else(|| crate::kintone::record::STATUS.into());
    let from = value_set(r, t, &p, "from");
    let to = value_set(r, t, &p, "to");
    let recipients = read_recipients(r, t, &p);
    let show = r.opt_strings(t, &p, "show").unwrap_or_default();
    let buzz = r.opt_bool(t, &p, "buzz").unwrap_or(true);
    let template = read_template(r, base_dir, t, &p);
    let ack_by = r
        .opt_str(t, &p, "ack_by")
        .and_then(|s| {
            AckBy::parse(&s, r.language)
                .map_err(|e| r.problem(join(&p, "ack_by"), e))
                .ok()
        })
        .unwrap_or_default();
    let chain = chain::read_chain(r, t, &p);
    let at_night = read_at_night(r, t, &p);
    Some(Rule {
        name,
        app: app?,
        field,
        from,
        to,
        recipients,
        show,
        buzz,
        template,
        ack_by,
        chain,
        at_night,
        tell_others: r.opt_bool(t, &p, "tell_others").unwrap_or(false),
    })
}

/// `at_night` (default `hold`), and `urgent = true`, which always sends.
fn read_at_night(r: &mut Reader, t: &Table, p: &str) -> AtNight {
    let mode = r
        .opt_str(t, p, "at_night")
        .and_then(|s| {
            AtNight::parse(&s)
                .map_err(|_| {
                    let value = format!("{s:?}");
                    let choices = words::choices(r.language, &["hold", "silent", "send"]);
                    let args = [("value", value.as_str()), ("choices", &choices)];
                    r.said(join(p, "at_night"), &words::USE_ONE_OF, &args);
                })
                .ok()
        })
        .unwrap_or_default();
    if r.opt_bool(t, p, "urgent").unwrap_or(false) {
        if t.contains_key("at_night") && mode != AtNight::Send {
            r.said(join(p, "urgent"), &section_words::URGENT_AT_NIGHT, &[]);
        }
        return AtNight::Send;
    }
    mode
}

/// `app`: required, and one of `[[kintone.apps]]`.
fn read_app_id(r: &mut Reader, apps: &[AppId], t: &Table, p: &str) -> Option<AppId> {
    let Some(n) = r.opt_int(t, p, "app") else {
        r.said(join(p, "app"), &words::MISSING, &[]);
        return None;
    };
    match u64::try_from(n).ok().and_then(|n| AppId::new(n).ok()) {
        Some(id) if apps.contains(&id) => Some(id),
        Some(id) => {
            let id = id.to_string();
            r.said(
                join(p, "app"),
                &section_words::APP_NOT_CONFIGURED,
                &[("app", &id)],
            );
            None
        }
        None => {
            r.said(join(p, "app"), &words::APP_ID, &[]);
            None
        }
    }
}

/// `recipients`: at least one, each well-formed.
fn read_recipients(r: &mut Reader, t: &Table, p: &str) -> Vec<Recipient> {
    let key = join(p, "recipients");
    let recipients: Vec<Recipient> = r
        .opt_strings(t, p, "recipients")
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(j, s)| {
            Recipient::parse_in(s, r.language)
                .map_err(|e| r.problem(format!("{key}[{j}]"), e))
                .ok()
        })
        .collect();
    // A malformed entry was reported already; "name one" would only add noise.
    if recipients.is_empty() && !r.problems.iter().any(|x| x.key.starts_with(&key)) {
        r.said(key, &section_words::NO_RECIPIENTS, &[]);
    }
    recipients
}

/// `template`: a Flex template file, relative to the config's folder.
pub(super) fn read_template(
    r: &mut Reader,
    base_dir: &Path,
    t: &Table,
    p: &str,
) -> Option<FlexTemplate> {
    let file = r.opt_str(t, p, "template")?;
    let path = base_dir.join(&file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| {
            let args = [("path", path.display().to_string()), ("e", e.to_string())];
            let args = args.each_ref().map(|(k, v)| (*k, v.as_str()));
            r.said(join(p, "template"), &section_words::CANNOT_READ_FILE, &args);
        })
        .ok()?;
    FlexTemplate::parse(&text)
        .map_err(|e| r.problem(join(p, "template"), format!("{}: {e}", path.display())))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(from: Option<Vec<&str>>, to: Option<Vec<&str>>) -> Rule {
        let set = |v: Option<Vec<&str>>| v.map(|v| v.into_iter().map(String::from).collect());
        Rule {
            name: "r".into(),
            app: AppId::new(1).unwrap(),
            field: "STATUS".into(),
            from: set(from),
            to: set(to),
            recipients: vec![],
            show: vec![],
            buzz: false,
            template: None,
            ack_by: AckBy::Recipients,
            chain: ChainRule::default(),
            at_night: AtNight::Hold,
            tell_others: false,
        }
    }

    #[test]
    fn matching() {
        let r = rule(None, Some(vec!["Needs approval"]));
        assert!(r.matches(Some("Draft"), "Needs approval"));
        assert!(r.matches(None, "Needs approval"));
        assert!(!r.matches(Some("Draft"), "Done"));
        let r = rule(Some(vec!["Draft"]), None);
        assert!(r.matches(Some("Draft"), "anything"));
        assert!(!r.matches(None, "anything"));
    }
}

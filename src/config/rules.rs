//! `[[rules]]`: which field transitions notify whom, with what.
//!
//! A rule names an app, a watched field, the values it moves from and to
//! (`"*"` matches any, and `from = ["*"]` also matches a record seen for the
//! first time), the recipients, the fields shown on the card, and whether the
//! buzzer sounds. Everything is checked at config load.

use std::path::Path;

use toml::Table;

use crate::config::reader::{join, Reader};
use crate::config::Config;
use crate::domain::{AppId, LineGroupId, LineUserId};
use crate::line::flex::FlexTemplate;

/// Who gets a notification. Resolved when the notification is made, so
/// staff linked later are included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A staff member by display name.
    Staff(String),
    /// A staff member by kintone user code.
    KintoneUser(String),
    /// The people in a record's user-selection / assignee field.
    Field(String),
    /// A LINE group by the name it was recorded under when the bot joined.
    GroupName(String),
    User(LineUserId),
    Group(LineGroupId),
}

impl Recipient {
    /// Parses `"Taro Yamada"`, `"kintone:taro"`, `"field:Assignee"`,
    /// `"group:Office"`, `"U…"` or `"C…"`.
    ///
    /// # Errors
    /// An empty name or a malformed LINE id.
    pub fn parse(s: &str) -> Result<Recipient, String> {
        let nonempty = |v: &str, what: &str| {
            if v.trim().is_empty() {
                Err(format!("{s:?}: {what} is empty"))
            } else {
                Ok(v.trim().to_owned())
            }
        };
        if let Some(k) = s.strip_prefix("kintone:") {
            return nonempty(k, "kintone user").map(Recipient::KintoneUser);
        }
        if let Some(f) = s.strip_prefix("field:") {
            return nonempty(f, "field code").map(Recipient::Field);
        }
        if let Some(g) = s.strip_prefix("group:") {
            return nonempty(g, "group name").map(Recipient::GroupName);
        }
        let looks_like_id = s.len() == 33 && (s.starts_with('U') || s.starts_with('C'));
        if looks_like_id {
            if let Ok(u) = LineUserId::parse(s) {
                return Ok(Recipient::User(u));
            }
            if let Ok(g) = LineGroupId::parse(s) {
                return Ok(Recipient::Group(g));
            }
        }
        nonempty(s, "name").map(Recipient::Staff)
    }
}

/// Who may acknowledge a rule's notifications (`ack_by`), strictest first
/// (two rules with one name: the stricter setting wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum AckBy {
    /// The people it was sent to: a LINE user it was pushed to, or anyone in
    /// a group it was pushed to.
    #[default]
    Recipients,
    /// The recipients and any linked staff member (a card forwarded within
    /// the team counts).
    Staff,
    /// Anyone who taps its button.
    Anyone,
}

impl AckBy {
    /// Parses `"recipients"`, `"staff"` or `"anyone"`.
    ///
    /// # Errors
    /// Any other word, with the choices.
    pub fn parse(s: &str) -> Result<AckBy, String> {
        match s {
            "recipients" => Ok(AckBy::Recipients),
            "staff" => Ok(AckBy::Staff),
            "anyone" => Ok(AckBy::Anyone),
            other => Err(format!(
                "{other:?}: use \"recipients\" (the people it was sent to), \"staff\" (any linked staff) or \"anyone\""
            )),
        }
    }
}

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
            r.problem(
                join(p, key),
                "\"*\" already matches everything; list values or \"*\", not both",
            );
        }
        return None;
    }
    Some(set)
}

/// Reads `[[rules]]` from the config's extra sections.
///
/// # Errors
/// Every problem, with its key.
pub fn read_rules(
    config: &Config,
    base_dir: &Path,
) -> Result<Vec<Rule>, Vec<crate::config::reader::Problem>> {
    let mut r = Reader::new(base_dir, None);
    let mut rules = Vec::new();
    for (i, t) in r.tables(&config.rest, "", "rules").into_iter().enumerate() {
        let p = format!("rules[{i}]");
        r.unknown_keys(
            t,
            &p,
            &[
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
            ],
        );
        let name = r
            .opt_str(t, &p, "name")
            .unwrap_or_else(|| format!("rule-{}", i + 1));
        let app = match r.opt_int(t, &p, "app") {
            Some(n) => {
                let id = u64::try_from(n).ok().and_then(|n| AppId::new(n).ok());
                match id {
                    Some(id) if config.app(id).is_some() => Some(id),
                    Some(id) => {
                        r.problem(
                            join(&p, "app"),
                            format!("app {id} is not in [[kintone.apps]]"),
                        );
                        None
                    }
                    None => {
                        r.problem(join(&p, "app"), "must be a positive app id");
                        None
                    }
                }
            }
            None => {
                r.problem(join(&p, "app"), "missing (required)");
                None
            }
        };
        let field = r.opt_str(t, &p, "field").unwrap_or_else(|| "STATUS".into());
        let from = value_set(&mut r, t, &p, "from");
        let to = value_set(&mut r, t, &p, "to");
        let recipients: Vec<Recipient> = r
            .opt_strings(t, &p, "recipients")
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(j, s)| {
                Recipient::parse(s)
                    .map_err(|e| r.problem(format!("{}[{j}]", join(&p, "recipients")), e))
                    .ok()
            })
            .collect();
        if recipients.is_empty()
            && !r
                .problems
                .iter()
                .any(|x| x.key.starts_with(&join(&p, "recipients")))
        {
            r.problem(join(&p, "recipients"), "name at least one recipient (a staff name, kintone:USER, field:CODE, group:NAME, or a LINE id)");
        }
        let show = r.opt_strings(t, &p, "show").unwrap_or_default();
        let buzz = r.opt_bool(t, &p, "buzz").unwrap_or(true);
        let template = r.opt_str(t, &p, "template").and_then(|file| {
            let path = base_dir.join(&file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| {
                    r.problem(
                        join(&p, "template"),
                        format!("cannot read {}: {e}", path.display()),
                    )
                })
                .ok()?;
            FlexTemplate::parse(&text)
                .map_err(|e| r.problem(join(&p, "template"), format!("{}: {e}", path.display())))
                .ok()
        });
        let ack_by = r
            .opt_str(t, &p, "ack_by")
            .and_then(|s| {
                AckBy::parse(&s)
                    .map_err(|e| r.problem(join(&p, "ack_by"), e))
                    .ok()
            })
            .unwrap_or_default();
        if let Some(app) = app {
            rules.push(Rule {
                name,
                app,
                field,
                from,
                to,
                recipients,
                show,
                buzz,
                template,
                ack_by,
            });
        }
    }
    if r.problems.is_empty() {
        Ok(rules)
    } else {
        Err(r.problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_parse() {
        assert_eq!(
            Recipient::parse("Taro Yamada"),
            Ok(Recipient::Staff("Taro Yamada".into()))
        );
        assert_eq!(
            Recipient::parse("kintone:taro"),
            Ok(Recipient::KintoneUser("taro".into()))
        );
        assert_eq!(
            Recipient::parse("field:Assignee"),
            Ok(Recipient::Field("Assignee".into()))
        );
        assert_eq!(
            Recipient::parse("group:Office"),
            Ok(Recipient::GroupName("Office".into()))
        );
        assert!(matches!(
            Recipient::parse("U8e742f61d673b39c7fff3cecb7536ef0"),
            Ok(Recipient::User(_))
        ));
        assert!(Recipient::parse("kintone: ").is_err());
    }

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

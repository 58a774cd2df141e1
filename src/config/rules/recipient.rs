//! Whom a rule addresses: its recipients, and who may acknowledge what it sends.

use crate::config::section_words;
use crate::domain::{LineGroupId, LineUserId};
use crate::text::said::Said;
use crate::text::Language;

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
        Self::parse_in(s, Language::En)
    }

    /// [`Recipient::parse`], saying what is wrong in `language`.
    ///
    /// # Errors
    /// As [`Recipient::parse`].
    pub fn parse_in(s: &str, language: Language) -> Result<Recipient, String> {
        let nonempty = |v: &str, what: &Said| {
            if v.trim().is_empty() {
                let value = format!("{s:?}");
                let args = [("value", value.as_str()), ("what", what.in_(language))];
                Err(section_words::EMPTY.fill(language, &args))
            } else {
                Ok(v.trim().to_owned())
            }
        };
        if let Some(k) = s.strip_prefix("kintone:") {
            return nonempty(k, &section_words::WHAT_KINTONE_USER).map(Recipient::KintoneUser);
        }
        if let Some(f) = s.strip_prefix("field:") {
            return nonempty(f, &section_words::WHAT_FIELD_CODE).map(Recipient::Field);
        }
        if let Some(g) = s.strip_prefix("group:") {
            return nonempty(g, &section_words::WHAT_GROUP_NAME).map(Recipient::GroupName);
        }
        if let Some(id) = line_id(s, language) {
            return id;
        }
        nonempty(s, &section_words::WHAT_NAME).map(Recipient::Staff)
    }
}

/// Recipients that need no record (`[notify] fallback`, API tokens, `send
/// --to`): each of `list` parsed, a `field:` one refused with `no_field`;
/// every problem goes to `problem` with `key[j]`, said in `language`.
pub fn fixed_recipients(
    list: &[String],
    (key, language): (&str, Language),
    no_field: &str,
    mut problem: impl FnMut(String, String),
) -> Vec<Recipient> {
    list.iter()
        .enumerate()
        .filter_map(|(j, s)| match Recipient::parse_in(s, language) {
            Ok(Recipient::Field(_)) => {
                problem(format!("{key}[{j}]"), no_field.to_owned());
                None
            }
            Ok(x) => Some(x),
            Err(e) => {
                problem(format!("{key}[{j}]"), e);
                None
            }
        })
        .collect()
}

/// A LINE id, or a mistake in one, for what looks like one: `U`, `C` or
/// `R` and hex digits with at least one decimal digit (so "Cafe" stays a
/// name and "U123" is not taken for one).
fn line_id(s: &str, language: Language) -> Option<Result<Recipient, String>> {
    let rest = s.strip_prefix(['U', 'C', 'R'])?;
    let shaped = rest.len() >= 3
        && rest.bytes().all(|b| b.is_ascii_hexdigit())
        && rest.bytes().any(|b| b.is_ascii_digit());
    if !shaped {
        return None;
    }
    if let Ok(u) = LineUserId::parse(s) {
        return Some(Ok(Recipient::User(u)));
    }
    if let Ok(g) = LineGroupId::parse(s) {
        return Some(Ok(Recipient::Group(g)));
    }
    let lower = rest.len() == 32 && !rest.bytes().any(|b| b.is_ascii_uppercase());
    let (value, n) = (format!("{s:?}"), rest.len().to_string());
    Some(Err(if s.starts_with('R') && lower {
        section_words::ROOM.fill(language, &[("value", &value)])
    } else {
        section_words::NOT_LINE_ID.fill(language, &[("value", &value), ("n", &n)])
    }))
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
    pub fn parse(s: &str, language: Language) -> Result<AckBy, String> {
        match s {
            "recipients" => Ok(AckBy::Recipients),
            "staff" => Ok(AckBy::Staff),
            "anyone" => Ok(AckBy::Anyone),
            other => Err(section_words::ACK_BY.fill(language, &[("value", &format!("{other:?}"))])),
        }
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
        assert_eq!(
            Recipient::parse("Cafe"),
            Ok(Recipient::Staff("Cafe".into()))
        );
    }

    #[test]
    fn a_broken_line_id_is_refused_not_taken_for_a_name() {
        let e = Recipient::parse("U123").unwrap_err();
        assert!(e.contains("not a LINE id") && e.contains("3 here"), "{e}");
        assert!(Recipient::parse("U8E742F61D673B39C7FFF3CECB7536EF0").is_err());
        let e = Recipient::parse("R8e742f61d673b39c7fff3cecb7536ef0").unwrap_err();
        assert!(e.contains("room"), "{e}");
    }
}

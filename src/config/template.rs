//! Text templates with `{{name}}` placeholders, checked at config load against
//! the names the caller will provide — a typo fails `check-config`, not a
//! write-back at 3 a.m. The syntax is the one of Flex templates
//! ([`crate::line::flex::placeholder`]); this adds which names are allowed.

use super::section_words;
use crate::line::flex::placeholder::Pattern;
use crate::text::Language;

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pattern: Pattern,
    source: String,
}

impl Template {
    /// Parses `s`, accepting only placeholders in `allowed`. A name of the
    /// form `field.CODE` is allowed when `allowed` contains `field.*`.
    ///
    /// # Errors
    /// Malformed placeholder syntax, or an unknown placeholder with the list
    /// of valid ones.
    pub fn parse(s: &str, allowed: &[&str]) -> Result<Template, String> {
        Self::parse_in(s, allowed, Language::En)
    }

    /// [`Template::parse`], saying what is wrong in `language`.
    ///
    /// # Errors
    /// As [`Template::parse`].
    pub fn parse_in(s: &str, allowed: &[&str], language: Language) -> Result<Template, String> {
        let pattern = Pattern::parse(s)?;
        if let Some(name) = pattern.names().find(|n| !is_allowed(n, allowed)) {
            // A field code is the one mistake that looks right: say why.
            let why = if name.starts_with("field.") {
                &section_words::FIELD_VALUES_HERE
            } else {
                &section_words::UNKNOWN_PLACEHOLDER
            };
            let placeholder = format!("{{{{{name}}}}}");
            let args = [
                ("why", why.in_(language)),
                ("placeholder", &placeholder),
                ("allowed", &allowed.join(", ")),
            ];
            return Err(section_words::TEMPLATE_NAMES.fill(language, &args));
        }
        Ok(Template {
            pattern,
            source: s.to_owned(),
        })
    }

    /// Fills the placeholders; a value the caller does not have renders empty.
    pub fn render(&self, value: impl Fn(&str) -> Option<String>) -> String {
        self.pattern.render(&value)
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

fn is_allowed(name: &str, allowed: &[&str]) -> bool {
    allowed.contains(&name)
        || (name.len() > "field.".len()
            && name.starts_with("field.")
            && allowed.contains(&"field.*"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_checks_names() {
        let t = Template::parse(
            "by {{name}} at {{ time }}{{field.x}}",
            &["name", "time", "field.*"],
        )
        .unwrap();
        let out = t.render(|k| match k {
            "name" => Some("Taro".into()),
            "time" => Some("09:00".into()),
            _ => None,
        });
        assert_eq!(out, "by Taro at 09:00");
        assert!(Template::parse("{{nmae}}", &["name"])
            .unwrap_err()
            .contains("nmae"));
        assert!(Template::parse("{{name", &["name"]).is_err());
        assert!(Template::parse("{{field.x}}", &["name"]).is_err());
    }

    /// A Japanese field code where field values are not offered: the
    /// message names the placeholder as written and lists what is allowed.
    #[test]
    fn a_field_code_where_fields_are_not_allowed_is_explained() {
        let e = Template::parse("{{name}}：{{field.件名}}", &["name", "title"]).unwrap_err();
        assert_eq!(
            e,
            "field values cannot be used here: {{field.件名}}; use one of name, title"
        );
        assert!(Template::parse("{{field.件名}}", &["field.*"]).is_ok());
    }

    /// Config templates follow the one placeholder syntax of Flex templates
    /// (`line::flex::placeholder`): a stray `}}` or a name with a space is a
    /// mistake to report at load, not text to send.
    #[test]
    fn syntax_is_the_flex_placeholder_syntax() {
        let allowed = &["name", "field.*"];
        assert!(Template::parse("done }} by {{name}}", allowed).is_err());
        assert!(Template::parse("{{field.a b}}", allowed).is_err());
        assert!(Template::parse("{{field.}}", allowed).is_err());
        let t = Template::parse("{a} } { {{ name }}", allowed).unwrap();
        assert_eq!(t.render(|_| Some("Taro".into())), "{a} } { Taro");
    }
}

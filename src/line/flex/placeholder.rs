//! `{{name}}` placeholders inside template strings.
//!
//! The rule kept here: placeholder syntax is checked when the template is
//! loaded, so rendering cannot fail on syntax. A name is one or more
//! characters other than braces and whitespace (kintone field codes include
//! Japanese letters and `・`); spaces just inside the braces are allowed.
//! A lone `{` or `}` is ordinary text; an unclosed `{{` or a stray `}}` is an
//! error. Values are inserted as they are: the JSON writer escapes them.

/// One piece of a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Name(String),
}

/// A template string split into literal text and placeholder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern(Vec<Segment>);

impl Pattern {
    /// Splits `s` into literals and placeholders.
    ///
    /// # Errors
    /// A message saying what is malformed (the caller adds the JSON path).
    pub(crate) fn parse(s: &str) -> Result<Pattern, String> {
        let mut segments = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find("{{") {
            let (before, after) = rest.split_at(open);
            check_no_close(before)?;
            push_literal(&mut segments, before);
            let after = &after[2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in {s:?}"))?;
            segments.push(Segment::Name(name(&after[..close], s)?));
            rest = &after[close + 2..];
        }
        check_no_close(rest)?;
        push_literal(&mut segments, rest);
        Ok(Pattern(segments))
    }

    /// True when the string has at least one placeholder.
    pub(crate) fn has_names(&self) -> bool {
        self.0.iter().any(|s| matches!(s, Segment::Name(_)))
    }

    /// The placeholder names, in order of appearance.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|s| match s {
            Segment::Name(n) => Some(n.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// The string with every placeholder replaced by `lookup(name)`, or by
    /// nothing when `lookup` has no value.
    pub(crate) fn render(&self, lookup: &dyn Fn(&str) -> Option<String>) -> String {
        let mut out = String::new();
        for segment in &self.0 {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Name(name) => out.push_str(&lookup(name).unwrap_or_default()),
            }
        }
        out
    }
}

fn push_literal(segments: &mut Vec<Segment>, text: &str) {
    if !text.is_empty() {
        segments.push(Segment::Literal(text.to_owned()));
    }
}

fn check_no_close(literal: &str) -> Result<(), String> {
    if literal.contains("}}") {
        return Err(format!("`}}}}` without a matching `{{{{` in {literal:?}"));
    }
    Ok(())
}

fn name(inner: &str, whole: &str) -> Result<String, String> {
    let name = inner.trim();
    if name.is_empty() {
        return Err(format!("empty placeholder `{{{{}}}}` in {whole:?}"));
    }
    if name.contains(['{', '}']) || name.contains(char::is_whitespace) {
        return Err(format!(
            "placeholder name {name:?} in {whole:?} may not contain braces or spaces"
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "status" => Some("承認待ち".into()),
            "record_id" => Some("345".into()),
            "担当者" => Some("山田".into()),
            _ => None,
        }
    }

    #[test]
    fn renders_names_and_keeps_literals() {
        let p = Pattern::parse("#{{record_id}} {{ status }} / {{担当者}}{{missing}}!").unwrap();
        assert!(p.has_names());
        assert_eq!(
            p.names().collect::<Vec<_>>(),
            ["record_id", "status", "担当者", "missing"]
        );
        assert_eq!(p.render(&lookup), "#345 承認待ち / 山田!");
    }

    #[test]
    fn plain_text_and_single_braces_are_literal() {
        let p = Pattern::parse("{a} } {").unwrap();
        assert!(!p.has_names());
        assert_eq!(p.render(&lookup), "{a} } {");
        assert_eq!(Pattern::parse("").unwrap().render(&lookup), "");
    }

    #[test]
    fn malformed_placeholders_are_errors() {
        for bad in [
            "{{status",
            "status}}",
            "{{}}",
            "{{ }}",
            "{{a b}}",
            "{{a{b}}",
            "x}} {{y}}",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(Pattern::parse("{{status").unwrap_err().contains("unclosed"));
    }
}

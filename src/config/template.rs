//! Text templates with `{{name}}` placeholders, checked at config load against
//! the names the caller will provide — a typo fails `check-config`, not a
//! write-back at 3 a.m.

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
}

impl Template {
    /// Parses `s`, accepting only placeholders in `allowed`. A name of the
    /// form `field.CODE` is allowed when `allowed` contains `field.*`.
    ///
    /// # Errors
    /// An unclosed `{{` or an unknown placeholder, with the list of valid ones.
    pub fn parse(s: &str, allowed: &[&str]) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed {{{{ in {s:?}"))?;
            let name = after[..close].trim();
            let ok = allowed.contains(&name)
                || (name.starts_with("field.") && name.len() > 6 && allowed.contains(&"field.*"));
            if !ok {
                return Err(format!(
                    "unknown placeholder {{{{{name}}}}}; use one of {}",
                    allowed.join(", ")
                ));
            }
            parts.push(Part::Var(name.to_owned()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template {
            parts,
            source: s.to_owned(),
        })
    }

    /// Fills the placeholders; a value the caller does not have renders empty.
    pub fn render(&self, value: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => out.push_str(&value(v).unwrap_or_default()),
            }
        }
        out
    }

    pub fn source(&self) -> &str {
        &self.source
    }
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
}

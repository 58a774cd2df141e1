//! The words people read, in their language: the message catalogue for
//! LINE and kintone (one file per language) and the language itself.
//!
//! Every person-facing text lives in [`ja`] or [`en`], each a
//! [`Catalogue`] read as a whole; code names a field and fills its `{name}`
//! parameters with [`fill`].

pub mod audit;
mod catalogue;
pub mod en;
pub mod ja;
pub mod page;
pub mod page_en;
pub mod page_ja;
pub mod said;

pub use catalogue::Catalogue;
pub use page::PageTexts;

/// The language staff read in LINE and kintone (`language` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Japanese, the default: kintone and LINE are used above all in Japan.
    #[default]
    Ja,
    En,
}

impl Language {
    /// Parses the config value.
    ///
    /// # Errors
    /// Anything but `ja` or `en`, as a message for the config problem.
    pub fn parse(s: &str) -> Result<Language, String> {
        match s {
            "ja" => Ok(Language::Ja),
            "en" => Ok(Language::En),
            other => Err(format!("must be \"ja\" or \"en\", not {other:?}")),
        }
    }

    /// Every language, for tests and checks that go through both.
    pub const ALL: [Language; 2] = [Language::Ja, Language::En];

    /// This language's texts.
    pub fn catalogue(self) -> &'static Catalogue {
        match self {
            Language::Ja => &ja::JA,
            Language::En => &en::EN,
        }
    }

    /// This language's texts for the web page.
    pub fn page(self) -> &'static PageTexts {
        match self {
            Language::Ja => &page_ja::PAGE_JA,
            Language::En => &page_en::PAGE_EN,
        }
    }

    /// The config value.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }
}

/// `text` with each `{name}` of `args` replaced by its value, in one pass
/// (a value containing `{…}` is not filled again). A `{word}` not in `args`
/// stays as it is, so `{{placeholder}}` template text passes through.
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let found = args.iter().find(|(n, _)| *n == name)?;
            Some((found.1, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_named_parameters_once() {
        let s = fill("#{record} by {by}.", &[("record", "7"), ("by", "{record}")]);
        assert_eq!(s, "#7 by {record}.");
    }

    #[test]
    fn fill_leaves_unknown_braces_and_template_placeholders() {
        assert_eq!(fill("{{name}} {x} {", &[("name", "A")]), "{A} {x} {");
        assert_eq!(fill("{{time}}", &[]), "{{time}}");
        assert_eq!(fill("ほか {count} 件", &[("count", "3")]), "ほか 3 件");
    }

    /// Each parameter a text names is one its caller fills: the catalogues
    /// agree on the `{…}` names of every text (a translation that drops or
    /// misspells one would show `{record}` to staff).
    #[test]
    fn both_languages_name_the_same_parameters() {
        let ja = fields(Language::Ja.catalogue());
        let en = fields(Language::En.catalogue());
        assert_eq!(ja.len(), en.len());
        for ((name, j), (_, e)) in ja.iter().zip(&en) {
            assert_eq!(params(j), params(e), "{name}: ja {j:?} / en {e:?}");
        }
    }

    /// The `{name}` parameters of a text (not `{{template}}` placeholders).
    fn params(s: &str) -> Vec<String> {
        let mut v: Vec<String> = s
            .split('{')
            .skip(1)
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
            .collect();
        v.sort();
        v
    }

    fn fields(c: &Catalogue) -> Vec<(&'static str, &'static str)> {
        c.entries().to_vec()
    }
}

//! Lines of a program's own output in both languages, in one table per
//! program (the demo's narration, the commands' answers): [`said!`] declares
//! them, [`Said::fill`] picks the language and fills `{name}`s. The texts
//! staff read in LINE and kintone are the [`super::Catalogue`]'s.

use super::{fill, Language};

/// One line, in Japanese and English.
pub struct Said {
    pub ja: &'static str,
    pub en: &'static str,
}

impl Said {
    pub fn in_(&self, language: Language) -> &'static str {
        match language {
            Language::Ja => self.ja,
            Language::En => self.en,
        }
    }

    /// The line in `language` with its `{name}` placeholders filled.
    pub fn fill(&self, language: Language, args: &[(&str, &str)]) -> String {
        fill(self.in_(language), args)
    }
}

/// Declares a table's lines (`NAME { ja: "…", en: "…" }`), and for the
/// tests the list of all of them, `ALL`.
macro_rules! said {
    ($($(#[$doc:meta])* $name:ident { ja: $ja:expr, en: $en:expr $(,)? })*) => {
        $($(#[$doc])* pub(super) const $name: $crate::text::said::Said =
            $crate::text::said::Said { ja: $ja, en: $en };)*
        #[cfg(test)]
        const ALL: &[(&str, $crate::text::said::Said)] = &[$((stringify!($name), $name)),*];
    };
}
pub(crate) use said;

/// The `{name}`s in a line, sorted.
#[cfg(test)]
fn placeholders(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What every table keeps: both languages take the same parameters (one
/// only would print `{name}` raw, or drop a figure), the Japanese line is
/// Japanese and the English one has no Japanese (a line copied, not
/// translated).
#[cfg(test)]
pub fn check_table(all: &[(&str, Said)]) {
    for (name, said) in all {
        assert_eq!(placeholders(said.ja), placeholders(said.en), "{name}");
        assert!(
            said.ja.chars().any(|c| c > '\u{3000}'),
            "{name}: {}",
            said.ja
        );
        assert!(
            !said
                .en
                .chars()
                .any(|c| ('\u{3040}'..='\u{9fff}').contains(&c)),
            "{name}"
        );
    }
}

//! The words people read, in their language: the message catalogue for
//! LINE and kintone (one file per language) and the language itself.

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

    /// The config value.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }
}

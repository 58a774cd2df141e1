//! What a report reads of the config: one small read of the file for the
//! store-only commands (`status`, `acks`, `outbox`, `staff`, `send`,
//! `outbox retry`, `backup`, `store rescue`), which run in an admin's shell
//! without the service's credentials and must work read-only with a config
//! that names only `state_dir`.

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use toml::Table;

use super::reader::{Problem, Reader};
use super::{default_state_dir, language_in, read_text, words, zone, ConfigErrors};
use crate::text::Language;

/// What a report needs of the config, from one small read of the file (for
/// store-only commands such as `staff`, `acks` and `status`, which run in an
/// admin's shell without the service's credentials): the state directory,
/// the language of its answers and the site's zone. Nothing else is checked;
/// the file's other problems are `check-config`'s business.
#[derive(Debug)]
pub struct ReportSettings {
    pub path: PathBuf,
    pub state_dir: PathBuf,
    /// `language`, or the default (Japanese) when it is missing or unknown.
    pub language: Language,
    /// `time_zone`, or why it cannot be used: only the commands that show
    /// local times need it, so a bad zone does not stop a backup.
    zone: Result<TimeZone, Vec<Problem>>,
}

impl ReportSettings {
    /// The site's zone.
    ///
    /// # Errors
    /// [`ConfigErrors`] when the file names an unknown zone.
    pub fn time_zone(&self) -> Result<TimeZone, ConfigErrors> {
        self.zone.clone().map_err(|problems| ConfigErrors {
            path: self.path.clone(),
            problems,
            language: self.language,
        })
    }
}

/// Reads the file once for a report ([`ReportSettings`]).
///
/// # Errors
/// [`ConfigErrors`] when the file cannot be read or is not TOML (said in
/// Japanese, the default, as no `language` could be read).
pub fn report_settings(path: &Path) -> Result<ReportSettings, ConfigErrors> {
    let text = read_text(path)?;
    let language = Language::default();
    let table: Table = text.parse().map_err(|e: toml::de::Error| ConfigErrors {
        path: path.to_owned(),
        problems: vec![Problem::whole_file(
            words::NOT_TOML.fill(language, &[("e", e.message())]),
        )],
        language,
    })?;
    let language = language_in(&table);
    let mut r = Reader::new(Path::new("."), None);
    r.language = language;
    let (zone, _) = zone::read_zone(&mut r, &table, Language::En);
    Ok(ReportSettings {
        path: path.to_owned(),
        state_dir: table
            .get("state_dir")
            .and_then(toml::Value::as_str)
            .map_or_else(default_state_dir, PathBuf::from),
        language,
        zone: if r.problems.is_empty() {
            Ok(zone)
        } else {
            Err(r.problems)
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<ReportSettings, ConfigErrors> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        report_settings(&path)
    }

    #[test]
    fn one_read_gives_the_state_dir_the_language_and_the_zone() {
        let s = settings("state_dir = \"/srv/klg\"\n").unwrap();
        assert_eq!(s.state_dir, PathBuf::from("/srv/klg"));
        assert_eq!(s.language, Language::Ja);
        assert!(s.time_zone().is_ok());
        let s = settings("language = \"en\"\ntime_zone = \"Asia/Tokyo\"\n[line]\n").unwrap();
        assert_eq!(s.language, Language::En);
        assert_eq!(s.time_zone().unwrap().iana_name(), Some("Asia/Tokyo"));
    }

    #[test]
    fn a_bad_zone_fails_only_what_needs_it_and_an_unreadable_file_is_said_in_japanese() {
        let s = settings("state_dir = \"/srv/klg\"\ntime_zone = \"Mars/Olympus\"\n").unwrap();
        assert_eq!(s.state_dir, PathBuf::from("/srv/klg"));
        let e = s.time_zone().unwrap_err();
        assert_eq!(e.problems[0].key, "time_zone");
        assert!(
            e.to_string()
                .contains("IANA のタイムゾーン名ではありません"),
            "{e}"
        );
        let e = settings("state_dir = [\n").unwrap_err();
        assert!(
            e.to_string().contains("TOML の書き方に誤りがあります"),
            "{e}"
        );
        let e = report_settings(Path::new("/nonexistent/klg.toml")).unwrap_err();
        assert!(e.to_string().contains("設定ファイルを読めません"), "{e}");
    }
}

//! The whole configuration, every section validated together so
//! `check-config` lists all problems at once: the core [`Config`], the
//! notification rules, `[notify]` and `[indicator]`.

use std::path::Path;

use crate::clock::Clock;
use crate::config::document::Document;
use crate::config::indicator::{check_lines, read_indicator, IndicatorConfig, LineLookup};
use crate::config::ingress::{read_ingress, IngressConfig};
use crate::config::notify::{read_notify, OutboxSettings};
use crate::config::notify_api::{read_notify_api, NotifyApiConfig};
use crate::config::reader::{Problem, Reader};
use crate::config::rules::{read_rules, Rule};
use crate::config::ui::{read_ui, UiConfig};
use crate::config::{credentials_dir, read_text, Config, ConfigErrors};
use crate::domain::AppId;

/// Everything the daemon runs from.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: Config,
    pub rules: Vec<Rule>,
    pub outbox: OutboxSettings,
    pub indicator: IndicatorConfig,
    /// How webhooks reach the board (`[ingress]`).
    pub ingress: IngressConfig,
    /// The LINE Notify–compatible endpoint's tokens (`[notify_api]`).
    pub notify_api: NotifyApiConfig,
    /// The board's web page (`[ui]`).
    pub ui: UiConfig,
    /// The system's clocks; tests and the demo put a wrong one here.
    pub clock: Clock,
    /// The file as written, for naming what a reload changes.
    pub written: toml::Table,
}

impl Setup {
    /// Loads and validates the file at `path`.
    ///
    /// # Errors
    /// [`ConfigErrors`] listing every problem found, with its key and line.
    pub fn load(path: &Path) -> Result<Setup, ConfigErrors> {
        Self::check(path, None)
    }

    /// [`Setup::load`], and with `lines` also checks that every configured
    /// GPIO line exists on this board (`check-config`), in the same round.
    ///
    /// # Errors
    /// [`ConfigErrors`] listing every problem found, with its key and line.
    pub fn check(path: &Path, lines: Option<&dyn LineLookup>) -> Result<Setup, ConfigErrors> {
        let text = read_text(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let doc = Document::parse(&text);
        let language = doc.language;
        Self::read(doc, base, lines).map_err(|problems| ConfigErrors {
            path: path.to_owned(),
            problems,
            language,
        })
    }

    /// Validates every section of config text in one pass: a new section
    /// or key is read here through the same [`Reader`], so its problems join
    /// the one list, placed and in the order of the file.
    ///
    /// # Errors
    /// Every problem found.
    pub fn parse(
        text: &str,
        base_dir: &Path,
        lines: Option<&dyn LineLookup>,
    ) -> Result<Setup, Vec<Problem>> {
        Self::read(Document::parse(text), base_dir, lines)
    }

    fn read(
        doc: Document,
        base_dir: &Path,
        lines: Option<&dyn LineLookup>,
    ) -> Result<Setup, Vec<Problem>> {
        let t = &doc.table;
        let mut r = Reader::new(base_dir, credentials_dir());
        let config = super::read(&mut r, t);
        let apps = config.as_ref().map_or_else(
            || app_ids_written(t),
            |c| c.kintone.apps.iter().map(|a| a.id).collect(),
        );
        let rules = read_rules(t, &apps, base_dir).unwrap_or_else(|p| {
            r.problems.extend(p);
            Vec::new()
        });
        let outbox = read_notify(&mut r, t);
        let notify_api = read_notify_api(&mut r, t);
        let ui = read_ui(&mut r, t);
        let mut indicator = read_indicator(&mut r, t);
        let ingress = read_ingress(&mut r, t);
        if let Some(p) = &ingress.pubsub {
            indicator.pubsub_trouble_after = p.trouble_after;
        }
        if let Some(lines) = lines {
            r.problems
                .extend(check_lines(&indicator, lines, r.language));
        }
        let mut problems = doc.syntax.clone();
        problems.append(&mut r.problems);
        doc.place(&mut problems);
        match config {
            Some(config) if problems.is_empty() => Ok(Setup {
                config,
                rules,
                outbox,
                indicator,
                ingress,
                notify_api,
                ui,
                clock: Clock::system(),
                written: doc.table.clone(),
            }),
            _ => Err(problems),
        }
    }
}

/// The app ids written in `[[kintone.apps]]`, for checking the rules when
/// that section has problems of its own.
fn app_ids_written(t: &toml::Table) -> Vec<AppId> {
    let apps = t
        .get("kintone")
        .and_then(|k| k.get("apps"))
        .and_then(toml::Value::as_array);
    apps.into_iter()
        .flatten()
        .filter_map(|a| a.get("id")?.as_integer())
        .filter_map(|n| AppId::new(u64::try_from(n).ok()?).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::words::COALESCE_WINDOW_DEPRECATED;

    fn notify(text: &str) -> (OutboxSettings, Vec<Problem>) {
        let rest: toml::Table = toml::from_str(text).expect("toml");
        let mut r = Reader::new(Path::new("."), None);
        let s = read_notify(&mut r, &rest);
        (s, r.problems)
    }

    #[test]
    fn pacing_defaults_meet_the_latency_and_cost_goals() {
        let (s, problems) = notify("");
        assert!(problems.is_empty());
        assert_eq!(s.pacing.debounce, Duration::from_secs(1));
        assert_eq!(s.pacing.max_wait, Duration::from_secs(20));
        assert_eq!(s.pacing.prompt_per_minute, 2);
    }

    #[test]
    fn pacing_keys_are_read_and_checked() {
        let (s, problems) =
            notify("[notify]\ndebounce = \"2s\"\nmax_wait = \"45s\"\nprompt_per_minute = 4\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.pacing.debounce, Duration::from_secs(2));
        assert_eq!(s.pacing.max_wait, Duration::from_secs(45));
        assert_eq!(s.pacing.prompt_per_minute, 4);
        let (_, problems) =
            notify("[notify]\ndebounce = \"5s\"\nmax_wait = \"2s\"\nprompt_per_minute = -1\n");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["notify.max_wait", "notify.prompt_per_minute"]);
    }

    #[test]
    fn quiet_hours_for_pushes_are_read_and_checked() {
        let (s, problems) =
            notify("[notify]\nquiet_hours = { from = \"22:00\", to = \"07:00\" }\n");
        assert!(problems.is_empty(), "{problems:?}");
        let q = s.quiet_hours.expect("quiet hours");
        assert_eq!((q.from.hour(), q.to.hour()), (22, 7));
        assert!(notify("").0.quiet_hours.is_none());
        let (_, problems) =
            notify("[notify]\nquiet_hours = { from = \"25:00\", to = \"07:00\" }\n");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["notify.quiet_hours.from"]);
        assert!(!notify("").0.pause_reminders, "continue by default");
        assert!(
            notify("[notify]\nreminders_at_night = \"pause\"\n")
                .0
                .pause_reminders
        );
        let (_, problems) = notify("[notify]\nreminders_at_night = \"stop\"\n");
        assert_eq!(problems[0].key, "notify.reminders_at_night");
    }

    #[test]
    fn the_old_coalesce_window_still_loads_with_a_deprecation_warning() {
        let (s, problems) = notify("[notify]\ncoalesce_window = \"60s\"\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.deprecated, [COALESCE_WINDOW_DEPRECATED.ja]);
        assert_eq!(s.pacing, crate::config::notify::Pacing::default());
        let (s, problems) = notify("[notify]\ncoalesce_window = 60\n");
        assert_eq!(problems.len(), 1, "a malformed value is still a problem");
        assert_eq!(s.deprecated.len(), 1);
    }
}

//! `check-config` and `doctor`: say whether the config, and the board, are
//! as the gateway needs them, in the config's language.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::exit_code::{load, EXIT_CONFIG};
use super::words;
use crate::config::document::Document;
use crate::config::reader::Problem;
use crate::config::setup::Setup;
use crate::config::{AppConfig, ConfigErrors};
use crate::doctor::recipients::{judge_setup, Finding};
use crate::notify::budget::{Budget, DAILY_LIMIT};
use crate::text::Language;

pub(super) fn check_config(config: &Path) -> ExitCode {
    let c = match Setup::check(config, Some(crate::indicator::hardware_lines())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let lang = c.config.language;
    // Judged after the file: they need the store's staff directory.
    let (mut problems, warnings) = recipients(&c);
    if !problems.is_empty() {
        if let Ok(text) = crate::config::read_text(config) {
            Document::parse(&text).place(&mut problems);
        }
        let path = config.to_owned();
        let errors = ConfigErrors {
            path,
            problems,
            language: lang,
        };
        eprintln!("{errors}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let (apps, rules) = (c.config.kintone.apps.len(), c.rules.len());
    let (apps, rules) = (apps.to_string(), rules.to_string());
    let (path, listen) = (
        config.display().to_string(),
        c.config.server.listen.to_string(),
    );
    let args = [
        ("path", path.as_str()),
        ("apps", &apps),
        ("rules", &rules),
        ("listen", &listen),
    ];
    println!("{}", words::CHECK_OK.fill(lang, &args));
    for app in &c.config.kintone.apps {
        println!("  {}", budget_line(lang, app));
    }
    let notes = c.config.warnings.iter().chain(&c.outbox.deprecated);
    for note in notes.chain(&warnings) {
        println!("{}", words::CHECK_WARNING.fill(lang, &[("note", note)]));
    }
    ExitCode::SUCCESS
}

/// What polling `app` costs a day, in one line.
fn budget_line(lang: Language, app: &AppConfig) -> String {
    let (id, limit) = (app.id.to_string(), DAILY_LIMIT.to_string());
    let named = [("app", id.as_str()), ("name", &app.name)];
    let Budget::Polling {
        interval,
        per_day,
        share,
        too_much,
    } = Budget::of(app)
    else {
        return words::BUDGET_OFF.fill(lang, &named);
    };
    let (s, per_day) = (interval.as_secs().to_string(), per_day.to_string());
    let share = share.to_string();
    let figures = [("s", s.as_str()), ("per_day", &per_day), ("share", &share)];
    let args: Vec<_> = named
        .into_iter()
        .chain(figures)
        .chain([("limit", limit.as_str())])
        .collect();
    let line = words::BUDGET_POLLING.fill(lang, &args);
    if too_much {
        words::BUDGET_TOO_MUCH.fill(lang, &[("line", &line)])
    } else {
        line
    }
}

/// The recipients judged against the staff directory (read-only; a board
/// with no store yet is only warned about): problems, and warnings.
fn recipients(setup: &Setup) -> (Vec<Problem>, Vec<String>) {
    let (dir, lang) = (&setup.config.state_dir, setup.config.language);
    let directory = match crate::store::directory::read_only(dir, crate::clock::now_ms()) {
        Ok(Some(d)) => d,
        Ok(None) => {
            let dir = dir.display().to_string();
            let note = words::RECIPIENTS_NO_DIRECTORY.fill(lang, &[("dir", &dir)]);
            return (Vec::new(), vec![note]);
        }
        Err(e) => {
            let note = words::RECIPIENTS_UNCHECKED.fill(lang, &[("e", &e.to_string())]);
            return (Vec::new(), vec![note]);
        }
    };
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for (key, finding) in judge_setup(setup, &directory) {
        match finding {
            Finding::Reaches(_) => {}
            Finding::Warning(w) => {
                warnings.push(words::AT_KEY.fill(lang, &[("key", &key), ("note", &w)]));
            }
            Finding::Problem(message) => problems.push(Problem::new(key, message)),
        }
    }
    (problems, warnings)
}

pub(super) async fn doctor(config: &Path) -> ExitCode {
    let setup = match load(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let lang = setup.config.language;
    // A closed stdout (`doctor | head`) ends nothing early: every check
    // still runs, and the exit code still says how they went.
    let mut out = std::io::stdout();
    let path = config.display().to_string();
    let _ = writeln!(out, "{}", words::DOCTOR_HEAD.fill(lang, &[("path", &path)]));
    let checks = crate::doctor::run(&setup, &mut out).await;
    let failed = checks.iter().filter(|c| !c.ok).count();
    let (n, failed_n) = (checks.len().to_string(), failed.to_string());
    let args = [("n", n.as_str()), ("failed", &failed_n)];
    if failed == 0 {
        let _ = writeln!(out, "{}", words::DOCTOR_ALL_PASSED.fill(lang, &args));
        ExitCode::SUCCESS
    } else {
        let _ = writeln!(out, "{}", words::DOCTOR_FAILED.fill(lang, &args));
        ExitCode::FAILURE
    }
}

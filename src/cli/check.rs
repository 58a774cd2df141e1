//! `check-config` and `doctor`: say whether the config, and the board, are
//! as the gateway needs them.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::exit_code::{load, EXIT_CONFIG};
use crate::config::document::Document;
use crate::config::reader::Problem;
use crate::config::setup::Setup;
use crate::config::ConfigErrors;
use crate::doctor::recipients::{judge_setup, Finding};

pub(super) fn check_config(config: &Path) -> ExitCode {
    let c = match Setup::check(config, Some(crate::indicator::hardware_lines())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // Judged after the file: they need the store's staff directory.
    let (mut problems, warnings) = recipients(&c);
    if !problems.is_empty() {
        if let Ok(text) = crate::config::read_text(config) {
            Document::parse(&text).place(&mut problems);
        }
        eprintln!(
            "{}",
            ConfigErrors {
                path: config.to_owned(),
                problems
            }
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    println!(
        "{}: OK ({} app(s), {} rule(s), listening on {})",
        config.display(),
        c.config.kintone.apps.len(),
        c.rules.len(),
        c.config.server.listen
    );
    for app in &c.config.kintone.apps {
        println!("  {}", crate::notify::poll::budget_line(app));
    }
    for note in c.config.warnings.iter().chain(&c.outbox.deprecated) {
        println!("  warning: {note}");
    }
    for note in warnings {
        println!("  warning: {note}");
    }
    ExitCode::SUCCESS
}

/// The recipients judged against the staff directory (read-only; a board
/// with no store yet is only warned about): problems, and warnings.
fn recipients(setup: &Setup) -> (Vec<Problem>, Vec<String>) {
    let dir = &setup.config.state_dir;
    let directory = match crate::store::directory::read_only(dir, crate::clock::now_ms()) {
        Ok(Some(d)) => d,
        Ok(None) => {
            let note = format!(
                "recipients not checked: no staff directory yet in {} (the daemon creates it)",
                dir.display()
            );
            return (Vec::new(), vec![note]);
        }
        Err(e) => return (Vec::new(), vec![format!("recipients not checked: {e}")]),
    };
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for (key, finding) in judge_setup(setup, &directory) {
        match finding {
            Finding::Reaches(_) => {}
            Finding::Warning(w) => warnings.push(format!("{key}: {w}")),
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
    // A closed stdout (`doctor | head`) ends nothing early: every check
    // still runs, and the exit code still says how they went.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "kintone-line-gateway doctor — {}", config.display());
    let checks = crate::doctor::run(&setup, &mut out).await;
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed == 0 {
        let _ = writeln!(out, "All {} checks passed.", checks.len());
        ExitCode::SUCCESS
    } else {
        let _ = writeln!(out, "{failed} of {} checks failed.", checks.len());
        ExitCode::FAILURE
    }
}

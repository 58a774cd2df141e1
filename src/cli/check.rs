//! `check-config` and `doctor`: say whether the config, and the board, are
//! as the gateway needs them.

use std::path::Path;
use std::process::ExitCode;

use super::exit_code::{load, EXIT_CONFIG};
use crate::config::setup::Setup;

pub(super) fn check_config(config: &Path) -> ExitCode {
    let c = match Setup::check(config, Some(crate::indicator::hardware_lines())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
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
    ExitCode::SUCCESS
}

pub(super) async fn doctor(config: &Path) -> ExitCode {
    let setup = match load(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    println!("kintone-line-gateway doctor — {}", config.display());
    let checks = crate::doctor::run(&setup, &mut std::io::stdout()).await;
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed == 0 {
        println!("All {} checks passed.", checks.len());
        ExitCode::SUCCESS
    } else {
        println!("{failed} of {} checks failed.", checks.len());
        ExitCode::FAILURE
    }
}

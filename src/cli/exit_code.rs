//! Exit codes, following sysexits: 64 for a bad config or bad arguments
//! (systemd's `RestartPreventExitStatus=64` then stops a crash loop), 1 for a
//! failure while running.

use std::path::Path;
use std::process::ExitCode;

use crate::config::setup::Setup;
use crate::config::ConfigErrors;

/// Exit code for a bad config or bad usage (`EX_USAGE`).
pub const EXIT_CONFIG: u8 = 64;

/// A command's result as the process's exit code; a config problem is 64.
pub(super) fn exit(r: anyhow::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<ConfigErrors>().is_some() {
                eprintln!("{e}");
                return ExitCode::from(EXIT_CONFIG);
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The whole setup (config, secrets, rules), or exit code 64 with every
/// problem printed.
pub(super) fn load(path: &Path) -> Result<Setup, ExitCode> {
    Setup::load(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(EXIT_CONFIG)
    })
}

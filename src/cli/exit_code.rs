//! Exit codes, following sysexits: 64 for a bad config or bad arguments,
//! 65 for a damaged store, 66 for a store that is gone or not there yet (a
//! report finds none: the service has not run; nothing is created);
//! systemd's `RestartPreventExitStatus=64 65 66` then stops a crash loop, as
//! a restart cannot fix any of them. 1 for a failure while running, 0 when
//! the reader of our output went away (`status | head -1`): a closed pipe is
//! the reader's choice, not a failure.

use std::path::Path;
use std::process::ExitCode;

use super::{failure, words};
use crate::config::report_settings;
use crate::config::setup::Setup;
use crate::config::ConfigErrors;
use crate::store::StoreError;
use crate::text::said::Said;
use crate::text::Language;

/// Exit code for a bad config or bad usage (`EX_USAGE`).
pub const EXIT_CONFIG: u8 = 64;
/// Exit code for a damaged store (`EX_DATAERR`): `store rescue` recovers.
pub const EXIT_STORE_DAMAGED: u8 = 65;
/// Exit code for a state directory whose store is gone (`EX_NOINPUT`):
/// restore it, or `run --new-store`; also a report with no store to read.
pub const EXIT_STORE_MISSING: u8 = 66;

/// A value on the command line that clap accepted as text but that does not
/// mean anything (`--since yesterday`, `--valid 3x`): exit code 64, as for
/// clap's own usage errors.
pub(super) struct UsageError {
    said: &'static Said,
    args: Vec<(&'static str, String)>,
}

impl UsageError {
    pub(super) fn new(said: &'static Said, args: &[(&'static str, &str)]) -> UsageError {
        UsageError {
            said,
            args: args.iter().map(|&(k, v)| (k, v.to_owned())).collect(),
        }
    }

    /// What is wrong, in `language`.
    pub(super) fn in_(&self, language: Language) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.said.fill(language, &args)
    }
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.in_(Language::En))
    }
}

impl std::fmt::Debug for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UsageError({self})")
    }
}

impl std::error::Error for UsageError {}

/// A command's result as the process's exit code; a config problem is 64.
/// A failure is said in the language of the config at `config` (Japanese
/// when it cannot be read).
pub(super) fn exit(config: &Path, r: anyhow::Result<()>) -> ExitCode {
    exit_in(r, || {
        report_settings(config).map_or_else(|_| Language::default(), |s| s.language)
    })
}

/// [`exit`] for a command that knows its language without a config (the
/// demo's `--lang`); `language` is asked only when there is a failure to say.
pub(super) fn exit_in(r: anyhow::Result<()>, language: impl FnOnce() -> Language) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            if e.downcast_ref::<ConfigErrors>().is_some() {
                eprintln!("{e}");
                return ExitCode::from(EXIT_CONFIG);
            }
            let language = language();
            if let Some(usage) = e.downcast_ref::<UsageError>() {
                let what = usage.in_(language);
                eprintln!("{}", words::FAILED.fill(language, &[("what", &what)]));
                return ExitCode::from(EXIT_CONFIG);
            }
            eprintln!("{}", failure::said(&e, language));
            match e.downcast_ref::<StoreError>() {
                Some(StoreError::Corrupt { .. }) => ExitCode::from(EXIT_STORE_DAMAGED),
                Some(StoreError::Missing { .. } | StoreError::NoStore { .. }) => {
                    ExitCode::from(EXIT_STORE_MISSING)
                }
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// The error is stdout closed under us (EPIPE): nothing left to tell.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The whole setup (config, secrets, rules), or exit code 64 with every
/// problem printed.
pub(super) fn load(path: &Path) -> Result<Setup, ExitCode> {
    Setup::load(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(EXIT_CONFIG)
    })
}

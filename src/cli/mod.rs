//! The command line: parse, set up logging, hand over to one command. The
//! arguments are in `args`, the exit codes in `exit_code`, each command group
//! in its own file.

mod args;
mod check;
mod exit_code;
mod reports;
mod staff;

use clap::Parser;
use std::path::Path;
use std::process::ExitCode;

use crate::store::Store;
use args::{Cli, Command};
pub use exit_code::EXIT_CONFIG;
use exit_code::{exit, load};

/// Entry point for the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // The demo narrates on stdout; only warnings from the gateway itself.
    #[cfg(feature = "sim")]
    let quiet = matches!(cli.command, Command::Demo { .. });
    #[cfg(not(feature = "sim"))]
    let quiet = false;
    init_logging(if quiet {
        "warn"
    } else {
        "info,hyper=warn,reqwest=warn"
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(dispatch(cli.command))
}

fn init_logging(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("KLG_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // journald stamps each line itself; plain lines read best there.
    if journald {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.init();
    }
}

async fn dispatch(cmd: Command) -> ExitCode {
    match cmd {
        #[cfg(feature = "sim")]
        Command::Demo { interactive, lang } => {
            let language = crate::text::Language::parse(&lang).unwrap_or_default();
            exit(crate::demo::run(interactive, language).await)
        }
        Command::Run { config } => match load(&config) {
            Ok(c) => exit(crate::daemon::run_until_signal(c, &config).await),
            Err(code) => code,
        },
        Command::CheckConfig { config } => check::check_config(&config),
        Command::Staff { config, action } => exit(staff::staff(&config, action).await),
        Command::Acks {
            config,
            since,
            json,
        } => exit(reports::acks(&config, &since, json).await),
        Command::Outbox { config, all } => exit(reports::outbox(&config, all).await),
        Command::Status { config } => exit(reports::status(&config).await),
        Command::Doctor { config } => check::doctor(&config).await,
    }
}

/// Store-only commands need just the state directory, not the secrets (an
/// admin's shell has no `$CREDENTIALS_DIRECTORY`).
fn open_store(config: &Path) -> anyhow::Result<Store> {
    let dir = crate::config::state_dir_of(config)?;
    Ok(Store::open(&dir)?)
}

//! The command line: parse, set up logging, hand over to one command. The
//! arguments are in `args`, the exit codes in `exit_code`, logging in
//! `logging`, each command group in its own file. Reports write to stdout
//! with `writeln!` and stop quietly when the reader has gone (`| head`).

mod args;
mod check;
mod exit_code;
mod failure;
mod logging;
mod reports;
mod retry;
mod send;
mod staff;
mod status;
mod store;
mod ui_password;
mod usage;
mod words;

use std::path::Path;
use std::process::ExitCode;

use crate::config::ReportSettings;
use crate::store::Store;
use args::{Cli, Command};
use exit_code::{exit, load};
pub use exit_code::{EXIT_CONFIG, EXIT_STORE_DAMAGED, EXIT_STORE_MISSING};

/// The command line as clap sees it: `examples/assets.rs` renders the man
/// page and the shell completions from it, so they cannot drift.
pub fn command() -> clap::Command {
    args::localised(<Cli as clap::CommandFactory>::command())
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    let cli = match parse(std::env::args_os()) {
        Ok(Cli {
            command: Command::Help { command },
            ..
        }) => {
            // `help store rescue` is `store rescue --help`.
            let bin = std::env::args_os().next().unwrap_or_default();
            let asked = std::iter::once(bin)
                .chain(command.into_iter().map(Into::into))
                .chain(std::iter::once("--help".into()));
            return parse(asked).err().unwrap_or(ExitCode::SUCCESS);
        }
        Ok(c) => c,
        Err(code) => return code,
    };
    // The demo narrates on stdout; only warnings from the gateway itself.
    #[cfg(feature = "sim")]
    let quiet = matches!(cli.command, Command::Demo { .. });
    #[cfg(not(feature = "sim"))]
    let quiet = false;
    logging::init(
        cli.log_level.as_deref(),
        if quiet {
            "warn"
        } else {
            "info,hyper=warn,reqwest=warn"
        },
    );
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
    runtime.block_on(dispatch(&cli.config, cli.command))
}

/// The command line parsed; a refusal (or `--help`, `--version`) printed,
/// and the exit code it ends with.
fn parse<I, T>(line: I) -> Result<Cli, ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let refused = |e: clap::Error| {
        // `--help` and `--version` are clap's to print; so is the help that
        // a command missing its subcommand shows, after the reason.
        let with_help =
            e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
        if e.use_stderr() {
            eprintln!("{}", usage::said(&e, crate::text::Language::default()));
            if with_help {
                eprintln!();
            }
        }
        if !e.use_stderr() || with_help {
            let _ = e.print();
        }
        if e.use_stderr() {
            ExitCode::from(EXIT_CONFIG)
        } else {
            ExitCode::SUCCESS
        }
    };
    let matches = command().try_get_matches_from(line).map_err(refused)?;
    <Cli as clap::FromArgMatches>::from_arg_matches(&matches).map_err(refused)
}

async fn dispatch(config: &Path, cmd: Command) -> ExitCode {
    match cmd {
        #[cfg(feature = "sim")]
        Command::Demo { interactive, lang } => {
            let language = crate::text::Language::parse(&lang).unwrap_or_default();
            exit_code::exit_in(crate::demo::run(interactive, language).await, || language)
        }
        Command::Run { new_store } => match load(config) {
            Ok(c) => exit(config, store::run(c, config, new_store).await),
            Err(code) => code,
        },
        Command::Store { action } => exit(config, store::store(config, &action)),
        Command::CheckConfig => check::check_config(config),
        Command::Staff { action } => exit(config, staff::staff(config, action).await),
        Command::Acks { since, json } => exit(config, reports::acks(config, &since, json).await),
        Command::Outbox { all, action: None } => exit(config, reports::outbox(config, all).await),
        Command::Outbox {
            action: Some(args::OutboxAction::Retry { id, all }),
            ..
        } => exit(config, retry::retry(config, id, all).await),
        Command::Status => exit(config, status::status(config).await),
        Command::Backup { file } => exit(config, reports::backup(config, &file)),
        Command::Send { to, text } => exit(config, send::send(config, &to, &text).await),
        Command::Doctor => check::doctor(config).await,
        Command::UiPassword { file } => exit(config, ui_password::ui_password(config, &file)),
        // Answered in `main`, before the runtime.
        Command::Help { .. } => ExitCode::SUCCESS,
    }
}

/// Store-only commands need just the state directory, not the secrets (an
/// admin's shell has no `$CREDENTIALS_DIRECTORY`).
fn open_store(settings: &ReportSettings) -> anyhow::Result<Store> {
    Ok(Store::open(&settings.state_dir)?)
}

/// The store for a report: read-only, never created or migrated.
fn read_store(settings: &ReportSettings) -> anyhow::Result<Store> {
    Ok(Store::open_read_only(&settings.state_dir)?)
}

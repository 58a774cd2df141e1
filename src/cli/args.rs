//! The argument definitions: every command and its options, as clap parses them.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

const DEFAULT_CONFIG: &str = "/etc/kintone-line-gateway/config.toml";

/// Exit codes and environment, for `--help` and the man page.
const AFTER_HELP: &str = "Exit status: 0 done (also when the reader of the output went away, as with `| head`); \
1 failed while running; 64 bad config or bad arguments; 65 the store is damaged (`store rescue`); \
66 the store is gone (restore it, or `run --new-store`) or not there yet (the service has not run).
Environment: KLG_CONFIG (the config file, as --config); RUST_LOG, or its older name KLG_LOG \
(the log filter; --log-level wins); JOURNAL_STREAM (set by systemd: log lines carry their priority).";

#[derive(Debug, Parser)]
#[command(
    name = "kintone-line-gateway",
    version,
    about = "kintone ⇄ LINE gateway: push on record changes, acknowledge by postback, lights in the office",
    after_help = AFTER_HELP
)]
pub(super) struct Cli {
    /// The config file (every command reads it; the state directory is named there).
    #[arg(
        short = 'c',
        long,
        global = true,
        env = "KLG_CONFIG",
        default_value = DEFAULT_CONFIG
    )]
    pub(super) config: PathBuf,
    /// The log filter (`warn`, `info`, `debug`, or `info,kintone_line_gateway=debug`);
    /// wins over `RUST_LOG`, which wins over `KLG_LOG`.
    #[arg(long, global = true, value_name = "FILTER")]
    pub(super) log_level: Option<String>,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Run the whole system offline against built-in simulators of LINE and kintone.
    #[cfg(feature = "sim")]
    Demo {
        /// After the scenario, keep everything running and take commands.
        #[arg(long)]
        interactive: bool,
        /// The language staff read (the narration, the site's `language`): ja or en.
        #[arg(long, default_value = "ja", value_parser = ["ja", "en"])]
        lang: String,
    },
    /// Run the daemon.
    Run {
        /// Start with a new, empty store where the old one is gone (the
        /// state directory's marker says it had one). Everything the old
        /// store held is given up. Without it such a start is refused.
        #[arg(long)]
        new_store: bool,
    },
    /// Check the config (and secrets, and hardware lines); list every problem.
    CheckConfig,
    /// Link staff LINE accounts with one-time codes.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// List acknowledgements from the audit log.
    Acks {
        /// A date (2026-11-01), a timestamp, or a span back from now (24h, 7d).
        #[arg(long, default_value = "24h")]
        since: String,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show queued and dead-lettered push requests; `outbox retry` sends
    /// dead letters again.
    Outbox {
        /// Include requests already sent.
        #[arg(long)]
        all: bool,
        #[command(subcommand)]
        action: Option<OutboxAction>,
    },
    /// Copy the store, consistently, while the service runs (SQLite's online
    /// backup) into a new owner-only FILE.
    Backup {
        /// Where the copy goes (must not exist yet).
        file: PathBuf,
    },
    /// Queue a LINE text message for staff or groups (for scripts on the
    /// board); the running daemon sends it through its outbox.
    Send {
        /// A recipient as in the rules: a staff name, kintone:USER,
        /// group:NAME or a LINE id. Repeat for more.
        #[arg(long, required = true)]
        to: Vec<String>,
        /// The text (at most 5,000 characters).
        text: String,
    },
    /// Print the gateway's status summary from the store.
    Status,
    /// Look after the store (the SQLite database in the state directory).
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Check from this board that LINE, kintone, GPIO, the state directory
    /// and the clock are all as the gateway needs them.
    Doctor,
    /// Read the web page's password from standard input and write its
    /// argon2 hash to FILE (owner-only), for `[ui] password = { file = "FILE" }`.
    UiPassword {
        /// Where the hash goes.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum OutboxAction {
    /// Put dead letters back in the queue with a new retry key: LINE sends
    /// them again (the running service picks them up within a second).
    Retry {
        /// The push request's number, as `outbox` lists it.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Every dead letter.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum StoreAction {
    /// After the gateway refused a damaged store (exit 65), with the service
    /// stopped: move the damaged file aside (kept), copy what can still be
    /// read into a new store, and list per table what was kept and lost.
    Rescue,
}

#[derive(Debug, Subcommand)]
pub(super) enum StaffAction {
    /// Print a one-time code for a staff member to send to the bot in LINE.
    Invite {
        /// The name shown in kintone write-backs.
        name: String,
        /// Their kintone login name, for rules that address record assignees.
        #[arg(long)]
        kintone_user: Option<String>,
        /// How long the code stays valid.
        #[arg(long, default_value = "72h")]
        valid: String,
    },
    /// List linked staff.
    List,
    /// Unlink staff by LINE user id, name or kintone user.
    Remove { who: String },
}

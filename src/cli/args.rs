//! The argument definitions: every command and its options, as clap parses them.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

const DEFAULT_CONFIG: &str = "/etc/kintone-line-gateway/config.toml";

#[derive(Debug, Parser)]
#[command(
    name = "kintone-line-gateway",
    version,
    about = "kintone ⇄ LINE gateway: push on record changes, acknowledge by postback, lights in the office"
)]
pub(super) struct Cli {
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
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// Start with a new, empty store where the old one is gone (the
        /// state directory's marker says it had one). Everything the old
        /// store held is given up. Without it such a start is refused.
        #[arg(long)]
        new_store: bool,
    },
    /// Check the config (and secrets, and hardware lines); list every problem.
    CheckConfig {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Link staff LINE accounts with one-time codes.
    Staff {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        #[command(subcommand)]
        action: StaffAction,
    },
    /// List acknowledgements from the audit log.
    Acks {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// A date (2026-11-01), a timestamp, or a span back from now (24h, 7d).
        #[arg(long, default_value = "24h")]
        since: String,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show queued and dead-lettered push requests.
    Outbox {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// Include requests already sent.
        #[arg(long)]
        all: bool,
    },
    /// Queue a LINE text message for staff or groups (for scripts on the
    /// board); the running daemon sends it through its outbox.
    Send {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// A recipient as in the rules: a staff name, kintone:USER,
        /// group:NAME or a LINE id. Repeat for more.
        #[arg(long, required = true)]
        to: Vec<String>,
        /// The text (at most 5,000 characters).
        text: String,
    },
    /// Print the gateway's status summary from the store.
    Status {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Look after the store (the SQLite database in the state directory).
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Check from this board that LINE, kintone, GPIO, the state directory
    /// and the clock are all as the gateway needs them.
    Doctor {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum StoreAction {
    /// After the gateway refused a damaged store (exit 65), with the service
    /// stopped: move the damaged file aside (kept), copy what can still be
    /// read into a new store, and list per table what was kept and lost.
    Rescue {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
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

//! The command line: parse, set up logging, hand over. Exit codes follow
//! sysexits: 64 for a bad config or bad arguments (systemd's
//! `RestartPreventExitStatus=64` then stops a crash loop), 1 for a failure
//! while running.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::clock::{format_ms, now_ms};
use crate::config::setup::Setup;
use crate::config::{reader::parse_duration, ConfigErrors};
use crate::store::Store;

/// Exit code for a bad config or bad usage (`EX_USAGE`).
pub const EXIT_CONFIG: u8 = 64;
const DEFAULT_CONFIG: &str = "/etc/kintone-line-gateway/config.toml";

#[derive(Debug, Parser)]
#[command(
    name = "kintone-line-gateway",
    version,
    about = "kintone ⇄ LINE gateway: push on record changes, acknowledge by postback, lights in the office"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole system offline against built-in simulators of LINE and kintone.
    #[cfg(feature = "sim")]
    Demo {
        /// After the scenario, keep everything running and take commands.
        #[arg(long)]
        interactive: bool,
    },
    /// Run the daemon.
    Run {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
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
    /// Print the gateway's status summary from the store.
    Status {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Check from this board that LINE, kintone, GPIO, the state directory
    /// and the clock are all as the gateway needs them.
    Doctor {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum StaffAction {
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
        Command::Demo { interactive } => exit(crate::demo::run(interactive).await),
        Command::Run { config } => match load(&config) {
            Ok(c) => exit(crate::daemon::run_until_signal(c).await),
            Err(code) => code,
        },
        Command::CheckConfig { config } => match load(&config) {
            Ok(c) => {
                let hardware = crate::indicator::check_hardware(&c.indicator);
                if !hardware.is_empty() {
                    eprintln!(
                        "{}",
                        ConfigErrors {
                            path: config,
                            problems: hardware
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
                for note in &c.outbox.deprecated {
                    println!("  warning: {note}");
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Staff { config, action } => exit(staff(&config, action).await),
        Command::Acks {
            config,
            since,
            json,
        } => exit(acks(&config, &since, json).await),
        Command::Outbox { config, all } => exit(outbox(&config, all).await),
        Command::Status { config } => exit(status(&config).await),
        Command::Doctor { config } => match load(&config) {
            Ok(setup) => {
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
            Err(code) => code,
        },
    }
}

fn exit(r: anyhow::Result<()>) -> ExitCode {
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

fn load(path: &Path) -> Result<Setup, ExitCode> {
    Setup::load(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(EXIT_CONFIG)
    })
}

/// Store-only commands need just the state directory, not the secrets (an
/// admin's shell has no `$CREDENTIALS_DIRECTORY`).
fn open_store(config: &Path) -> anyhow::Result<Store> {
    let dir = crate::config::state_dir_of(config)?;
    Ok(Store::open(&dir)?)
}

async fn staff(config: &Path, action: StaffAction) -> anyhow::Result<()> {
    let store = open_store(config)?;
    match action {
        StaffAction::Invite {
            name,
            kintone_user,
            valid,
        } => {
            let valid = parse_duration(&valid).map_err(anyhow::Error::msg)?;
            let now = now_ms();
            let valid_ms = i64::try_from(valid.as_millis()).unwrap_or(i64::MAX);
            let inv = store
                .invite_create(name, kintone_user, now, now.saturating_add(valid_ms))
                .await?;
            println!("Invite code for {}: {}", inv.display_name, inv.code);
            println!("Valid until {}.", format_ms(inv.expires_ms));
            println!("They add the bot as a friend in LINE and send this code in the chat.");
        }
        StaffAction::List => {
            let staff = store.staff_list().await?;
            if staff.is_empty() {
                println!("No staff linked yet. Use `staff invite NAME`.");
            }
            for s in staff {
                println!(
                    "{:<24} {:<20} {}  linked {}",
                    s.display_name,
                    s.kintone_user.as_deref().unwrap_or("-"),
                    s.line_user_id,
                    format_ms(s.linked_ms)
                );
            }
        }
        StaffAction::Remove { who } => {
            let n = store.staff_remove(who.clone()).await?;
            anyhow::ensure!(n > 0, "no staff member matches {who:?}");
            println!("Removed {n} staff member(s).");
        }
    }
    Ok(())
}

async fn acks(config: &Path, since: &str, json: bool) -> anyhow::Result<()> {
    let since_ms = parse_since(since, now_ms())?;
    let store = open_store(config)?;
    let rows = store.acks_since(since_ms).await?;
    if json {
        for r in &rows {
            println!("{}", serde_json::to_string(r)?);
        }
        return Ok(());
    }
    println!(
        "{} acknowledgement(s) since {}",
        rows.len(),
        format_ms(since_ms)
    );
    for a in rows {
        println!(
            "{}  app {} #{:<6} {:<20} {:<8} {:<16} {}",
            format_ms(a.at_ms),
            a.app,
            a.record,
            a.actor,
            a.method,
            a.outcome,
            a.reply
        );
    }
    Ok(())
}

async fn outbox(config: &Path, all: bool) -> anyhow::Result<()> {
    let store = open_store(config)?;
    let rows = store.outbox_report(all).await?;
    if rows.is_empty() {
        println!("The outbox is empty: nothing queued, no dead letters.");
    }
    for r in rows {
        println!(
            "#{:<6} {:<8} {} message(s) to {}  attempts {}  created {}",
            r.id,
            r.state,
            r.message_count,
            r.recipients,
            r.attempts,
            format_ms(r.created_ms)
        );
        if r.state == crate::store::outbox::PushState::Pending && r.attempts > 0 {
            println!("        next attempt {}", format_ms(r.next_attempt_ms));
        }
        if let Some(e) = r.last_error {
            println!("        last error: {e}");
        }
    }
    Ok(())
}

async fn status(config: &Path) -> anyhow::Result<()> {
    let store = open_store(config)?;
    let s = store.summary().await?;
    match &s.daemon_status {
        Some((line, at)) => println!("daemon ({}): {line}", format_ms(*at)),
        None => println!("daemon: no status recorded yet (has it run?)"),
    }
    println!(
        "store: {} pending ack(s), {} push(es) queued, {} dead letter(s), {} LINE event(s) and {} kintone change(s) in progress, last push {}",
        s.pending_acks,
        s.outbox_pending,
        s.dead_letters,
        s.inbox_pending,
        s.changes_pending,
        s.last_push_ms.map_or_else(|| "never".to_owned(), format_ms)
    );
    // The daemon saves its counts every few seconds; an older day's are void.
    let today = crate::metrics::KintoneUsage::default();
    if let Some(saved) = store.kintone_usage().await? {
        today.restore(&saved, now_ms());
    }
    let today = today.today(now_ms());
    if today.per_app.is_empty() {
        println!("kintone requests today (since 09:00 JST): none");
    }
    for (app, n) in &today.per_app {
        println!(
            "kintone requests today (since 09:00 JST), app {app}: {n} ({}% of the 10,000 a day)",
            n * 100 / 10_000
        );
    }
    Ok(())
}

/// `--since`: a span back from now (`24h`, `7d`), a date, or a timestamp.
fn parse_since(s: &str, now: i64) -> anyhow::Result<i64> {
    if let Some(days) = s.strip_suffix('d').and_then(|d| d.parse::<i64>().ok()) {
        return Ok(now - days * 86_400_000);
    }
    if let Ok(d) = parse_duration(s) {
        return Ok(now - i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(date) = s.parse::<jiff::civil::Date>() {
        let zoned = date
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .map_err(|e| anyhow::anyhow!("--since {s:?}: {e}"))?;
        return Ok(zoned.timestamp().as_millisecond());
    }
    anyhow::bail!("--since {s:?}: use a span (24h, 7d), a date (2026-11-01) or a timestamp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_forms() {
        let now = 10 * 86_400_000;
        assert_eq!(parse_since("24h", now).unwrap(), now - 86_400_000);
        assert_eq!(parse_since("7d", now).unwrap(), now - 7 * 86_400_000);
        assert_eq!(
            parse_since("2026-01-01T00:00:00Z", now).unwrap(),
            1_767_225_600_000
        );
        assert!(parse_since("2026-01-01", now).is_ok());
        assert!(parse_since("yesterday", now).is_err());
    }
}

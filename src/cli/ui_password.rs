//! `ui-password FILE`: reads the web page's password from standard input
//! (one line) and writes its argon2id hash to FILE (owner-only), the file
//! `[ui] password = { file = "FILE" }` names. The password itself is never
//! written anywhere.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use super::words;
use crate::text::Language;

/// Shorter than this is too easy to guess on an office network.
const MIN_LEN: usize = 10;

pub(super) fn ui_password(config: &Path, file: &Path) -> anyhow::Result<()> {
    // The config may not exist yet: its language if it can be read, else
    // Japanese (the default).
    let lang = crate::config::report_settings(config).map_or(Language::default(), |s| s.language);
    let min = MIN_LEN.to_string();
    eprint!("{}", words::UI_PASSWORD_PROMPT.fill(lang, &[("min", &min)]));
    let line = read_unechoed()?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.chars().count() < MIN_LEN {
        anyhow::bail!("{}", words::UI_PASSWORD_SHORT.fill(lang, &[("min", &min)]));
    }
    let hash = crate::ui::hash_password(password)?;
    write_owner_only(file, &hash)?;
    eprintln!();
    let shown = file.display().to_string();
    println!(
        "{}",
        words::UI_PASSWORD_WRITTEN.fill(lang, &[("file", &shown)])
    );
    Ok(())
}

/// One line from standard input; typed at a terminal, not shown on it
/// (`stty -echo` for the read: the library has no unsafe code for termios).
/// Piped input is read as it comes.
fn read_unechoed() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let hidden = stdin.is_terminal() && stty("-echo");
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if hidden {
        stty("echo");
    }
    read?;
    Ok(line)
}

/// Runs `stty` on the terminal standard input is; whether it worked.
fn stty(setting: &str) -> bool {
    Command::new("stty")
        .arg(setting)
        .stdin(Stdio::inherit())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn write_owner_only(file: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
    // An existing file keeps its mode on open: make it owner-only too.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    writeln!(f, "{text}")?;
    f.sync_all()?;
    Ok(())
}

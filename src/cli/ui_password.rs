//! `ui-password FILE`: reads the web page's password from standard input
//! (one line) and writes its argon2id hash to FILE (owner-only), the file
//! `[ui] password = { file = "FILE" }` names. The password itself is never
//! written anywhere.

use std::io::{BufRead as _, Write as _};
use std::path::Path;

/// Shorter than this is too easy to guess on an office network.
const MIN_LEN: usize = 10;

pub(super) fn ui_password(file: &Path) -> anyhow::Result<()> {
    eprint!("The web page's password (at least {MIN_LEN} characters), then Enter: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.chars().count() < MIN_LEN {
        anyhow::bail!("the password must have at least {MIN_LEN} characters; nothing was written");
    }
    let hash = crate::ui::hash_password(password)?;
    write_owner_only(file, &hash)?;
    eprintln!();
    println!(
        "Wrote the password's hash to {}. In the config:\n\n[ui]\nlisten = \"0.0.0.0:8081\"\npassword = {{ file = \"{}\" }}\n\nthen restart the service.",
        file.display(),
        file.display()
    );
    Ok(())
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

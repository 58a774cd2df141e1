//! Who could have written a secret file: the checks before it is read.
//!
//! A secret is only as private as the file and the folder it sits in. The
//! file must be owned by the service's user (the process's effective uid) or
//! root and unreadable by group and others; its folder must not be writable
//! by group or others (they could swap the file). A symlink is followed only
//! when the folder holding the link, the target and the target's folder all
//! pass. systemd credentials (`$CREDENTIALS_DIRECTORY`, root-owned 0400 files
//! in a root-owned folder) pass as they are.

use std::path::{Path, PathBuf};

use super::SecretError;

/// Refuses `path` unless nobody but the service (or root) can have written it.
#[cfg(unix)]
pub(super) fn check(path: &Path) -> Result<(), SecretError> {
    check_folder(path, path)?;
    let link = std::fs::symlink_metadata(path).map_err(|e| read_error(path, e))?;
    if !link.file_type().is_symlink() {
        return check_file(path);
    }
    let target = std::fs::canonicalize(path).map_err(|e| read_error(path, e))?;
    check_folder(&target, &target)
        .and_then(|()| check_file(&target))
        .map_err(|source| SecretError::Link {
            link: path.to_path_buf(),
            target: target.clone(),
            source: Box::new(source),
        })
}

#[cfg(not(unix))]
pub(super) fn check(_path: &Path) -> Result<(), SecretError> {
    Ok(())
}

fn read_error(path: &Path, source: std::io::Error) -> SecretError {
    SecretError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// The file itself: owner and mode.
#[cfg(unix)]
fn check_file(path: &Path) -> Result<(), SecretError> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|e| read_error(path, e))?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    if let Some(euid) = effective_uid() {
        if meta.uid() != euid && meta.uid() != 0 {
            return Err(SecretError::NotOwned {
                path: path.to_path_buf(),
                owner: meta.uid(),
                user: user_name(euid),
            });
        }
    }
    Ok(())
}

/// The folder that holds `path` (for the message: the secret `file`).
#[cfg(unix)]
fn check_folder(path: &Path, file: &Path) -> Result<(), SecretError> {
    use std::os::unix::fs::MetadataExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let meta = std::fs::metadata(&dir).map_err(|e| read_error(&dir, e))?;
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(SecretError::OpenFolder {
            path: file.to_path_buf(),
            dir,
            mode,
        });
    }
    Ok(())
}

/// The process's effective uid, from `/proc/self/status` (the library has
/// no unsafe code for `geteuid`). `None` where there is no procfs: the owner
/// check is then skipped, the mode checks still apply.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// `uid`'s login name for the `chown` hint, else the number.
fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2].parse() == Ok(uid))
        .map_or_else(|| uid.to_string(), |f| f[0].to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::SecretSource;
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    fn private_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        dir
    }

    fn load(p: &Path) -> Result<String, String> {
        SecretSource::File(p.to_path_buf())
            .load(None)
            .map(|s| s.expose().to_owned())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn refuses_a_folder_others_can_write() {
        let dir = private_dir();
        let p = write(dir.path(), "tok", "abc", 0o600);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let msg = load(&p).unwrap_err();
        let fix = format!("chmod go-w {}", dir.path().display());
        assert!(msg.contains(&fix), "{msg}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o770)).unwrap();
        assert!(load(&p).unwrap_err().contains(&fix));
    }

    #[test]
    fn follows_a_link_only_to_a_file_that_passes() {
        let dir = private_dir();
        let good = write(dir.path(), "good", "abc", 0o600);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        assert_eq!(load(&link).unwrap(), "abc");

        let bad = write(dir.path(), "bad", "abc", 0o644);
        let to_bad = dir.path().join("to-bad");
        std::os::unix::fs::symlink(&bad, &to_bad).unwrap();
        let msg = load(&to_bad).unwrap_err();
        assert!(
            msg.contains("links to") && msg.contains("chmod 600"),
            "{msg}"
        );
    }

    #[test]
    fn refuses_a_link_into_a_folder_others_can_write() {
        let dir = private_dir();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        let target = write(&open, "tok", "abc", 0o600);
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let msg = load(&link).unwrap_err();
        assert!(
            msg.contains(&format!("chmod go-w {}", open.display())),
            "{msg}"
        );
    }

    #[test]
    fn refuses_a_file_owned_by_someone_else() {
        if effective_uid() != Some(0) {
            eprintln!("skipped: only root can give a file to another user");
            return;
        }
        let dir = private_dir();
        let p = write(dir.path(), "tok", "abc", 0o600);
        std::os::unix::fs::chown(&p, Some(4242), None).unwrap();
        let msg = load(&p).unwrap_err();
        assert!(
            msg.contains(&format!("chown root {}", p.display())),
            "{msg}"
        );
        // The same file given back to root (as systemd's credentials are): fine.
        std::os::unix::fs::chown(&p, Some(0), None).unwrap();
        assert_eq!(load(&p).unwrap(), "abc");
    }

    #[test]
    fn a_systemd_credential_passes() {
        let dir = private_dir();
        write(dir.path(), "line-secret", "s3\n", 0o400);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
        let src = SecretSource::Credential("line-secret".into());
        assert_eq!(src.load(Some(dir.path())).unwrap().expose(), "s3");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

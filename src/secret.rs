//! Secrets: held in a type that never prints itself, loaded from files that only
//! the service may read.
//!
//! The rule this module keeps: a secret's bytes leave this type only through
//! [`Secret::expose`], which is called where a header or an HMAC key is built and
//! nowhere else. `Debug` and `Display` print `[redacted]`, so a secret inside a
//! config struct, an error or a panic message cannot leak.

use std::fmt;
use std::path::{Path, PathBuf};

/// A secret string (token, channel secret, password).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a value. Used by the loaders below and by tests/simulators that
    /// generate their own secrets.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// The secret's text, for building a header or a MAC key.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a secret lives. Never the secret itself: config files are read by
/// more people and tools than the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file path (absolute, or relative to the config file's folder).
    File(PathBuf),
    /// A systemd credential name, read from `$CREDENTIALS_DIRECTORY/<name>`
    /// (`LoadCredential=` / `LoadCredentialEncrypted=`).
    Credential(String),
}

/// Why a secret could not be loaded. Names the file, never the content.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read secret file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("secret file {path} is readable by group or others (mode {mode:o}); run `chmod 600 {path}`", path = .path.display())]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("secret file {path} is empty", path = .path.display())]
    Empty { path: PathBuf },
    #[error("credential {name:?} requested but $CREDENTIALS_DIRECTORY is not set: outside the service, run the command as the service does (sudo systemd-run --pty --wait --collect -p User=kintone-line-gateway -p LoadCredential=klg:/etc/kintone-line-gateway/credentials kintone-line-gateway …), or use file = \"…\"")]
    NoCredentialsDirectory { name: String },
}

impl SecretSource {
    /// The file this source points at, resolving credentials against
    /// `credentials_dir` (the value of `$CREDENTIALS_DIRECTORY`, if set).
    pub fn path(&self, credentials_dir: Option<&Path>) -> Result<PathBuf, SecretError> {
        match self {
            SecretSource::File(p) => Ok(p.clone()),
            SecretSource::Credential(name) => credentials_dir
                .map(|d| d.join(name))
                .ok_or_else(|| SecretError::NoCredentialsDirectory { name: name.clone() }),
        }
    }

    /// Reads the secret, refusing files that group or others can read.
    /// Trailing newlines (as `echo` writes them) are trimmed.
    ///
    /// # Errors
    /// [`SecretError`] naming the file: unreadable, too open, or empty.
    pub fn load(&self, credentials_dir: Option<&Path>) -> Result<Secret, SecretError> {
        let path = self.path(credentials_dir)?;
        check_mode(&path)?;
        let text = std::fs::read_to_string(&path).map_err(|source| SecretError::Read {
            path: path.clone(),
            source,
        })?;
        let trimmed = text.trim_end_matches(['\n', '\r']);
        if trimmed.is_empty() {
            return Err(SecretError::Empty { path });
        }
        Ok(Secret::new(trimmed))
    }
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), SecretError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| SecretError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), SecretError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn loads_private_file_and_trims_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "tok", "abc\n", 0o600);
        let s = SecretSource::File(p).load(None).unwrap();
        assert_eq!(s.expose(), "abc");
    }

    #[test]
    fn refuses_group_readable_file_without_printing_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "tok", "topsecret", 0o640);
        let err = SecretSource::File(p).load(None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("readable by group or others"), "{msg}");
        assert!(!msg.contains("topsecret"));
    }

    #[test]
    fn credential_needs_directory() {
        let src = SecretSource::Credential("line-secret".into());
        assert!(matches!(
            src.load(None),
            Err(SecretError::NoCredentialsDirectory { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "line-secret", "s3", 0o400);
        assert_eq!(src.load(Some(dir.path())).unwrap().expose(), "s3");
    }
}

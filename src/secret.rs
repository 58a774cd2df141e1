//! Secrets: held in a type that never prints itself, loaded from files that only
//! the service may read.
//!
//! The rule this module keeps: a secret's bytes leave this type only through
//! [`Secret::expose`], which is called where a header or an HMAC key is built and
//! nowhere else. `Debug` and `Display` print `[redacted]`, so a secret inside a
//! config struct, an error or a panic message cannot leak. Text that comes
//! back from outside goes through a [`Redactor`] before the gateway keeps it
//! (`redact.rs`); files are checked for who could have written them before
//! they are read (`disk.rs`).

use std::fmt;
use std::path::{Path, PathBuf};

mod disk;
mod presented;
mod redact;
mod rotation;

pub use presented::{sha256_hex, Presented};
pub use redact::{Redactor, REDACTED};
pub use rotation::{LastMatch, Rotation, Which};

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
    #[error("secret file {path} is owned by uid {owner}, not by the service's user or root; run `chown {user} {path}`", path = .path.display())]
    NotOwned {
        path: PathBuf,
        owner: u32,
        user: String,
    },
    #[error("the folder {dir} of secret file {path} can be written by group or others (mode {mode:o}); run `chmod go-w {dir}`", path = .path.display(), dir = .dir.display())]
    OpenFolder {
        path: PathBuf,
        dir: PathBuf,
        mode: u32,
    },
    #[error("secret file {link} links to {target}, which is refused: {source}", link = .link.display(), target = .target.display())]
    Link {
        link: PathBuf,
        target: PathBuf,
        source: Box<SecretError>,
    },
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

    /// Reads the secret, refusing files that anyone but the service (or
    /// root) can read or could have written (see `disk.rs`). Trailing
    /// newlines (as `echo` writes them) are trimmed; spaces are kept as part
    /// of the secret, with a warning.
    ///
    /// # Errors
    /// [`SecretError`] naming the file: unreadable, too open, owned by
    /// someone else, in an open folder, a link to such a file, or empty.
    pub fn load(&self, credentials_dir: Option<&Path>) -> Result<Secret, SecretError> {
        let path = self.path(credentials_dir)?;
        disk::check(&path)?;
        let text = std::fs::read_to_string(&path).map_err(|source| SecretError::Read {
            path: path.clone(),
            source,
        })?;
        let trimmed = text.trim_end_matches(['\n', '\r']);
        if trimmed.is_empty() {
            return Err(SecretError::Empty { path });
        }
        if trimmed.trim() != trimmed {
            tracing::warn!(
                path = %path.display(),
                "secret file has spaces or tabs around the secret; they are kept as part of it (only trailing newlines are trimmed)"
            );
        }
        Ok(Secret::new(trimmed))
    }
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

    /// Log lines written while `f` runs on this thread.
    fn logs_of(f: impl FnOnce()) -> String {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || out.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn keeps_surrounding_spaces_and_warns() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "tok", " abc \n", 0o600);
        let mut loaded = None;
        let logs = logs_of(|| loaded = Some(SecretSource::File(p.clone()).load(None).unwrap()));
        assert_eq!(loaded.unwrap().expose(), " abc ");
        assert!(logs.contains("WARN") && logs.contains("spaces"), "{logs}");
        assert!(!logs.contains("abc"), "the warning names no secret: {logs}");

        let clean = write(dir.path(), "clean", "abc\n", 0o600);
        let logs = logs_of(|| drop(SecretSource::File(clean).load(None).unwrap()));
        assert!(logs.is_empty(), "{logs}");
    }
}

//! Where the log goes and how much of it: stderr always, with a `<N>`
//! priority prefix on every line when stderr is systemd's journal stream.
//!
//! The prefix (sd-daemon's convention, parsed by journald while
//! `SyslogLevelPrefix=` is on, its default) rather than `tracing-journald`:
//! no crate and no socket, and `journalctl -p warning` works the same. The
//! stream is the journal only when `JOURNAL_STREAM` names stderr's own
//! device and inode (systemd's rule): a shell that inherited the variable
//! and redirected stderr to a file gets plain lines.
//!
//! The filter: `--log-level` wins, then `RUST_LOG`, then `KLG_LOG` (the old
//! name), then the command's default. Its syntax is `level` and
//! `target=level` joined by commas (`info,kintone_line_gateway=debug`):
//! tracing-subscriber's `Targets`, which needs no regex engine (the env
//! filter's span and field directives are not taken).

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Installs the global subscriber. `flag` is `--log-level`.
pub(super) fn init(flag: Option<&str>, default: &str) {
    let filter = filter(flag, default);
    // Everything reaches the layer; `filter` alone decides (the builder's
    // own default would stop at info).
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing::level_filters::LevelFilter::TRACE)
        .with_target(false);
    if on_journal() {
        // journald stamps each line itself; plain lines read best there.
        builder
            .without_time()
            .with_ansi(false)
            .with_writer(Journal)
            .finish()
            .with(filter)
            .init();
    } else {
        builder
            .with_writer(std::io::stderr)
            .finish()
            .with(filter)
            .init();
    }
}

/// The first filter that is given and parses; a filter that does not parse
/// is said once on stderr and the next one is tried.
fn filter(flag: Option<&str>, default: &str) -> Targets {
    let given = [
        ("--log-level", flag.map(str::to_owned)),
        ("RUST_LOG", std::env::var("RUST_LOG").ok()),
        ("KLG_LOG", std::env::var("KLG_LOG").ok()),
    ];
    for (from, value) in given {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match value.parse::<Targets>() {
            Ok(f) => return f,
            Err(e) => eprintln!("warning: {from}={value:?} is not a log filter ({e}); ignored"),
        }
    }
    default
        .parse()
        .unwrap_or_else(|_| Targets::new().with_default(Level::INFO))
}

/// Whether stderr is the journal stream systemd connected (`JOURNAL_STREAM`
/// is `DEVICE:INODE` of that stream).
fn on_journal() -> bool {
    let Ok(named) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    let Some(own) = stderr_identity() else {
        return false;
    };
    named.trim() == own
}

/// `DEVICE:INODE` of this process's stderr.
fn stderr_identity() -> Option<String> {
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    Some(format!("{}:{}", meta.dev(), meta.ino()))
}

/// syslog priority of a tracing level (`<3>` err … `<7>` debug).
fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// stderr with each line of an event prefixed by its priority.
struct Journal;

impl<'a> MakeWriter<'a> for Journal {
    type Writer = Prefixed;

    fn make_writer(&'a self) -> Prefixed {
        Prefixed::new(6)
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Prefixed {
        Prefixed::new(priority(meta.level()))
    }
}

/// One event's writer: every line starts with `<N>` (journald reads each
/// line as its own entry, so a multi-line message keeps its priority).
struct Prefixed {
    prefix: [u8; 3],
    at_line_start: bool,
}

impl Prefixed {
    fn new(priority: u8) -> Prefixed {
        Prefixed {
            prefix: [b'<', b'0' + priority, b'>'],
            at_line_start: true,
        }
    }
}

impl Write for Prefixed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len() + 8);
        for piece in buf.split_inclusive(|b| *b == b'\n') {
            if self.at_line_start {
                out.extend_from_slice(&self.prefix);
            }
            out.extend_from_slice(piece);
            self.at_line_start = piece.ends_with(b"\n");
        }
        std::io::stderr().lock().write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_rust_log_and_a_bad_one_falls_through() {
        // Only the flag and the default: the environment is the test's.
        assert_eq!(filter(Some("debug"), "info").to_string(), "debug");
        assert_eq!(
            filter(Some("not==a filter"), "info").to_string(),
            filter(None, "info").to_string()
        );
    }

    #[test]
    fn priorities_follow_syslog() {
        assert_eq!(priority(&Level::ERROR), 3);
        assert_eq!(priority(&Level::WARN), 4);
        assert_eq!(priority(&Level::INFO), 6);
        assert_eq!(priority(&Level::DEBUG), 7);
    }
}

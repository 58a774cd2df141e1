//! Logging under systemd: with `JOURNAL_STREAM` naming stderr (as systemd
//! sets it), every line carries its syslog priority as a `<N>` prefix, which
//! journald reads (`SyslogLevelPrefix=`, on by default); with the variable
//! naming another stream, plain lines.

use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use kintone_line_gateway::sim::site::Site;

use crate::daemon::{free_port, Daemon};
use crate::world::COMMENT_ACK;

/// A site the daemon warns about (a Japanese site on a UTC machine, as a
/// test box is) and whose LINE and kintone refuse connections; it still
/// starts (information).
fn refusing_line() -> Site {
    Site {
        line: format!("http://{}", free_port()),
        channel_secret: "a-channel-secret".into(),
        kintone: format!("http://{}", free_port()),
        app: COMMENT_ACK.into(),
        ..Site::default()
    }
}

/// Starts the daemon with stderr to `daemon-1.log` and `JOURNAL_STREAM`
/// set to `stream(dev, ino)` of that file; returns the log once it holds a
/// warning.
async fn log_with_journal_stream(stream: impl Fn(u64, u64) -> String) -> String {
    kintone_line_gateway::outbound::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    // The daemon's stderr file, made first so its inode is known (the
    // spawn truncates it in place).
    let log = dir.path().join("daemon-1.log");
    std::fs::write(&log, "").unwrap();
    let meta = std::fs::metadata(&log).unwrap();
    let env = [("JOURNAL_STREAM", stream(meta.dev(), meta.ino()))];
    let mut daemon = Daemon::spawn(&refusing_line(), dir.path(), 1, &env);
    daemon.healthy().await;
    let end = tokio::time::Instant::now() + Duration::from_secs(15);
    while !daemon.log().contains("WARN") && !daemon.log().contains("<4>") {
        assert!(
            tokio::time::Instant::now() < end,
            "no warning:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    daemon.terminate(Duration::from_secs(10)).await;
    daemon.log()
}

#[tokio::test]
async fn on_the_journal_stream_each_line_carries_its_priority() {
    let log = log_with_journal_stream(|dev, ino| format!("{dev}:{ino}")).await;
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("<4> WARN")),
        "no warning at priority 4:\n{log}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("<6> INFO")),
        "no information at priority 6:\n{log}"
    );
    assert!(
        lines.iter().all(|l| l.starts_with('<')),
        "a line without a priority:\n{log}"
    );
}

#[tokio::test]
async fn another_stream_gets_plain_lines() {
    let log = log_with_journal_stream(|dev, ino| format!("{dev}:{}", ino + 1)).await;
    assert!(log.contains("WARN"), "{log}");
    assert!(!log.lines().any(|l| l.starts_with('<')), "{log}");
}

//! Rules about which code may name what, checked over the source.
//!
//! Reply is free and answers a person's own tap; Push is paid. The compiler
//! keeps the reply path out of other crates (`tests/ui/`); inside this crate,
//! these checks keep it out of the notification loop, whose every message is
//! caused by a kintone change and so must be a push.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The lines of `files` that contain any of `names`, as `file:line: text`.
fn mentions(files: &[PathBuf], names: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            if names.iter().any(|name| line.contains(name)) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_notification_loop_never_names_the_reply_path() {
    let files = sources(&src().join("notify"));
    assert!(
        files.len() >= 5,
        "the notification loop's files were not found"
    );
    let found = mentions(
        &files,
        &[
            "ReplyToken",
            "ReplyIssuer",
            "reply::",
            "reply_raw",
            "parse_event",
        ],
    );
    assert!(
        found.is_empty(),
        "the reply path named in notify/:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_daemon_makes_the_reply_capability() {
    let files = sources(&src());
    let makers: Vec<String> = mentions(&files, &["ReplyIssuer::new()"])
        .into_iter()
        .filter(|m| !m.contains("fn new()"))
        .collect();
    assert_eq!(makers.len(), 1, "{makers:#?}");
    assert!(makers[0].contains("daemon.rs"), "{makers:#?}");
}

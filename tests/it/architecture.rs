//! Rules about which code may name what, checked over the source.
//!
//! Reply is free and answers a person's own tap; Push is paid. The compiler
//! keeps the reply path out of other crates (`tests/ui/`); inside this crate,
//! these checks keep it out of the notification loop, whose every message is
//! caused by a kintone change and so must be a push.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
pub(crate) fn sources(dir: &Path) -> Vec<PathBuf> {
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

/// The crate's `src/`.
pub(crate) fn src() -> PathBuf {
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

/// The layers, lowest first: what each top-level module may import. The
/// same table, with the reasons, is in docs/ARCHITECTURE.md; a change here
/// is a change of design and belongs there too.
const FOUNDATION: &[&str] = &[
    "clock", "secret", "domain", "retry", "outbound", "metrics", "postback", "text",
];
/// Everything below the daemon, which wires it all.
const BELOW_DAEMON: &[&str] = &[
    "line",
    "kintone",
    "pubsub",
    "store",
    "config",
    "http",
    "pull",
    "service",
    "inbound",
    "acknowledge",
    "inbox_worker",
    "notify",
    "notify_api",
    "indicator",
    "ui",
];
fn allowed(module: &str) -> Option<Vec<&'static str>> {
    let with = |extra: &[&'static str]| {
        let mut v = FOUNDATION.to_vec();
        v.extend_from_slice(extra);
        Some(v)
    };
    match module {
        "secret" | "domain" | "retry" | "outbound" | "text" => Some(vec![]),
        // The clock writes local times in the site's language.
        "clock" => Some(vec!["text"]),
        "metrics" => Some(vec!["clock"]),
        "postback" => Some(vec!["domain"]),
        "line" | "kintone" | "store" | "pubsub" => with(&[]),
        "config" => with(&["line", "kintone"]),
        "http" => with(&["config", "store"]),
        "pull" => with(&["config", "store", "http", "pubsub"]),
        "service" => with(&["store"]),
        "inbound" => with(&["line", "store", "config", "http"]),
        "acknowledge" => with(&["kintone", "store", "config"]),
        "inbox_worker" => with(&[
            "line",
            "kintone",
            "store",
            "config",
            "service",
            "inbound",
            "acknowledge",
        ]),
        "notify" => with(&["line", "kintone", "store", "config", "http", "service"]),
        // The LINE Notify–compatible endpoint: an `http` handler that stores
        // push requests for the outbox.
        "notify_api" => with(&["line", "store", "config", "http"]),
        "indicator" => with(&[
            "kintone",
            "store",
            "config",
            "service",
            "acknowledge",
            "notify",
        ]),
        // The web page reads the store and the counters (and LINE's bot
        // info); it serves on its own listener and names no loop.
        "ui" => with(&["line", "store", "config", "service"]),
        "sim" => with(&["line", "kintone", "inbound"]),
        "daemon" => with(BELOW_DAEMON),
        "doctor" | "demo" => with(&[BELOW_DAEMON, &["daemon", "sim"]].concat()),
        "cli" => with(&[BELOW_DAEMON, &["daemon", "sim", "doctor", "demo"]].concat()),
        _ => None,
    }
}

/// The source without comments and without its unit tests (a file's
/// `#[cfg(test)] mod tests` comes last by convention, and tests may use the
/// simulators).
fn code_of(text: &str) -> String {
    let cut = text.find("\nmod tests {").unwrap_or(text.len());
    text[..cut]
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::…`,
/// including grouped imports (`use crate::{a, b::c}`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    out.push(item.trim().to_owned());
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else if depth >= 1 {
                    item.push(c);
                }
            }
        } else {
            out.push(rest.to_owned());
        }
    }
    out.into_iter()
        .filter_map(|p| {
            let name: String = p
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            (!name.is_empty() && name != "self").then_some(name)
        })
        .collect()
}

/// Each `(module, imported module, file)` edge between top-level modules.
fn edges() -> Vec<(String, String, String)> {
    let root = src();
    let mut out = Vec::new();
    for file in sources(&root) {
        let rel = file.strip_prefix(&root).expect("under src");
        let first = rel.components().next().expect("a path");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if matches!(module.as_str(), "lib" | "main") || rel.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        for target in crate_paths(&code_of(&text)) {
            if target != module {
                out.push((module.clone(), target, rel.display().to_string()));
            }
        }
    }
    out
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let edges = edges();
    assert!(edges.len() > 50, "the import scan found almost nothing");
    let mut wrong: Vec<String> = edges
        .iter()
        .filter_map(|(from, to, file)| match allowed(from) {
            None => Some(format!("{file}: module `{from}` is not in the layer table")),
            Some(ok) if !ok.contains(&to.as_str()) => {
                Some(format!("{file}: `{from}` may not import `{to}`"))
            }
            Some(_) => None,
        })
        .collect();
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "layer rules broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn there_is_no_import_circle_between_top_level_modules() {
    use std::collections::{BTreeMap, BTreeSet};
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to, _) in edges() {
        graph.entry(from).or_default().insert(to);
    }
    // Depth-first search; a module met again on the current path closes a circle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut circle = path[i..].to_vec();
            circle.push(m.to_owned());
            return Some(circle);
        }
        if !done.insert(m.to_owned()) {
            return None;
        }
        path.push(m.to_owned());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        let circle = visit(m, &graph, &mut Vec::new(), &mut done);
        assert!(
            circle.is_none(),
            "import circle: {}",
            circle.unwrap_or_default().join(" -> ")
        );
    }
}

#[test]
fn only_the_reply_module_calls_the_reply_api() {
    let found: Vec<String> = mentions(&sources(&src()), &["reply_raw"])
        .into_iter()
        .filter(|m| !m.contains("src/inbound/reply.rs") && !m.contains("fn reply_raw"))
        .collect();
    assert!(
        found.is_empty(),
        "the Reply API named outside inbound::reply:\n{}",
        found.join("\n")
    );
}

/// Whether `code` contains `name` as a whole word (`InvalidReplyToken`, a
/// LINE error, is not `ReplyToken`).
fn names_word(code: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(name).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[test]
fn only_the_inbox_worker_and_the_daemon_name_the_reply_path() {
    let root = src();
    let mut found = Vec::new();
    for file in sources(&root) {
        let rel = file
            .strip_prefix(&root)
            .expect("under src")
            .display()
            .to_string();
        if ["inbound/", "inbox_worker/", "daemon"]
            .iter()
            .any(|ok| rel.starts_with(ok))
        {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).expect("readable source"));
        for name in ["inbound::reply", "ReplyToken", "ReplyIssuer"] {
            if names_word(&code, name) {
                found.push(format!("{rel}: {name}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the reply path named outside the inbox worker:\n{}",
        found.join("\n")
    );
}

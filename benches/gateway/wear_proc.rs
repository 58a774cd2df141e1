//! The wear bench's instruments: a systemd stand-in that counts watchdog
//! pings, and what `/proc` says of the daemon (bytes written, times its
//! threads ran, resident memory).

use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::WATCHDOG_USEC;

/// A datagram socket standing in for systemd's notify socket; counts pings.
pub(super) struct Systemd {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    pings: Arc<AtomicUsize>,
}

impl Systemd {
    pub(super) fn start(dir: &Path) -> Systemd {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let (stop, pings) = (Arc::new(AtomicBool::new(false)), Arc::default());
        let (stop2, pings2): (_, Arc<AtomicUsize>) = (stop.clone(), Arc::clone(&pings));
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            while !stop2.load(Ordering::Relaxed) {
                if let Ok(n) = socket.recv(&mut buf) {
                    if String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1") {
                        pings2.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        Systemd { path, stop, pings }
    }

    pub(super) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("NOTIFY_SOCKET", self.path.display().to_string()),
            ("WATCHDOG_USEC", WATCHDOG_USEC.to_owned()),
        ]
    }

    pub(super) fn pings(&self) -> usize {
        self.pings.load(Ordering::Relaxed)
    }
}

impl Drop for Systemd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The daemon's counters at one moment.
#[derive(Clone)]
pub(super) struct Sample {
    pub(super) written: u64,
    /// Times its threads were scheduled in, by thread name.
    runs: BTreeMap<String, u64>,
    pub(super) voluntary: u64,
}

pub(super) fn sample(pid: u32) -> Sample {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let written = field(&io, "write_bytes:");
    let (mut runs, mut voluntary) = (BTreeMap::new(), 0);
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            let sched = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
            *runs.entry(name.trim().to_owned()).or_default() += sched
                .split_whitespace()
                .nth(2)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            voluntary += field(&status, "voluntary_ctxt_switches:");
        }
    }
    Sample {
        written,
        runs,
        voluntary,
    }
}

/// Wake-ups per second between two samples: in all, and by thread name.
pub(super) fn wakeups(a: &Sample, b: &Sample, secs: u64) -> (f64, String) {
    let per_s = |n: u64| n as f64 / secs.max(1) as f64;
    let by: Vec<(String, u64)> = b
        .runs
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.saturating_sub(a.runs.get(k).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let all = per_s(by.iter().map(|(_, n)| n).sum());
    let names: Vec<String> = by
        .iter()
        .map(|(k, n)| format!("{k} {:.1}", per_s(*n)))
        .collect();
    (all, names.join(", "))
}

/// The number after `key` at the start of one of `text`'s lines.
fn field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub(super) fn rss_mib(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    field(&status, key) as f64 / 1024.0
}

pub(super) fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Median, mean and largest of per-event byte counts.
pub(super) fn spread(mut v: Vec<u64>) -> String {
    v.sort_unstable();
    let n = v.len().max(1) as u64;
    format!(
        "median {}, mean {}, max {} ({} events)",
        kib(v.get(v.len() / 2).copied().unwrap_or(0)),
        kib(v.iter().sum::<u64>() / n),
        kib(v.last().copied().unwrap_or(0)),
        v.len()
    )
}

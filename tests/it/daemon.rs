//! The daemon binary as its own process: started on a site written by
//! [`Site::write`], waited for on `/healthz`, killed or stopped by signal.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use kintone_line_gateway::sim::site::Site;

/// The daemon binary as a [`Command`]. When `KLG_TEST_RUNNER` is set (a
/// command and its arguments, split on whitespace), the binary is started
/// through it: `.ci/cross` runs this suite built for aarch64 under
/// `qemu-aarch64-static`, and without binfmt_misc the kernel cannot exec an
/// ARM binary the tests spawn, so they spawn it under the same emulator.
pub fn gateway() -> Command {
    let bin = env!("CARGO_BIN_EXE_kintone-line-gateway");
    let runner = std::env::var("KLG_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut cmd = Command::new(program);
            cmd.args(words).arg(bin);
            cmd
        }
        None => Command::new(bin),
    }
}

/// A site `check-config` reads without calling anyone: LINE and kintone by
/// their real hosts (never contacted), `app` lines for app 1, the config
/// `tail`.
pub fn offline_site(app: &str, tail: &str) -> Site {
    Site {
        line: "https://api.line.me".into(),
        channel_secret: "a-channel-secret".into(),
        kintone: "https://example.cybozu.com".into(),
        app: app.into(),
        tail: tail.into(),
        ..Site::default()
    }
}

/// A config with a state directory and nothing else (the store commands
/// need no secrets).
pub fn store_only_config(dir: &Path) -> PathBuf {
    let path = dir.join("config.toml");
    let state = dir.join("state").display().to_string();
    std::fs::write(&path, format!("state_dir = {state:?}\n[line]\n[kintone]\n")).unwrap();
    path
}

/// `check-config` on the config at `path`: exit code, stdout, stderr.
pub fn check_config(path: &Path) -> (Option<i32>, String, String) {
    let out = gateway()
        .args(["check-config", "--config"])
        .arg(path)
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("local addr")
}

pub struct Daemon {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Daemon {
    /// Starts `kintone-line-gateway run` and waits until `/healthz` answers.
    pub async fn start(site: &Site, dir: &Path, run: u32) -> Daemon {
        let d = Daemon::spawn(site, dir, run, &[]);
        d.healthy().await;
        d
    }

    /// Starts `kintone-line-gateway run` with extra environment variables
    /// (`NOTIFY_SOCKET` is removed unless given) and returns at once.
    pub fn spawn(site: &Site, dir: &Path, run: u32, env: &[(&str, String)]) -> Daemon {
        Daemon::spawn_with(site, dir, run, env, &[], gateway())
    }

    /// Like [`Daemon::spawn`], with extra `run` arguments, the binary
    /// started by `cmd` (e.g. through `sh -c 'umask 0; exec "$@"'`).
    pub fn spawn_with(
        site: &Site,
        dir: &Path,
        run: u32,
        env: &[(&str, String)],
        args: &[&str],
        mut cmd: Command,
    ) -> Daemon {
        let mut site = site.clone();
        let addr = free_port();
        site.listen = Some(addr);
        let config = site.write(dir).expect("site");
        let log = dir.join(format!("daemon-{run}.log"));
        cmd.args(["run", "--config"])
            .arg(&config)
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("the daemon binary starts");
        Daemon { child, addr, log }
    }

    /// Waits until `/healthz` answers 200.
    pub async fn healthy(&self) {
        let http = reqwest::Client::new();
        let url = format!("http://{}/healthz", self.addr);
        for _ in 0..250 {
            if http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the daemon did not become healthy:\n{}", self.log());
    }

    /// The daemon's process id (for `/proc/PID/status`, `prlimit`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the daemon logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The exit status once the process has exited by itself (`None`:
    /// still running after `limit`).
    pub async fn exited(&mut self, limit: Duration) -> Option<ExitStatus> {
        let end = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < end {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, as systemd stops a service; the exit status once it has
    /// exited (`None`: still running after `limit`).
    pub async fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "SIGTERM delivered");
        let end = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < end {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

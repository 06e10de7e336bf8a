//! One `storelink serve` process, for the tests and benchmarks that run several servers on one
//! database (`tests/api/failover.rs`, `benches/servers.rs`, which include this file); killed when
//! dropped.

#![allow(dead_code)] // each includer uses its own part

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, ChildStdout, Command, Stdio},
};

pub struct ServerProcess {
    child: Child,
    pub url: String,
    stderr: PathBuf,
    /// Kept open: a server whose standard output is closed would fail at its next line.
    _stdout: BufReader<ChildStdout>,
    _data: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts a server on `database_url` with the key that sealed its credentials, calling the
    /// emulator at `emulator`, with `args` added; its log (JSON lines, `RUST_LOG=log`) goes to
    /// a file.
    pub fn start(database_url: &str, key: &str, emulator: &str, args: &[String], log: &str) -> ServerProcess {
        let data = tempfile::tempdir().unwrap();
        let stderr = data.path().join("stderr.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_storelink"))
            .args(["serve", "--addr", "127.0.0.1:0", "--sync-interval-secs", "3600", "--log-format", "json"])
            .arg("--data-dir")
            .arg(data.path())
            .args(["--shopify-base-url", emulator])
            .args(args)
            .env("DATABASE_URL", database_url)
            .env("STORELINK_SECRET_KEY", key.trim())
            .env("RUST_LOG", log)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url =
            line.trim().strip_prefix("storelink is listening on ").unwrap_or_else(|| panic!("{line:?}")).to_owned();
        ServerProcess { child, url, stderr, _stdout: stdout, _data: data }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether this server is the one a claim's `owner` names (`{pid}-{random}`).
    pub fn owns(&self, owner: &str) -> bool {
        owner.split('-').next() == Some(self.pid().to_string().as_str())
    }

    /// Kills the process (SIGKILL: no goodbye; its leases simply stop being renewed) and waits
    /// for it to end.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }

    /// Sends `signal` (`-TERM`, `-STOP`, …) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.pid().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// The process's resident memory, in bytes.
    pub fn resident_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        kb * 1024
    }

    /// A figure from the server's `/metrics` (the sum of its samples); needs `--metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.url)).await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|line| line.split(['{', ' ']).next() == Some(name))
            .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum()
    }

    /// The messages the server logged (every line must be JSON).
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let mut messages = String::new();
        for line in text.lines() {
            let entry: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|_| panic!("a log line that is not JSON: {line}"));
            messages.push_str(entry["fields"]["message"].as_str().unwrap_or_default());
            messages.push('\n');
        }
        messages
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Shared by the end-to-end tests: the binary, a private runs directory, and waiting on a
//! condition with a deadline (never a fixed sleep).
#![allow(dead_code)]

pub mod http;
pub mod pg;
pub mod plan;
pub mod prometheus;
pub mod receiver;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rollback")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Polls `cond` until it holds or `limit` passes; panics naming `what` on timeout.
pub fn wait_until<T>(what: &str, limit: Duration, mut cond: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = cond() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::park_timeout(Duration::from_millis(10));
    }
}

/// A private runs directory and commands pointed at it.
pub struct Runs {
    pub dir: tempfile::TempDir,
}

impl Runs {
    pub fn new() -> Runs {
        Runs {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .env("ROLLBACK_RUNS_DIR", self.path())
            .env("USER", "tester")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("binary runs")
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts")
    }

    /// Run directories, newest first.
    pub fn run_dirs(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path())
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v.reverse();
        v
    }

    pub fn only_run(&self) -> PathBuf {
        let dirs = self.run_dirs();
        assert_eq!(dirs.len(), 1, "{dirs:?}");
        dirs[0].clone()
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn timeline(run: &Path) -> String {
    std::fs::read_to_string(run.join("timeline.jsonl")).unwrap_or_default()
}

/// `type`s of the timeline's complete lines, in order.
/// Stops the step a killed run left behind (its whole group, as its `step_started` record
/// names it) and waits until the group is gone: no test leaves a process running.
pub fn stop_left_step(run: &Path, step: &str) {
    let pgid = timeline(run)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|r| r["type"] == "step_started" && r["step"] == step)
        .and_then(|r| r["pgid"].as_i64())
        .unwrap_or_else(|| panic!("no pgid for {step} in {}", run.display()));
    let group = nix::unistd::Pid::from_raw(pgid as i32);
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    wait_until(
        "the left step's group to end",
        Duration::from_secs(10),
        || nix::sys::signal::killpg(group, None).is_err().then_some(()),
    );
}

pub fn event_types(run: &Path) -> Vec<String> {
    timeline(run)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A plan in `dir` whose execute step waits for the file named by its variable `gate`, so a
/// run is in progress for exactly as long as the test wants.
pub fn gated(dir: &Path) -> String {
    let path = dir.join("gated.yaml");
    std::fs::write(
        &path,
        r#"plan: gated
title: A step that waits for a go-ahead file
level: 2
operation: application
automation: full
vars:
  gate: {}
phases:
  - id: capture
    steps:
      - id: note
        run: echo before
  - id: execute
    steps:
      - id: wait
        run: while [ ! -e "$gate" ]; do sleep 0.05; done; echo through
  - id: verify
    steps:
      - id: ok
        check: "true"
"#,
    )
    .unwrap();
    path.display().to_string()
}

/// A headless drill of the shipped demo plan that answers everything: fast, and ends.
pub const DEMO_DRILL: [&str; 8] = [
    "--headless",
    "--speed",
    "400",
    "--var",
    "version=7",
    "--approve-as",
    "ci",
    "--confirm-manual",
];

/// The demo plan drilled to its end in `runs`: its run directory.
pub fn finished_demo_drill(runs: &Runs) -> PathBuf {
    let p = repo().join("plans/demo.yaml").display().to_string();
    let out = runs.run(&[&["drill", &p][..], &DEMO_DRILL[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    runs.only_run()
}

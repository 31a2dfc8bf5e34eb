//! The binary in a real terminal: a tmux session running one command, read with
//! capture-pane and waited on with a deadline (never a fixed sleep).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{bin, repo, wait_until};

/// A tmux session running one command; killed when dropped.
pub struct Tmux {
    pub name: String,
}

impl Tmux {
    /// Runs `args` of the binary against `runs` from the repository (so `plans/...` paths
    /// work), then prints `EXIT=<code>` and waits.
    pub fn rollback(name: &str, w: u16, h: u16, runs: &Path, args: &str) -> Tmux {
        let command = format!(
            "cd {} && env USER=tester ROLLBACK_RUNS_DIR={} {} {args}; echo EXIT=$?; sleep 600",
            repo().display(),
            runs.display(),
            bin()
        );
        Tmux::start(name, w, h, &command)
    }

    /// Runs the shell line `command` in a `w`x`h` terminal.
    pub fn start(name: &str, w: u16, h: u16, command: &str) -> Tmux {
        let name = format!("rollback-{name}-{}", std::process::id());
        let ok = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", &w.to_string()])
            .args(["-y", &h.to_string(), command])
            .status()
            .expect("tmux runs (the CI script installs it)");
        assert!(ok.success(), "tmux new-session failed");
        Tmux { name }
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn wait_for(&self, needle: &str) -> String {
        wait_until(
            &format!("{needle:?} on screen"),
            Duration::from_secs(30),
            || {
                let s = self.screen();
                s.contains(needle).then_some(s)
            },
        )
    }

    /// Waits until `keys` show on a dialog's key line and work: a dialog the run opens drops
    /// keys for its first moment, while its key line is dimmed after "keys in a moment".
    pub fn wait_keys(&self, keys: &str) -> String {
        wait_until(
            &format!("the keys {keys:?} ready"),
            Duration::from_secs(30),
            || {
                let s = self.screen();
                (s.contains(keys) && !s.contains("keys in a moment")).then_some(s)
            },
        )
    }

    /// Takes the demo plan's start form as it is (every value given or a drill's example):
    /// the form as it first showed.
    pub fn start_demo(&self) -> String {
        let form = self.wait_for("Config version to roll back to");
        for _ in 0..3 {
            self.keys(&["Enter"]);
        }
        form
    }

    /// Answers a gate as the operator on the form, then passes the point of no return.
    pub fn approve_and_pass(&self) {
        self.wait_keys("enter approve");
        self.keys(&["Enter"]);
        self.wait_keys("y confirm");
        self.keys(&["y"]);
    }

    /// The rest of the demo plan from its gate: approved, past the point of no return, the
    /// manual check confirmed; the summary follows.
    pub fn through_demo(&self) {
        self.approve_and_pass();
        self.wait_keys("enter confirm");
        self.keys(&["Enter"]);
    }

    /// Types `text` as it is (no key names).
    pub fn type_text(&self, text: &str) {
        let ok = Command::new("tmux")
            .args(["send-keys", "-l", "-t", &self.name, text])
            .status()
            .expect("send-keys");
        assert!(ok.success());
    }

    pub fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(ok.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

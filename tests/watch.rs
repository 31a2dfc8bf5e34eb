//! `rollback watch --headless --json` as a process: lines per change of state, exit 1 when
//! a trigger fires, 0 on SIGTERM, 2 on bad input; probes never outlive the watch.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const BASE: &str = include_str!("plans/base.yaml");

/// The base plan with its triggers replaced by `triggers` (YAML under `triggers:`).
fn plan_with(triggers: &str) -> String {
    let head = BASE.split("triggers:\n").next().expect("base has triggers");
    format!("{head}triggers:\n{triggers}")
}

const LIMIT: Duration = Duration::from_secs(20);

/// A running `rollback watch --headless --json` and its stdout, line by line.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
    seen: Vec<serde_json::Value>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watch {
    fn start(dir: &Path, triggers: &str) -> Watch {
        let plan = dir.join("plan.yaml");
        std::fs::write(&plan, plan_with(triggers)).expect("write plan");
        let mut child = Command::new(env!("CARGO_BIN_EXE_rollback"))
            .args(["watch", "--headless", "--json"])
            .arg(&plan)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("watch starts");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let doc = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send(doc).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line whose verdict state (or `watch`) is `state`.
    fn wait_for(&mut self, state: &str) -> serde_json::Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(doc) => {
                    self.seen.push(doc.clone());
                    if doc["verdict"]["state"] == state || doc["watch"] == state {
                        return doc;
                    }
                }
                Err(_) => panic!("no `{state}` line within {LIMIT:?}; saw {:?}", self.seen),
            }
        }
    }

    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "watch did not end");
            std::thread::park_timeout(Duration::from_millis(10));
        }
    }

    fn terminate(&self) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).expect("signal");
    }
}

#[test]
fn a_trigger_fires_when_its_signal_goes_bad_and_the_watch_ends_with_1() {
    let dir = tempfile::tempdir().unwrap();
    let value = dir.path().join("value");
    std::fs::write(&value, "0").unwrap();
    let mut w = Watch::start(
        dir.path(),
        "  - name: errors\n    command: cat value\n    interval: 50ms\n    condition: result > 0.0\n    severity: critical\n    explain: errors are up\n",
    );
    let healthy = w.wait_for("healthy");
    assert_eq!(healthy["trigger"], "errors");
    assert_eq!(healthy["sample"]["value"], 0);
    std::fs::write(&value, "3").unwrap();
    let fired = w.wait_for("fired");
    assert_eq!(fired["sample"]["value"], 3);
    assert_eq!(fired["severity"], "critical");
    assert_eq!(fired["explain"], "errors are up");
    assert_eq!(fired["would"], "the rollback would start now");
    assert_eq!(w.exit_code(), Some(1));
}

#[test]
fn a_probe_that_keeps_failing_is_reported_blind_once_and_sigterm_ends_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Watch::start(
        dir.path(),
        "  - name: blind\n    command: echo 'metrics store down' >&2; exit 3\n    interval: 20ms\n    consecutive_error_limit: 1\n    condition: result > 0.0\n",
    );
    let blind = w.wait_for("blind");
    assert_eq!(blind["verdict"]["errors"], 2);
    assert!(
        blind["sample"]["message"]
            .as_str()
            .unwrap()
            .contains("metrics store down"),
        "{blind}"
    );
    w.terminate();
    w.wait_for("stopped");
    assert_eq!(w.exit_code(), Some(0));
    let blind_lines = w
        .seen
        .iter()
        .filter(|d| d["verdict"]["state"] == "blind")
        .count();
    assert_eq!(blind_lines, 1, "{:?}", w.seen);
}

#[test]
fn sigterm_while_a_probe_runs_kills_the_probe_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Watch::start(
        dir.path(),
        "  - name: slow\n    command: echo $$ > pid; sleep 300 & sleep 300\n    timeout: 10m\n    condition: result > 0.0\n",
    );
    let pid_file = dir.path().join("pid");
    let deadline = Instant::now() + LIMIT;
    let pgid: i32 = loop {
        if let Some(p) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            break p;
        }
        assert!(Instant::now() < deadline, "the probe did not start");
        std::thread::park_timeout(Duration::from_millis(10));
    };
    w.terminate();
    assert_eq!(w.exit_code(), Some(0));
    assert!(
        !rollback::runner::orphan::group_alive(pgid),
        "the probe's processes outlived the watch"
    );
}

#[test]
fn sigterm_while_a_server_hangs_ends_the_watch_at_once() {
    // Connections to a listener that never accepts wait forever for an answer.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut w = Watch::start(
        dir.path(),
        &format!(
            "  - name: silent\n    http: {{url: 'http://127.0.0.1:{port}/'}}\n    timeout: 10m\n    condition: result > 0.0\n  - name: beat\n    command: echo 0\n    condition: result > 0.0\n"
        ),
    );
    w.wait_for("healthy");
    w.terminate();
    // Within the wait's deadline, far below the probe's 10m timeout: the watch does not
    // wait for the silent server.
    assert_eq!(w.exit_code(), Some(0));
    drop(silent);
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(&plan, BASE).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rollback"))
            .args(args)
            .arg(&plan)
            .output()
            .unwrap()
    };
    let out = run(&["watch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--headless"));
    std::fs::write(&plan, BASE.split("triggers:\n").next().unwrap()).unwrap();
    let out = run(&["watch", "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no triggers"));
}

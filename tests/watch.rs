//! `rollback watch --headless --json` as a process: lines per change of state, the severity
//! policy (critical at once, high after a cancel window an operator may cancel on stdin,
//! medium asks), a fired trigger going on into the run with the trigger in its journal and
//! report, 0 on SIGTERM with the watch recorded, 2 on bad input; probes never outlive it.

use std::io::{BufRead, BufReader, Write};
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

/// Polls `f` until it answers, within `LIMIT`.
fn common_wait<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out");
        std::thread::park_timeout(Duration::from_millis(10));
    }
}

/// A running `rollback watch --headless --json` and its stdout, line by line.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
    seen: Vec<serde_json::Value>,
    runs: tempfile::TempDir,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watch {
    fn start(dir: &Path, triggers: &str) -> Watch {
        Watch::start_with(dir, triggers, &[])
    }

    /// Once a run starts its lines are text: they arrive as `{"text": line}`.
    fn start_with(dir: &Path, triggers: &str, args: &[&str]) -> Watch {
        Watch::start_plan(dir, &plan_with(triggers), args)
    }

    fn start_plan(dir: &Path, text: &str, args: &[&str]) -> Watch {
        let plan = dir.join("plan.yaml");
        std::fs::write(&plan, text).expect("write plan");
        let runs = tempfile::tempdir().expect("runs dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_rollback"))
            .args(["watch", "--headless", "--json"])
            .args(args)
            .arg(&plan)
            .env("ROLLBACK_RUNS_DIR", runs.path())
            .env("USER", "tester")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("watch starts");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let doc = serde_json::from_str(&line)
                    .unwrap_or_else(|_| serde_json::json!({ "text": line }));
                if tx.send(doc).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
            runs,
        }
    }

    /// Says something on the watch's stdin, as an operator at the terminal would.
    fn say(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").expect("write stdin");
    }

    /// Waits for a line with `key` equal to `value`.
    fn wait_key(&mut self, key: &str, value: &str) -> serde_json::Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(doc) => {
                    self.seen.push(doc.clone());
                    if doc[key] == value {
                        return doc;
                    }
                }
                Err(_) => panic!(
                    "no {key}={value} line within {LIMIT:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }

    /// The only run directory the watch started.
    fn run_dir(&self) -> std::path::PathBuf {
        let dirs: Vec<_> = std::fs::read_dir(self.runs.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("timeline.jsonl").is_file())
            .collect();
        assert_eq!(dirs.len(), 1, "{dirs:?}");
        dirs[0].clone()
    }

    fn run_started(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.run_dir().join("timeline.jsonl")).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["type"], "run_started", "{first}");
        first
    }

    /// The watch's own record, entry by entry.
    fn watch_journal(&self) -> Vec<serde_json::Value> {
        let dir = self.runs.path().join(".watch");
        let file = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .next()
            .expect("a watch journal")
            .path();
        std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
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
fn a_critical_trigger_starts_the_run_with_the_trigger_in_its_journal_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let value = dir.path().join("value");
    std::fs::write(&value, "0").unwrap();
    let mut w = Watch::start_with(
        dir.path(),
        "  - name: errors\n    command: cat value\n    interval: 50ms\n    count: 3\n    failure_limit: 1\n    condition: result > 0.0\n    severity: critical\n    explain: errors are up\n",
        &["--approve-as", "alice"],
    );
    let healthy = w.wait_for("healthy");
    assert_eq!(healthy["trigger"], "errors");
    assert_eq!(healthy["sample"]["value"], 0);
    std::fs::write(&value, "3").unwrap();
    let fired = w.wait_for("fired");
    assert_eq!(fired["sample"]["value"], 3);
    assert_eq!(fired["severity"], "critical");
    assert_eq!(fired["explain"], "errors are up");
    assert_eq!(fired["policy"], "the rollback starts now");
    w.wait_key("policy", "start");
    assert_eq!(w.exit_code(), Some(0), "the run completed: {:?}", w.seen);

    let started = w.run_started();
    assert_eq!(started["trigger"], "auto");
    let f = &started["fired"];
    assert_eq!(f["name"], "errors");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["condition"], "result > 0.0");
    assert_eq!(f["value"], 3);
    let samples = f["samples"].as_array().unwrap();
    let failures: Vec<_> = samples
        .iter()
        .filter(|s| s["outcome"] == "failure")
        .collect();
    assert_eq!(
        failures.len(),
        2,
        "failure_limit 1: the second bad sample fires: {f}"
    );
    assert!(
        f["first_failure_ms"].as_i64() < f["fired_ms"].as_i64(),
        "{f}"
    );
    assert!(f.get("started_by").is_none(), "the policy started it: {f}");

    let report = Command::new(env!("CARGO_BIN_EXE_rollback"))
        .args(["report", "--format", "json"])
        .arg(w.run_dir())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let exec = &report["metrics"]["execution"];
    assert_eq!(exec["trigger"], "auto");
    assert_eq!(exec["fired"]["name"], "errors");
    let detect = exec["time_to_detect_ms"].as_u64().expect("time to detect");
    assert_eq!(
        detect as i64,
        f["fired_ms"].as_i64().unwrap() - f["first_failure_ms"].as_i64().unwrap()
    );
    let md = Command::new(env!("CARGO_BIN_EXE_rollback"))
        .args(["report"])
        .arg(w.run_dir())
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains(
            "auto: trigger `errors` (critical): `result &gt; 0.0` was 3; first failing sample"
        ),
        "{md}"
    );
    let journal = w.watch_journal();
    assert_eq!(journal[0]["type"], "watch_started");
    assert_eq!(journal[0]["triggers"], serde_json::json!(["errors"]));
    assert!(
        journal.iter().any(|e| e["type"] == "run_started"
            && e["run_id"]
                .as_str()
                .is_some_and(|id| w.run_dir().ends_with(id))),
        "{journal:?}"
    );
}

#[test]
fn a_high_trigger_waits_its_cancel_window_and_an_operator_can_cancel_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Watch::start(
        dir.path(),
        "  - name: latency\n    command: echo 2\n    interval: 50ms\n    condition: result > 1.0\n    severity: high\n    cancel_window: 1h\n",
    );
    let countdown = w.wait_key("policy", "countdown");
    assert_eq!(countdown["seconds"], 3600, "{countdown}");
    w.say("cancel bob");
    w.say("cancel bob the deploy is known noise");
    let cancelled = w.wait_key("policy", "cancelled");
    assert_eq!(cancelled["who"], "bob");
    assert_eq!(cancelled["why"], "the deploy is known noise");
    // It watches again with a fresh window, fires again and waits again.
    w.wait_key("policy", "countdown");
    w.terminate();
    assert_eq!(w.exit_code(), Some(0));
    let journal = w.watch_journal();
    assert!(
        journal
            .iter()
            .any(|e| e["policy"] == "cancelled" && e["who"] == "bob"),
        "{journal:?}"
    );
    assert_eq!(journal.last().unwrap()["type"], "watch_stopped");
    assert_eq!(journal.last().unwrap()["by"], "SIGTERM");
    assert!(
        !w.runs.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .path()
            .join("timeline.jsonl")
            .exists())
    );
}

#[test]
fn a_high_trigger_starts_the_run_when_its_window_expires() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Watch::start_with(
        dir.path(),
        "  - name: latency\n    command: echo 2\n    interval: 50ms\n    condition: result > 1.0\n    severity: high\n    cancel_window: 1s\n",
        &["--drill", "--approve-as", "alice"],
    );
    w.wait_key("policy", "countdown");
    let start = w.wait_key("policy", "start");
    assert_eq!(start["by"], serde_json::Value::Null);
    assert_eq!(w.exit_code(), Some(0));
    let started = w.run_started();
    assert_eq!(started["fired"]["name"], "latency");
    let f = &started["fired"];
    // The run started when the 1 s window ended, not when the trigger fired (a few ms of
    // slack: the watch's clock and the journal's are read separately).
    let ts = chrono::DateTime::parse_from_rfc3339(started["ts"].as_str().expect("ts")).unwrap();
    let waited = ts.timestamp_millis() - f["fired_ms"].as_i64().unwrap();
    assert!(waited >= 990, "started {waited} ms after firing: {started}");
}

#[test]
fn a_medium_trigger_asks_and_never_starts_until_an_operator_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_with(
        "  - name: tickets\n    command: echo 50\n    interval: 50ms\n    condition: result > 20.0\n    severity: medium\n",
    )
    .replace("phases:\n", "notify: cat >> notified.jsonl\nphases:\n");
    let mut w = Watch::start_plan(dir.path(), &plan, &["--approve-as", "carol"]);
    w.wait_key("policy", "ask");
    // The alert went through the plan's notify hook.
    let notified = dir.path().join("notified.jsonl");
    let alert = common_wait(|| {
        std::fs::read_to_string(&notified)
            .ok()
            .and_then(|t| t.lines().next().map(str::to_string))
    });
    let alert: serde_json::Value = serde_json::from_str(&alert).unwrap();
    assert_eq!(alert["event"], "trigger_fired");
    assert_eq!(alert["trigger"], "tickets");
    assert_eq!(alert["policy"], "ask");
    w.say("start carol");
    let start = w.wait_key("policy", "start");
    assert_eq!(start["by"], "carol");
    assert_eq!(w.exit_code(), Some(0));
    assert_eq!(w.run_started()["fired"]["started_by"], "carol");
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
    std::fs::write(&plan, BASE.split("triggers:\n").next().unwrap()).unwrap();
    let out = run(&["watch", "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no triggers"));
}

#[test]
fn variables_reach_command_probes_as_they_reach_steps() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.yaml");
    let text = plan_with(
        "  - name: depth\n    command: echo \"$depth\"\n    interval: 50ms\n    condition: result > 5.0\n    severity: critical\n",
    )
    .replace("phases:\n", "vars:\n  depth: {default: '1'}\nphases:\n");
    std::fs::write(&plan, text).unwrap();
    let runs = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rollback"))
        .args([
            "watch",
            "--headless",
            "--json",
            "--drill",
            "--approve-as",
            "a",
        ])
        .args(["--var", "depth=7"])
        .arg(&plan)
        .env("ROLLBACK_RUNS_DIR", runs.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let fired: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|d: &serde_json::Value| d["verdict"]["state"] == "fired")
        .collect();
    assert_eq!(fired[0]["sample"]["value"], 7, "{text}");
}

#[test]
fn an_inconclusive_sample_waits_for_a_person_who_judges_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Watch::start_with(
        dir.path(),
        "  - name: lag\n    command: echo -1\n    interval: 50ms\n    condition: result > 10.0\n    inconclusive: result < 0.0\n    severity: critical\n",
        &["--drill", "--approve-as", "dan"],
    );
    w.wait_for("ask");
    w.say("cancel dan the probe reads -1 during failover");
    w.wait_for("healthy");
    w.wait_for("ask");
    w.say("start dan");
    let start = w.wait_key("policy", "start");
    assert_eq!(start["by"], "dan");
    assert_eq!(w.exit_code(), Some(0));
    assert_eq!(w.run_started()["fired"]["started_by"], "dan");
}

#[test]
fn a_drill_watch_takes_the_plans_examples_for_values_nobody_gave() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.yaml");
    // `depth` is required, has no default and is given by nobody: only its example can fill it.
    let text = plan_with(
        "  - name: depth\n    command: echo \"$depth\"\n    interval: 50ms\n    condition: result > 5.0\n    severity: critical\n",
    )
    .replace(
        "phases:\n",
        "vars:\n  depth: {required: true, example: '9'}\nphases:\n",
    );
    std::fs::write(&plan, text).unwrap();
    let runs = tempfile::tempdir().unwrap();
    let watch = |drill: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rollback"));
        cmd.args(["watch", "--headless", "--json", "--approve-as", "a"]);
        if drill {
            cmd.arg("--drill");
        }
        cmd.arg(&plan)
            .env("ROLLBACK_RUNS_DIR", runs.path())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let live = watch(false);
    assert_eq!(live.status.code(), Some(2), "a live watch needs the value");
    let out = watch(true);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let fired: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|d: &serde_json::Value| d["verdict"]["state"] == "fired")
        .collect();
    assert_eq!(fired[0]["sample"]["value"], 9, "{text}");
}

#[test]
fn the_plans_cancel_window_holds_for_triggers_without_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let text = plan_with(
        "  - name: latency\n    command: echo 2\n    interval: 50ms\n    condition: result > 1.0\n    severity: high\n",
    )
    .replace("phases:\n", "cancel_window: 40s\nphases:\n");
    let mut w = Watch::start_plan(dir.path(), &text, &["--drill", "--approve-as", "alice"]);
    let countdown = w.wait_key("policy", "countdown");
    assert_eq!(countdown["seconds"], 40, "{countdown}");
    w.say("cancel bob a known blip");
    w.wait_key("policy", "cancelled");
}

//! Triggers in plans, through the real binary: positioned diagnostics for every trigger
//! rule, the level 3/4 reminder, and `rollback triggers` listing the catalogue.

use std::path::Path;
use std::process::{Command, Output};

const BASE: &str = include_str!("plans/base.yaml");

fn rollback(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollback"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// The base plan with its triggers replaced by `triggers` (YAML under `triggers:`).
fn plan_with(triggers: &str) -> String {
    let head = BASE.split("triggers:\n").next().expect("base has triggers");
    format!("{head}triggers:\n{triggers}")
}

/// Lines of `rollback validate --quiet` on `text`, without the path prefix, and the exit code.
fn validate(text: &str) -> (Vec<String>, i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.yaml");
    std::fs::write(&path, text).expect("write plan");
    let out = rollback(&["validate", "--quiet", path.to_str().expect("utf-8 path")]);
    let prefix = format!("{}:", path.display());
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

#[test]
fn each_trigger_rule_reports_its_position() {
    // The base plan's `triggers:` is line 31; each case's trigger begins on line 32.
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown catalogue name, with a suggestion",
            "  - name: t\n    use: eror-rate\n",
            "33:10: error: no trigger `eror-rate` in the catalogue; did you mean `error-rate`? [triggers]",
        ),
        (
            "threshold in the wrong unit",
            "  - name: t\n    use: latency-p95\n    threshold: 5%\n    prometheus: {url: 'http://p:9090'}\n",
            "34:16: error: `5%` is not a duration: write it as 500ms, 2s or 1m; `latency-p95` takes its threshold in a duration (e.g. 500ms) [triggers]",
        ),
        (
            "a percentage written as a plain number",
            "  - name: t\n    use: error-rate\n    threshold: 0.05\n    prometheus: {url: 'http://p:9090'}\n",
            "34:16: error: `0.05` is not a percentage: write it as 5% or 0.5%; `error-rate` takes its threshold in percent (e.g. 5%) [triggers]",
        ),
        (
            "a threshold on a trigger that has none",
            "  - name: t\n    use: liveness\n    threshold: 3\n    http: {url: 'http://x/health'}\n",
            "34:16: error: `liveness` has no threshold to set [triggers]",
        ),
        (
            "a condition that does not compile",
            "  - name: t\n    command: echo 1\n    condition: result >\n",
            "34:16: error: the condition does not compile at column 10 of `result >`: Syntax error: mismatched input '<EOF>' [triggers]",
        ),
        (
            "an inconclusive condition that does not compile",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    inconclusive: (result\n",
            "35:19: error: the inconclusive condition does not compile at column 9 of `(result`: Syntax error: missing ')' at '<EOF>' [triggers]",
        ),
        (
            "no probe",
            "  - name: t\n    condition: result > 1.0\n",
            "32:11: error: trigger `t` has no probe: add `command`, `http`, `prometheus` or `alertmanager`, or `use:` one of the catalogue [triggers]",
        ),
        (
            "two probes",
            "  - name: t\n    command: echo 1\n    http: {url: 'http://x'}\n    condition: result > 1.0\n",
            "34:11: error: trigger `t` has two probes, `command` and `http`: keep one [triggers]",
        ),
        (
            "no condition",
            "  - name: t\n    command: echo 1\n",
            "32:11: error: trigger `t` has no `condition`: a CEL expression over `result` that is true when the sample is bad [triggers]",
        ),
        (
            "a catalogue query needs a server",
            "  - name: t\n    use: error-rate\n",
            "32:11: error: trigger `t` needs `prometheus.url`: the server to ask, e.g. http://prometheus:9090 [triggers]",
        ),
        (
            "a failure limit the window cannot pass",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    count: 3\n    failure_limit: 3\n",
            "36:20: error: `failure_limit: 3` can never be passed in a window of 3 samples: the trigger would never fire [triggers]",
        ),
        (
            "a bad URL and a bad JSONPath",
            "  - name: t\n    http: {url: 'ftp://x', jsonpath: '$[[['}\n    condition: result > 1.0\n",
            "33:17: error: `ftp://x` is not an http:// or https:// URL [triggers]",
        ),
        (
            "a bad JSONPath",
            "  - name: t\n    http: {url: 'http://x', jsonpath: '$[[['}\n    condition: result > 1.0\n",
            "33:39: error: `$[[[` is not a JSONPath: expected selector at column 3 [triggers]",
        ),
        (
            "a zero interval",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    interval: 0s\n",
            "35:15: error: an interval must be longer than zero [triggers]",
        ),
        (
            "an unknown key is a schema error with a suggestion",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    severty: high\n",
            "35:5: error: unknown key `severty`, did you mean `severity`? [schema]",
        ),
        (
            "a severity outside the three",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    severity: low\n",
            "35:15: error: `low` is not allowed for `severity` (one of: critical, high, medium) [schema]",
        ),
        (
            "two triggers with one name",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n  - name: t\n    command: echo 2\n    condition: result > 1.0\n",
            "35:11: error: trigger `t` is already used at line 32 [ids]",
        ),
    ];
    let mut failures = Vec::new();
    for (what, triggers, want) in cases {
        let (lines, code) = validate(&plan_with(triggers));
        if code == 0 || !lines.iter().any(|l| l.starts_with(want)) {
            failures.push(format!(
                "{what}: exit {code}, want {want:?} in\n{}",
                lines.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn good_triggers_validate_clean() {
    let triggers = "  - name: errors\n    use: error-rate\n    threshold: 2%\n    prometheus: {url: 'http://prometheus:9090', selector: 'job=\"checkout\"'}\n  - name: health\n    use: liveness\n    http: {url: 'https://checkout.internal/healthz'}\n  - name: depth\n    command: ./queue-depth.sh\n    timeout: 5s\n    interval: 10s\n    count: 6\n    initial_delay: 1m\n    condition: result > threshold\n    threshold: 1000\n    inconclusive: result < 0.0\n    failure_limit: 2\n    consecutive_error_limit: 3\n    severity: medium\n    explain: the queue keeps growing\n";
    let (lines, code) = validate(&plan_with(triggers));
    assert_eq!((code, lines.len()), (0, 0), "{lines:?}");
}

#[test]
fn level_3_and_4_plans_without_triggers_are_reminded_of_the_standard() {
    let none = BASE.split("triggers:\n").next().expect("base has triggers");
    let (lines, code) = validate(none);
    assert_eq!(code, 0, "a warning leaves the plan valid");
    assert_eq!(
        lines,
        [
            "3:8: warning: the standard expects a level 3 plan to define automatic rollback triggers, integrated with monitoring: add `triggers:` (`rollback triggers` lists the predefined ones) [triggers]"
        ]
    );
    let (lines, _) = validate(&none.replace("level: 3", "level: 2"));
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn the_schema_knows_triggers() {
    let out = rollback(&["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let trigger = &schema["$defs"]["Trigger"];
    for key in [
        "name",
        "use",
        "threshold",
        "command",
        "http",
        "prometheus",
        "alertmanager",
        "interval",
        "count",
        "initial_delay",
        "condition",
        "inconclusive",
        "failure_limit",
        "consecutive_error_limit",
        "severity",
        "explain",
    ] {
        assert!(trigger["properties"].get(key).is_some(), "{key}");
    }
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/plan.schema.json"),
    )
    .expect("schema file");
    assert_eq!(committed, String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_catalogue_lists_with_defaults_as_text_and_json() {
    let out = rollback(&["triggers", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON list");
    assert!(list.len() >= 20, "{}", list.len());
    let error_rate = list
        .iter()
        .find(|e| e["name"] == "error-rate")
        .expect("error-rate listed");
    assert_eq!(error_rate["threshold"], "5%");
    assert_eq!(error_rate["severity"], "critical");
    assert_eq!(error_rate["category"], "metric");
    let out = rollback(&["triggers"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "metric",
        "health-check",
        "business",
        "data-quality",
        "security",
        "customer-impact",
    ] {
        assert!(text.lines().any(|l| l == heading), "{heading} in\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.contains("error-rate") && l.contains("critical") && l.contains("5%")),
        "{text}"
    );
}

// --- rollback watch --headless --------------------------------------------------------------

mod watch {
    use std::io::{BufRead, BufReader};
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    use super::{BASE, plan_with};

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
}

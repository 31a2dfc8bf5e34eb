//! Trigger conditions through the real binary. A condition that could freeze, exhaust or
//! crash a watch is bad input at its line and column (exit 2) for `validate`, `watch` and
//! `run` alike, refused before anything runs it. The most expensive condition the limits
//! let through, on the largest result a probe may give, holds up neither the other
//! triggers nor SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const BASE: &str = include_str!("plans/base.yaml");
/// The base plan's `triggers:` is line 42: a trigger's third line is 45.
const TRIGGER: &str = "  - name: t\n    command: echo 1\n";

fn plan_with(post: &str, triggers: &str) -> String {
    let head = BASE.split("triggers:\n").next().expect("base has triggers");
    format!("{head}triggers:\n{triggers}{post}")
}

fn rollback(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollback"))
        .args(args)
        .current_dir(dir)
        .env("ROLLBACK_RUNS_DIR", dir.join("runs"))
        .env("USER", "tester")
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

/// Waits for `child` to end within `limit`; its exit code, and how long it took.
fn ended_within(child: &mut Child, limit: Duration) -> (Option<i32>, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status.code(), start.elapsed());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::park_timeout(Duration::from_millis(5));
    }
}

#[test]
fn conditions_over_the_limits_are_bad_input_at_their_line_and_column() {
    let chain: Vec<String> = (1..=20_000).map(|i| format!("result > {i}")).collect();
    let chain = chain.join(" || ");
    let cases = [
        (
            "chain",
            plan_with("", &format!("{TRIGGER}    condition: {chain}\n")),
            format!(
                "plan.yaml:45:16: error: the condition is over the limits of a condition (at line 1, column 2049 of it): it is {} bytes long; a condition may be at most 2048 bytes [triggers]",
                chain.len()
            ),
        ),
        (
            "freeze",
            plan_with(
                "",
                &format!(
                    "{TRIGGER}    condition: result > 1.0\n    inconclusive: result.all(a, result.all(b, a != b))\n"
                ),
            ),
            "plan.yaml:46:19: error: the inconclusive condition is over the limits of a condition (at line 1, column 25 of it): a macro".into(),
        ),
        (
            "memory",
            plan_with(
                "post_rollback:\n  post_checks:\n    - window: immediate\n      check: echo 1\n      expect: |-\n        size(result) > 0 &&\n        result.map(x, result + result).size() > 0\n",
                &format!("{TRIGGER}    condition: result > 1.0\n"),
            ),
            "plan.yaml:51:9: error: the `expect` is over the limits of a condition (at line 2, column 11 of it): on the largest result".into(),
        ),
    ];
    for (name, text, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plan.yaml"), &text).unwrap();
        let out = rollback(dir.path(), &["validate", "plan.yaml"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{name}: {stdout}");
        assert!(stdout.contains(&want), "{name}: want {want:?} in {stdout}");
        for args in [
            &["watch", "--headless", "plan.yaml"][..],
            &["run", "--approve-as", "ci", "plan.yaml"],
        ] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_rollback"))
                .args(args)
                .current_dir(dir.path())
                .env("ROLLBACK_RUNS_DIR", dir.path().join("runs"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let (code, _) = ended_within(&mut child, Duration::from_secs(20));
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            assert_eq!(code, Some(2), "{name} {args:?}: {stderr}");
            assert!(stderr.contains(&want[..40]), "{name} {args:?}: {stderr}");
        }
    }
}

/// Serves `body` as JSON to every request on a loopback port, for as long as the test runs.
fn serve(body: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    port
}

/// Times (ms since the epoch) the beat trigger's probe ran, in order.
fn beats(file: &Path) -> Vec<u64> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .map(|ns| ns / 1_000_000)
        .collect()
}

#[test]
fn the_most_expensive_condition_within_the_limits_holds_up_neither_other_triggers_nor_sigterm() {
    // The largest result: 9,999 texts of 104 digits, 1 MiB together. No element matches,
    // so the pattern is tried on each of them after 4 concatenations: an estimated worst
    // case of about 55 of the 64 MiB the budget allows.
    let texts: Vec<String> = (0..9_999).map(|i| format!("\"{i:0104}\"")).collect();
    let port = serve(format!("[{}]", texts.join(",")));
    let expensive = r"result.map(x, x + x + x + x).exists(y, y.matches('^\\w+\\s\\w+$'))";
    let dir = tempfile::tempdir().unwrap();
    let beat = dir.path().join("beats");
    let triggers = format!(
        "  - name: expensive\n    http: {{url: 'http://127.0.0.1:{port}/'}}\n    interval: 10ms\n    condition: {expensive}\n  - name: beat\n    command: date +%s%N >> {}; echo 0\n    interval: 100ms\n    consecutive_error_limit: 0\n    condition: result > 0.0\n",
        beat.display()
    );
    std::fs::write(dir.path().join("plan.yaml"), plan_with("", &triggers)).unwrap();
    let mut watch = Command::new(env!("CARGO_BIN_EXE_rollback"))
        .args(["watch", "--headless", "--json", "plan.yaml"])
        .current_dir(dir.path())
        .env("ROLLBACK_RUNS_DIR", dir.path().join("runs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(watch.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The expensive trigger's answers are judged, within the bound: it reports healthy.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("the expensive trigger was never judged: {seen:?}"));
        let doc: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        seen.push(line);
        if doc["trigger"] == "expensive" {
            assert_eq!(doc["verdict"]["state"], "healthy", "{seen:?}");
            break;
        }
    }
    // For the next 3 seconds, while it is judged again and again, the beat keeps its interval.
    let from = beats(&beat).len();
    let watching = Instant::now();
    while watching.elapsed() < Duration::from_secs(3) {
        std::thread::park_timeout(Duration::from_secs(3).saturating_sub(watching.elapsed()));
    }
    let taken = beats(&beat)[from.saturating_sub(1)..].to_vec();
    let widest = taken
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or(u64::MAX);
    assert!(
        taken.len() >= 10,
        "only {} beats in 3s: {taken:?}",
        taken.len()
    );
    assert!(
        widest < 1000,
        "the beat waited {widest} ms between samples: {taken:?}"
    );
    // Its samples were all judged: one error would have made it blind.
    seen.extend(rx.try_iter());
    let beat: Vec<serde_json::Value> = seen
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|d| d["trigger"] == "beat")
        .map(|d| d["verdict"]["state"].clone())
        .collect();
    assert_eq!(beat, ["healthy"], "{seen:?}");
    // SIGTERM ends it within 2 seconds, whatever is being evaluated.
    kill(Pid::from_raw(watch.id() as i32), Signal::SIGTERM).unwrap();
    let (code, took) = ended_within(&mut watch, Duration::from_secs(20));
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(2), "SIGTERM took {took:?}");
}

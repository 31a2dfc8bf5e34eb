//! `rollback drill --exercise` of an exercise whose trigger fires: the drill watches first,
//! its probe's answers played on the drill clock, and the severity policy starts the drill's
//! run (critical at once, medium answered as the trainee headless, high after its cancel
//! window, or a cancel ends the drill), headless and on screen.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::tmux::Tmux;
use common::{Runs, event_types, text, timeline, wait_until};
use serde_json::Value;

const BASE: &str = include_str!("plans/base.yaml");

/// The base plan with one `errors` trigger of `severity` and an exercise `fires` that plays
/// it: healthy (0) for `after`, then firing (5), on a clock `speed` times faster.
fn plan(runs: &Runs, severity: &str, after: &str, speed: u32) -> String {
    let head = BASE.split("triggers:\n").next().expect("base has triggers");
    let text = format!(
        "{head}cancel_window: 1m\ndrills:\n  fires:\n    title: errors climb after the deploy\n    trigger: {{name: errors, after: {after}, healthy: 0, firing: 5}}\n    slow: {{capture.save: 2x}}\n    speed: {speed}\ntriggers:\n  - name: errors\n    command: exit 3\n    interval: 5s\n    condition: result > 1.0\n    severity: {severity}\n    explain: errors are up\n"
    );
    let p = runs.path().join("plan.yaml");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// The run directories (the watch keeps its own record beside them, in `.watch`).
fn runs_of(runs: &Runs) -> Vec<PathBuf> {
    runs.run_dirs()
        .into_iter()
        .filter(|d| d.join("timeline.jsonl").is_file())
        .collect()
}

fn run_started(run: &Path) -> Value {
    let tl = timeline(run);
    let first: Value = serde_json::from_str(tl.lines().next().expect("a record")).unwrap();
    assert_eq!(first["type"], "run_started", "{first}");
    first
}

#[test]
fn a_critical_trigger_fires_on_the_drill_clock_into_the_exercises_drill() {
    let runs = Runs::new();
    let p = plan(&runs, "critical", "20s", 20);
    let out = runs.run(&["drill", &p, "--headless", "--exercise", "fires"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("drill: watching errors on the drill clock x20"),
        "{said}"
    );
    let healthy = said.find("errors: healthy (last value 0)").expect(&said);
    let fired = said.find("errors: FIRED (critical)").expect(&said);
    assert!(healthy < fired, "{said}");
    let run = runs_of(&runs).pop().expect("the drill ran");
    let started = run_started(&run);
    assert_eq!(started["mode"], "drill");
    assert_eq!(started["trigger"], "auto");
    assert_eq!(started["fired"]["name"], "errors");
    assert_eq!(started["fired"]["value"], 5);
    assert!(started["fired"].get("started_by").is_none(), "{started}");
    // The exercise's other faults and its clock are the run's.
    assert_eq!(started["drill"]["exercise"], "fires");
    assert_eq!(started["drill"]["speed"], 20.0);
    assert_eq!(started["drill"]["slow"][0][0], "capture.save");
    // The probe was never asked: `exit 3` would have been an error sample.
    let samples = started["fired"]["samples"].as_array().unwrap();
    assert!(
        samples.iter().all(|s| s["outcome"] != "error"),
        "{samples:?}"
    );
    assert_eq!(samples.last().unwrap()["outcome"], "failure");
    assert!(
        event_types(&run).contains(&"run_completed".to_string()),
        "{}",
        timeline(&run)
    );
}

#[test]
fn a_medium_trigger_is_answered_as_the_trainee_and_scored_as_a_start_decision() {
    let runs = Runs::new();
    let p = plan(&runs, "medium", "10s", 20);
    let out = runs.run(&[
        "drill",
        &p,
        "--headless",
        "--exercise",
        "fires",
        "--trainee",
        "bob",
    ]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("errors: an operator decides whether to roll back"),
        "{said}"
    );
    assert!(
        said.contains("STARTING THE ROLLBACK (started by bob)"),
        "{said}"
    );
    let run = runs_of(&runs).pop().expect("the drill ran");
    assert_eq!(run_started(&run)["fired"]["started_by"], "bob");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("report.json")).unwrap()).unwrap();
    let start = &report["drill"]["decisions"][0];
    assert_eq!(start["kind"], "start", "{report}");
    assert_eq!(start["by"], "bob");
    assert!(start["real_ms"].as_u64().is_some(), "{start}");
}

#[test]
fn a_high_trigger_counts_down_every_ten_drill_seconds_then_starts_the_drill() {
    let runs = Runs::new();
    // At x30 a tick of the watch is three drill seconds: the count must not need exact tens.
    let p = plan(&runs, "high", "10s", 30);
    let out = runs.run(&["drill", &p, "--headless", "--exercise", "fires"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let left: Vec<u64> = said
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once("the rollback starts in ")?;
            rest.split_once("s unless cancelled")?.0.parse().ok()
        })
        .collect();
    assert!(
        left.len() >= 4,
        "a line per ten seconds of the minute: {said}"
    );
    assert!(left.windows(2).all(|w| w[0] > w[1]), "{left:?}");
    assert_eq!(runs_of(&runs).len(), 1, "{said}");
}

#[test]
fn a_cancelled_high_trigger_ends_the_drill_and_nothing_starts() {
    let runs = Runs::new();
    let p = plan(&runs, "high", "10s", 10);
    let mut child = runs
        .cmd(&["drill", &p, "--headless", "--exercise", "fires"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let mut wait_line = |needle: &str| {
        wait_until(needle, Duration::from_secs(20), || {
            let line = lines.recv_timeout(Duration::from_millis(50)).ok()?;
            seen.push(line.clone());
            line.contains(needle).then_some(seen.join("\n"))
        })
    };
    // A minute of cancel window on a clock ten times faster: six seconds to cancel.
    wait_line("the rollback starts in 60s unless an operator cancels");
    writeln!(child.stdin.as_mut().unwrap(), "cancel bob a known blip").unwrap();
    let said = wait_line(
        "drill ended: errors was cancelled by bob (a known blip); no rollback was started",
    );
    let status = wait_until("the drill to end", Duration::from_secs(20), || {
        child.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(0), "{said}");
    assert!(runs_of(&runs).is_empty(), "{said}");
}

#[test]
fn on_screen_the_drill_watches_then_the_trigger_fires_into_the_run_screen() {
    let runs = Runs::new();
    let p = plan(&runs, "high", "1m", 20);
    let t = Tmux::rollback(
        "drill-trigger",
        80,
        24,
        runs.path(),
        &format!("drill {p} --exercise fires"),
    );
    let s = t.wait_for("errors            ok");
    assert!(s.contains("WATCH") && s.contains("DRILL"), "{s}");
    assert!(s.contains(" x20"), "{s}");
    // A minute of drill time passes in three seconds; then its cancel window counts down.
    let s = t.wait_for("DRILL  errors fired (high)");
    assert!(s.contains("The rollback starts in 0"), "{s}");
    // The policy started it: the trigger, its value and samples show, then the run screen
    // comes by itself and names the trigger.
    let s = t.wait_for("TRIGGER FIRED: errors (high)");
    assert!(s.contains("value 5  condition result > 1.0"), "{s}");
    assert!(s.contains("The rollback starts in"), "{s}");
    let s = t.wait_for("started by trigger errors (high): value 5");
    assert!(s.contains("ROLLBACK"), "{s}");
    let run = wait_until("the run", Duration::from_secs(30), || runs_of(&runs).pop());
    let started = run_started(&run);
    assert_eq!(started["fired"]["name"], "errors");
    assert_eq!(started["drill"]["exercise"], "fires");
}

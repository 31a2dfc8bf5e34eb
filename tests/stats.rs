//! `rollback stats`: the team's figures from real runs made by the binary, each standard
//! criterion met and unmet, drills left out, and runs that cannot be counted listed.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Runs, repo, text, timeline, wait_until};
use rollback::engine::Event;
use rollback::engine::record::{encode, parse_line};
use rollback::report::RunOutcome;

/// A level 2 plan, fully automated; `sla` and the undo command vary.
fn plan(dir: &Path, id: &str, sla: &str, undo: &str) -> String {
    let path = dir.join(format!("{id}.yaml"));
    let text = format!(
        "plan: {id}\ntitle: Automated\nlevel: 2\noperation: application\nautomation: full\n{sla}\
         phases:\n  - id: capture\n    steps:\n      - id: save\n        run: echo saved\n\
         \x20 - id: execute\n    steps:\n      - id: undo\n        run: {undo}\n\
         \x20 - id: verify\n    steps:\n      - id: ok\n        check: \"true\"\n"
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn base() -> String {
    repo().join("tests/plans/base.yaml").display().to_string()
}

const ANSWERS: [&str; 4] = ["--headless", "--approve-as", "ci", "--confirm-manual"];

fn live(runs: &Runs, plan: &str) {
    let mut args = vec!["run", plan];
    args.extend(ANSWERS);
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

fn stats(runs: &Runs, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let dir = runs.path().to_str().unwrap();
    let mut args = vec!["stats", dir];
    args.extend(extra);
    let out = runs.run(&args);
    let shown = text(&out);
    args.push("--json");
    let json = runs.run(&args);
    assert_eq!(json.status.code(), out.status.code());
    let v = serde_json::from_slice(&json.stdout).expect("stats JSON");
    (out.status.code(), v, shown)
}

/// `(id, met)` of each overall criterion.
fn criteria(v: &serde_json::Value) -> Vec<(String, Option<bool>)> {
    v["overall"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["met"].as_bool()))
        .collect()
}

fn unmet(v: &serde_json::Value) -> Vec<String> {
    criteria(v)
        .into_iter()
        .filter(|(_, m)| *m == Some(false))
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn no_runs_is_said_plainly_and_is_not_a_failure() {
    let runs = Runs::new();
    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.starts_with("no runs in "), "{shown}");
    assert!(criteria(&v).iter().all(|(_, m)| m.is_none()));
}

#[test]
fn criteria_met_pass_and_too_little_automation_fails() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    live(&runs, &plan(plans.path(), "auto", "", "echo undo"));
    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(criteria(&v).iter().all(|(_, m)| *m == Some(true)), "{v}");
    let line = shown
        .lines()
        .find(|l| l.contains("automated >= 80%"))
        .unwrap();
    assert!(
        line.contains("✔ met") && line.ends_with("100% (3 of 3 steps)"),
        "{shown}"
    );

    // base.yaml has an approval gate: 3 of its 4 steps are automated.
    live(&runs, &base());
    let (code, _, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("  base: unmet: automated >= 80%\n"),
        "{shown}"
    );
    assert!(shown.contains("  auto: all met or no data\n"), "{shown}");
    let (code, v, shown) = stats(&runs, &["--plan", "base"]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(unmet(&v), ["automated"]);
    let line = shown
        .lines()
        .find(|l| l.contains("automated >= 80%"))
        .unwrap();
    assert!(
        line.contains("✘ UNMET") && line.ends_with("75% (3 of 4 steps)"),
        "{shown}"
    );
    assert_eq!(v["overall"]["runs"], 1);
}

#[test]
fn a_run_over_its_sla_fails_the_sla_criterion() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    live(&runs, &plan(plans.path(), "late", "sla: 1s\n", "sleep 1.2"));
    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(unmet(&v), ["sla"]);
    let line = shown.lines().find(|l| l.contains("within SLA")).unwrap();
    assert!(
        line.contains("✘ UNMET") && line.ends_with("0% (0 of 1 runs)"),
        "{shown}"
    );
}

#[test]
fn an_open_run_is_listed_and_once_aborted_fails_success_but_not_zero_failed() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let hang = plan(plans.path(), "hang", "", "sleep 30");
    let mut args = vec!["run", hang.as_str()];
    args.extend(ANSWERS);
    let mut child = runs.spawn(&args);
    let dir = wait_until("the long step to start", Duration::from_secs(20), || {
        let dirs = runs.run_dirs();
        let d = dirs.first()?;
        timeline(d)
            .contains("\"step\":\"execute.undo\"")
            .then(|| d.clone())
    });
    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("no finished runs"), "{shown}");
    assert!(shown.contains("open (pid"), "{shown}");
    assert_eq!(v["not_counted"][0]["state"], "open");
    assert_eq!(v["not_counted"][0]["plan"], "hang");

    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = wait_until("the run to end", Duration::from_secs(20), || {
        child.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(3));
    assert!(timeline(&dir).contains("run_sealed"));
    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(unmet(&v), ["success"]);
    assert_eq!(v["overall"]["aborted"], 1);
}

/// Rewrites a real run as if it had failed (no face ends a run `failed` today): its end and
/// its seal say so, and the whole chain and the seal mark are made again to match, as only
/// a forger with the whole file could.
fn rechain_as_failed(run: &Path) {
    let path = run.join("timeline.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut prev = rollback::engine::record::GENESIS.to_string();
    let mut out = String::new();
    let mut count = 0;
    for line in text.lines() {
        let mut r = parse_line(line).unwrap();
        match &mut r.event {
            Event::RunCompleted => {
                r.event = Event::RunFailed {
                    reason: "failed for the test".into(),
                }
            }
            Event::RunSealed(seal) => {
                let mut summary = rollback::report::summary::Summary::of_seal(seal).unwrap();
                summary.metrics.execution.outcome = RunOutcome::Failed;
                summary.metrics.execution.success = false;
                seal.summary = summary.to_value();
                seal.chain_head = prev.clone();
            }
            _ => {}
        }
        let (line, hash) = encode(
            r.seq,
            r.ts_ms,
            r.elapsed_ms,
            r.mode,
            &r.operator,
            &r.event,
            &prev,
        );
        out.push_str(&line);
        prev = hash;
        count += 1;
    }
    std::fs::write(&path, out).unwrap();
    std::fs::write(
        run.join("timeline.seal"),
        format!("{{\"records\":{count},\"hash\":\"{prev}\"}}\n"),
    )
    .unwrap();
}

#[test]
fn a_failed_run_fails_zero_failed_and_success() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    live(&runs, &plan(plans.path(), "auto", "", "echo undo"));
    rechain_as_failed(&runs.only_run());
    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(unmet(&v), ["success", "zero_failed"]);
    let line = shown.lines().find(|l| l.contains("zero failed")).unwrap();
    assert!(
        line.contains("✘ UNMET") && line.ends_with("1 failed of 1 runs"),
        "{shown}"
    );
}

#[test]
fn corrupt_and_left_runs_are_listed_and_the_others_counted() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let auto = plan(plans.path(), "auto", "", "echo undo");
    live(&runs, &auto);
    live(&runs, &auto);
    // A manual check nobody confirms: the run is left, resumable.
    let out = runs.run(&["run", &base(), "--headless"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let cut = runs
        .run_dirs()
        .into_iter()
        .find(|d| d.to_string_lossy().ends_with("-auto"))
        .unwrap();
    let tl = cut.join("timeline.jsonl");
    let bytes = std::fs::read(&tl).unwrap();
    std::fs::write(&tl, &bytes[..bytes.len() - 40]).unwrap();
    let junk = runs.path().join("2026-01-01T00-00-00Z-junk");
    std::fs::create_dir(&junk).unwrap();
    std::fs::write(junk.join("timeline.jsonl"), "not a record\n").unwrap();
    std::fs::write(junk.join("lock"), "").unwrap();

    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(v["overall"]["runs"], 1, "{v}");
    let mut states: Vec<(String, String)> = v["not_counted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["plan"].as_str().unwrap_or("?").into(),
                u["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            ("?".into(), "corrupt".into()),
            ("auto".into(), "corrupt".into()),
            ("base".into(), "left".into())
        ]
    );
    assert!(shown.contains("records are missing at its end"), "{shown}");
    assert!(shown.contains("left or interrupted"), "{shown}");
}

#[test]
fn drills_are_left_out_unless_asked_and_filters_narrow_the_runs() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let auto = plan(plans.path(), "auto", "", "echo undo");
    live(&runs, &auto);
    let base = base();
    let mut args = vec!["drill", base.as_str(), "--speed", "1000"];
    args.extend(ANSWERS);
    assert_eq!(runs.run(&args).status.code(), Some(0));

    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(
        (v["overall"]["runs"].as_u64(), v["drills_excluded"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        shown.contains("1 drill(s) not counted (--include-drills to count them)"),
        "{shown}"
    );

    let (code, v, _) = stats(&runs, &["--include-drills"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        (
            v["overall"]["runs"].as_u64(),
            v["overall"]["drill"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(v["plans"].as_object().unwrap().len(), 2);

    let (_, v, _) = stats(&runs, &["--include-drills", "--plan", "auto"]);
    assert_eq!(v["overall"]["runs"], 1);
    let later = ["--since", "30d", "--now", "2099-01-01T00:00:00Z"];
    let (code, v, shown) = stats(&runs, &later);
    assert_eq!(code, Some(0));
    assert_eq!(v["overall"]["runs"], 0);
    assert!(
        shown.starts_with("no runs started since 2098-12-02"),
        "{shown}"
    );
}

#[test]
fn a_run_left_after_a_failure_counts_as_failed_once_its_sla_passed_and_can_be_closed() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    live(&runs, &plan(plans.path(), "auto", "", "echo undo"));
    let flaky = plan(plans.path(), "flaky", "", "exit 3");
    let mut args = vec!["run", flaky.as_str()];
    args.extend(ANSWERS);
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // Inside its SLA it is listed, not counted: someone may still take it up.
    let (code, v, shown) = stats(&runs, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(v["overall"]["runs"], 1, "{v}");
    assert_eq!(v["not_counted"][0]["state"], "left", "{v}");

    // Once its SLA has passed it counts: not within the SLA and not a success.
    let later = ["--now", "2099-01-01T00:00:00Z"];
    let (code, v, shown) = stats(&runs, &later);
    assert_eq!(code, Some(1), "{shown}");
    let o = &v["overall"];
    assert_eq!(
        (o["runs"].as_u64(), o["failed"].as_u64(), o["left"].as_u64()),
        (Some(2), Some(1), Some(1)),
        "{v}"
    );
    assert_eq!(o["sla_met_pct"], 50.0, "{v}");
    assert!(shown.contains("left after a failure (1"), "{shown}");

    // Closed as aborted, with who and why on the record.
    let run = runs
        .run_dirs()
        .into_iter()
        .find(|d| d.to_string_lossy().ends_with("-flaky"))
        .unwrap();
    let out = runs.run(&[
        "resume",
        run.to_str().unwrap(),
        "--headless",
        "--operator",
        "dana",
        "--abort",
        "--reason",
        "fixed forward instead",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let aborted = timeline(&run)
        .lines()
        .find(|l| l.contains("\"type\":\"run_aborted\""))
        .map(String::from)
        .unwrap_or_default();
    assert!(aborted.contains("\"by\":\"dana\""), "{aborted}");
    assert!(aborted.contains("fixed forward instead"), "{aborted}");
    let (_, v, shown) = stats(&runs, &later);
    let o = &v["overall"];
    assert_eq!(
        (o["aborted"].as_u64(), o["left"].as_u64()),
        (Some(1), Some(0)),
        "{shown}"
    );
}

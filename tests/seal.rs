//! The end seal and what `verify` makes of a run: intact, truncated (last lines removed,
//! the seal cut off), unsealed (open or killed), plan changed; resume and a changed plan;
//! the lock of a finished run; the operator of a headless run. The real binary, real files.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Runs, event_types, finished_demo_drill, repo, text, timeline, wait_until};

fn plan(name: &str) -> String {
    repo().join("tests/plans").join(name).display().to_string()
}

fn kill9(child: &mut std::process::Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill -9");
    let _ = child.wait();
}

/// A live run of slow.yaml killed -9 while its long step runs.
fn killed_run(runs: &Runs) -> PathBuf {
    let mut child = runs.spawn(&["run", &plan("slow.yaml"), "--headless"]);
    let dir = wait_until("execute.long to start", Duration::from_secs(20), || {
        let dir = runs.run_dirs().into_iter().next()?;
        timeline(&dir)
            .contains(r#""type":"step_started","step":"execute.long""#)
            .then_some(dir)
    });
    kill9(&mut child);
    dir
}

fn verify(runs: &Runs, dir: &Path) -> (Option<i32>, String) {
    let out = runs.run(&["verify", dir.to_str().unwrap()]);
    (out.status.code(), text(&out))
}

fn keep_lines(dir: &Path, lines: &[&str], n: usize) {
    let kept: String = lines[..n].iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("timeline.jsonl"), kept).unwrap();
}

#[test]
fn a_finished_run_ends_in_its_seal_with_a_summary_and_verifies_intact() {
    let runs = Runs::new();
    let dir = finished_demo_drill(&runs);
    let types = event_types(&dir);
    assert_eq!(
        types.last().map(String::as_str),
        Some("run_sealed"),
        "{types:?}"
    );
    let all = timeline(&dir);
    let seal: serde_json::Value = serde_json::from_str(all.lines().last().unwrap()).unwrap();
    let before: serde_json::Value =
        serde_json::from_str(all.lines().rev().nth(1).unwrap()).unwrap();
    assert_eq!(seal["records"], types.len() as u64 - 1);
    assert_eq!(seal["chain_head"], before["hash"]);
    let summary = &seal["summary"];
    assert_eq!(summary["metrics"]["execution"]["outcome"], "completed");
    assert_eq!(summary["mode"], "drill");
    assert_eq!(summary["automation"], "semi");
    assert_eq!(summary["phases"][0]["id"], "assess");
    assert!(summary["phases"][0]["duration_ms"].is_u64(), "{summary}");

    let mark = std::fs::read_to_string(dir.join("timeline.seal")).unwrap();
    assert!(
        mark.contains(&format!("\"records\":{}", types.len())),
        "{mark}"
    );
    assert!(!dir.join("lock").exists(), "a finished run keeps no lock");

    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("verified INTACT: sealed"), "{out}");
}

#[test]
fn removing_the_last_lines_of_a_finished_run_is_truncation_naming_how_many() {
    let runs = Runs::new();
    let dir = finished_demo_drill(&runs);
    let original = timeline(&dir);
    let lines: Vec<&str> = original.lines().collect();
    let n = lines.len();
    for removed in [1, 2, n - 1] {
        keep_lines(&dir, &lines, n - removed);
        let (code, out) = verify(&runs, &dir);
        assert_eq!(code, Some(6), "{removed} removed: {out}");
        let noun = if removed == 1 { "record" } else { "records" };
        let want = format!("lost {removed} {noun} after seq {}", n - removed - 1);
        assert!(
            out.contains(&want),
            "{removed} removed, want {want:?}: {out}"
        );
        assert!(out.contains("TRUNCATED"), "{out}");
    }
    // Without the side file, a finished run (no lock) that lost its seal is still caught.
    std::fs::remove_file(dir.join("timeline.seal")).unwrap();
    keep_lines(&dir, &lines, n - 2);
    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(6), "{out}");
    assert!(
        out.contains(&format!("lost at least 1 record after seq {}", n - 3)),
        "{out}"
    );
}

#[test]
fn lines_removed_before_the_seal_are_truncation_too() {
    let runs = Runs::new();
    let dir = finished_demo_drill(&runs);
    let original = timeline(&dir);
    let mut lines: Vec<&str> = original.lines().collect();
    lines.drain(3..5);
    keep_lines(&dir, &lines, lines.len());
    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(6), "{out}");
    assert!(out.contains("lost 2 records after seq 2"), "{out}");
}

#[test]
fn a_seal_cut_off_mid_line_is_truncation() {
    let runs = Runs::new();
    let dir = finished_demo_drill(&runs);
    let path = dir.join("timeline.jsonl");
    let bytes = std::fs::read(&path).unwrap();
    let n = bytes.iter().filter(|b| **b == b'\n').count();
    std::fs::write(&path, &bytes[..bytes.len() - 40]).unwrap();
    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(6), "{out}");
    assert!(
        out.contains(&format!("lost 1 record after seq {}", n - 2)),
        "{out}"
    );
    assert!(out.contains("a partial line remains"), "{out}");
}

#[test]
fn an_open_run_and_a_killed_one_are_unsealed_and_keep_their_lock() {
    let runs = Runs::new();
    let mut child = runs.spawn(&["run", &plan("slow.yaml"), "--headless"]);
    let dir = wait_until("execute.long to start", Duration::from_secs(20), || {
        let dir = runs.run_dirs().into_iter().next()?;
        timeline(&dir)
            .contains(r#""step":"execute.long""#)
            .then_some(dir)
    });
    let (code, out) = verify(&runs, &dir);
    kill9(&mut child);
    assert_eq!(code, Some(5), "{out}");
    assert!(
        out.contains(&format!(
            "not sealed: the run is open (pid {} on ",
            child.id()
        )),
        "{out}"
    );

    assert!(dir.join("lock").exists(), "a killed run keeps its lock");
    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(5), "{out}");
    assert!(
        out.contains("not sealed: the run was left or killed before it ended"),
        "{out}"
    );
    assert!(!out.contains("TRUNCATED"), "{out}");
}

#[test]
fn a_run_left_at_an_unanswered_gate_keeps_its_lock() {
    let runs = Runs::new();
    let out = runs.run(&["run", &plan("base.yaml"), "--headless"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let dir = runs.only_run();
    assert!(dir.join("lock").exists(), "a resumable run keeps its lock");
    assert!(!dir.join("timeline.seal").exists());
    assert_eq!(verify(&runs, &dir).0, Some(5));

    let out = runs.run(&[
        "resume",
        dir.to_str().unwrap(),
        "--headless",
        "--approve-as",
        "ci",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !dir.join("lock").exists(),
        "gone once the resumed run ended"
    );
    assert_eq!(verify(&runs, &dir).0, Some(0));
}

#[test]
fn an_edited_plan_is_reported_and_resume_needs_plan_changed_ok_and_records_it() {
    let runs = Runs::new();
    let dir = killed_run(&runs);
    let copy = dir.join("plan.yaml");
    let original = std::fs::read(&copy).unwrap();
    let old = common_sha(&original);
    let edited = String::from_utf8(original)
        .unwrap()
        .replace("echo captured", "echo changed");
    std::fs::write(&copy, &edited).unwrap();
    let new = common_sha(edited.as_bytes());

    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(7), "{out}");
    assert!(
        out.contains(&format!(
            "PLAN CHANGED: sha256 {new} now, {old} on the record"
        )),
        "{out}"
    );

    let before = timeline(&dir);
    let args = [
        "resume",
        dir.to_str().unwrap(),
        "--headless",
        "--rerun-interrupted",
    ];
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("pass --plan-changed-ok"),
        "{}",
        text(&out)
    );
    assert_eq!(timeline(&dir), before, "a refused resume records nothing");

    let out = runs.run(&[&args[..], &["--plan-changed-ok", "--operator", "carol"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let changed = timeline(&dir)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "plan_changed")
        .expect("the change is on the record");
    assert_eq!(changed["recorded_sha256"], old.as_str());
    assert_eq!(changed["plan_sha256"], new.as_str());
    assert_eq!(changed["by"], "carol");
    assert_eq!(changed["operator"], "carol");

    let (code, out) = verify(&runs, &dir);
    assert_eq!(
        code,
        Some(0),
        "the accepted plan is the recorded one: {out}"
    );
    assert!(out.contains("accepted by carol"), "{out}");
}

#[test]
fn a_finished_run_whose_plan_copy_was_edited_fails_verify() {
    let runs = Runs::new();
    let dir = finished_demo_drill(&runs);
    let copy = dir.join("plan.yaml");
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes.extend_from_slice(b"# edited afterwards\n");
    std::fs::write(&copy, bytes).unwrap();
    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(7), "{out}");
    assert!(out.contains("PLAN CHANGED"), "{out}");
}

#[test]
fn resume_seals_a_run_that_ended_without_its_seal() {
    let runs = Runs::new();
    let dir = finished_demo_drill(&runs);
    // As if killed between recording the end and sealing: no seal, no mark, lock left.
    let original = timeline(&dir);
    let lines: Vec<&str> = original.lines().collect();
    keep_lines(&dir, &lines, lines.len() - 1);
    std::fs::remove_file(dir.join("timeline.seal")).unwrap();
    std::fs::write(dir.join("lock"), "").unwrap();
    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(5), "{out}");
    assert!(out.contains("killed before its seal"), "{out}");

    let out = runs.run(&["resume", dir.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("sealed now"), "{}", text(&out));
    assert!(!dir.join("lock").exists());
    let (code, out) = verify(&runs, &dir);
    assert_eq!(code, Some(0), "{out}");

    // A sealed run is refused without being touched, not even by a lock.
    let sealed = timeline(&dir);
    let out = runs.run(&["resume", dir.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("the run has already completed"),
        "{}",
        text(&out)
    );
    assert_eq!(timeline(&dir), sealed);
    assert!(!dir.join("lock").exists());
}

#[test]
fn approve_as_is_the_operator_of_a_headless_run_unless_one_is_named() {
    let work = tempfile::tempdir().unwrap();
    let plan = work.path().join("who.yaml");
    std::fs::write(
        &plan,
        r#"plan: who
title: Who runs it
level: 2
operation: application
automation: semi
phases:
  - id: capture
    steps:
      - id: whoami
        run: echo "op=$ROLLBACK_OPERATOR"
  - id: decide
    kind: prepare
    steps:
      - id: go
        approve: Go?
  - id: verify
    steps:
      - id: ok
        check: "true"
"#,
    )
    .unwrap();
    let p = plan.display().to_string();

    let runs = Runs::new();
    let out = runs.run(&["run", &p, "--headless", "--approve-as", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = runs.only_run();
    let operators: Vec<String> = timeline(&dir)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["operator"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!operators.is_empty());
    assert!(operators.iter().all(|o| o == "alice"), "{operators:?}");
    let log = std::fs::read_to_string(dir.join("output/capture.whoami.1.log")).unwrap();
    assert_eq!(log, "op=alice\n");

    let runs = Runs::new();
    let out = runs.run(&[
        "run",
        &p,
        "--headless",
        "--approve-as",
        "alice",
        "--operator",
        "bob",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = runs.only_run();
    let all = timeline(&dir);
    assert!(
        all.contains(r#""operator":"bob","type":"approved","step":"decide.go","by":"alice""#),
        "{all}"
    );
    assert!(!all.contains(r#""operator":"tester""#), "{all}");
}

fn common_sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

//! `run|drill|rehearse --headless`: the engine driven by flags, end to end through the
//! real binary.

mod common;

use std::time::Duration;

use common::{Runs, event_types, repo, text, timeline, wait_until};

fn shipped(name: &str) -> String {
    repo().join("plans").join(name).display().to_string()
}

fn test_plan(name: &str) -> String {
    repo().join("tests/plans").join(name).display().to_string()
}

const ANSWERS: [&str; 3] = ["--approve-as", "ci", "--confirm-manual"];

#[test]
fn every_shipped_plan_drills_to_completion_and_reports() {
    let cases: [(&str, &[&str]); 5] = [
        ("kubernetes-deployment.yaml", &["--var", "revision=41"]),
        (
            "terraform-infrastructure.yaml",
            &["--var", "infra_dir=/srv/infra", "--var", "good_ref=v1.2.3"],
        ),
        (
            "database-migration.yaml",
            &[
                "--var",
                "PGPASSWORD=s3cret",
                "--var",
                "target_version=20261101",
                "--var",
                "down_sql=down.sql",
            ],
        ),
        (
            "n8n-workflow.yaml",
            &[
                "--var",
                "N8N_URL=https://n8n.example",
                "--var",
                "N8N_API_KEY=k",
                "--var",
                "workflow_id=42",
                "--var",
                "previous_json=w.json",
            ],
        ),
        ("demo.yaml", &["--var", "version=41"]),
    ];
    for (plan, vars) in cases {
        let runs = Runs::new();
        let p = shipped(plan);
        // Their validation windows (a day long) are drilled in tests/validation_windows.rs.
        let mut args = vec![
            "drill",
            p.as_str(),
            "--headless",
            "--speed",
            "1000",
            "--no-validate",
        ];
        args.extend(ANSWERS);
        args.extend(vars.iter().copied());
        let out = runs.run(&args);
        assert_eq!(out.status.code(), Some(0), "{plan}: {}", text(&out));
        let dir = runs.only_run();
        let types = event_types(&dir);
        assert_eq!(
            types
                .iter()
                .rev()
                .take(2)
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["run_sealed", "run_completed"],
            "{plan}"
        );
        let report = runs.run(&["report", dir.to_str().unwrap()]);
        assert_eq!(report.status.code(), Some(0), "{plan}: {}", text(&report));
        let md = String::from_utf8_lossy(&report.stdout);
        assert!(md.contains("DRILL"), "{plan}: {md}");
        assert!(dir.join("report.md").exists());
        let json = runs.run(&["report", dir.to_str().unwrap(), "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("report JSON");
        assert!(v.is_object(), "{plan}");
    }
}

#[test]
fn missing_required_variables_are_listed_before_anything_starts() {
    let runs = Runs::new();
    let p = shipped("demo.yaml");
    let out = runs.run(&["run", &p, "--headless", "--var", "servce=x"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("the plan has no variable `servce`, did you mean `service`?"),
        "{all}"
    );
    assert!(all.contains("missing required variable: version"), "{all}");
    assert!(runs.run_dirs().is_empty(), "no run was started");

    let out = runs.run(&["run", &p, "--headless", "--var", "version=4x1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("`version` must match [0-9]+"),
        "{}",
        text(&out)
    );

    let vars = runs.path().join("vars.yaml");
    std::fs::write(&vars, "version: 41\n").unwrap();
    let out = runs.run(&[
        "drill",
        &p,
        "--headless",
        "--speed",
        "1000",
        "--var-file",
        vars.to_str().unwrap(),
        "--approve-as",
        "ci",
        "--confirm-manual",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(timeline(&runs.only_run()).contains(r#"["version","41"]"#));
}

#[test]
fn gates_and_manual_checks_need_their_flags_and_leave_the_run_resumable() {
    // A rehearsal: a headless drill answers its gates as the trainee (see tests/drill.rs).
    let runs = Runs::new();
    let p = shipped("demo.yaml");
    let out = runs.run(&["rehearse", &p, "--headless", "--var", "version=1"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("prepare.go waits for approval: pass --approve-as NAME"),
        "{all}"
    );
    assert!(
        all.contains("the run can be resumed: rollback resume "),
        "{all}"
    );
    let dir = runs.only_run();
    assert!(
        event_types(&dir)
            .last()
            .is_some_and(|t| t == "operator_left")
    );

    let out = runs.run(&[
        "resume",
        dir.to_str().unwrap(),
        "--headless",
        "--approve-as",
        "dana",
        "--speed",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("verify.eyeball is a manual check: pass --confirm-manual"),
        "{}",
        text(&out)
    );
    assert!(timeline(&dir).contains(r#""type":"approved","step":"prepare.go","by":"dana""#));

    let out = runs.run(&[
        "resume",
        &dir.file_name().unwrap().to_string_lossy()[..20],
        "--headless",
        "--confirm-manual",
        "--speed",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listing = String::from_utf8_lossy(&runs.run(&["runs"]).stdout).to_string();
    assert!(
        listing.contains("demo") && listing.contains("completed"),
        "{listing}"
    );
    // In an 80-column terminal every line fits, cut with "…" where it must.
    let out = runs.cmd(&["runs"]).env("COLUMNS", "80").output().unwrap();
    let fitted = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(fitted.lines().count() >= 2, "{fitted}");
    for line in fitted.lines() {
        assert!(line.chars().count() <= 80, "{fitted}");
    }
}

#[test]
fn a_step_that_keeps_failing_waits_resumable_and_a_scenario_runs_its_subset() {
    let runs = Runs::new();
    let p = shipped("demo.yaml");
    let mut args = vec![
        "drill",
        p.as_str(),
        "--headless",
        "--speed",
        "1000",
        "--var",
        "version=1",
        "--fail",
        "execute.swap:3",
    ];
    args.extend(ANSWERS);
    let out = runs.run(&args);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("execute.swap started (attempt 3)"), "{all}");
    assert!(
        all.contains(
            "execute.swap failed after 3 attempt(s): retry, skip or abort with `rollback resume"
        ),
        "{all}"
    );

    let runs = Runs::new();
    let mut args = vec![
        "drill",
        p.as_str(),
        "--headless",
        "--speed",
        "1000",
        "--var",
        "version=1",
        "--scenario",
        "config-only",
    ];
    args.extend(ANSWERS);
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = timeline(&runs.only_run());
    assert!(
        !t.contains("communicate.announce") && t.contains("execute.swap"),
        "scenario subset"
    );

    let out = runs.run(&["drill", &p, "--headless", "--scenario", "config-olny"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("Did you mean `config-only`?"),
        "{}",
        text(&out)
    );
}

#[test]
fn ctrl_c_aborts_cleanly_and_kills_the_step() {
    let runs = Runs::new();
    let p = test_plan("slow.yaml");
    let child = runs.spawn(&["run", &p, "--headless"]);
    let dir = wait_until("the long step", Duration::from_secs(20), || {
        let d = runs.run_dirs().into_iter().next()?;
        timeline(&d)
            .contains(r#""type":"step_started","step":"execute.long""#)
            .then_some(d)
    });
    let pgid: i32 = timeline(&dir)
        .lines()
        .find(|l| l.contains(r#""step":"execute.long""#) && l.contains("step_started"))
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v["pgid"].as_i64())
        .expect("pgid recorded") as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let types = event_types(&dir);
    assert!(types.contains(&"run_aborted".to_string()), "{types:?}");
    assert_eq!(
        types.iter().rev().nth(1).map(String::as_str),
        Some("step_finished"),
        "the kill is recorded, before the seal"
    );
    assert!(timeline(&dir).contains(r#""outcome":"killed""#));
    assert!(
        !rollback::runner::orphan::group_alive(pgid),
        "no process of the step survives"
    );
}

#[test]
fn commands_see_variables_only_as_environment() {
    let runs = Runs::new();
    let plan = runs.path().join("env.yaml");
    std::fs::write(
        &plan,
        r#"plan: env
title: Env
level: 2
operation: configuration
automation: manual
vars:
  v: {}
phases:
  - id: capture
    steps:
      - id: show
        run: printf '%s|%s|%s\n' "$v" "$ROLLBACK_STEP" "$ROLLBACK_MODE"
  - id: verify
    steps:
      - id: ok
        check: "true"
"#,
    )
    .unwrap();
    let evil = "$(touch pwned); `touch pwned2`";
    let out = runs.run(&[
        "rehearse",
        plan.to_str().unwrap(),
        "--headless",
        "-v",
        "--var",
        &format!("v={evil}"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("    | {evil}|capture.show|rehearsal")),
        "{}",
        text(&out)
    );
    assert!(!runs.path().join("pwned").exists() && !runs.path().join("pwned2").exists());
}

//! `rollback rehearse`: the environment and participants it records, the report that shows
//! them, and `ready` proving levels 3 and 4 from them.

mod common;

use std::path::Path;

use common::{Runs, repo, text, timeline};

const ANSWERS: [&str; 4] = ["--headless", "--approve-as", "ci", "--confirm-manual"];

fn base() -> String {
    repo().join("tests/plans/base.yaml").display().to_string()
}

/// base.yaml at level 4, with what level 4 asks of a plan (a role on the gate, regions).
fn level_4(dir: &Path) -> String {
    let text = std::fs::read_to_string(base())
        .unwrap()
        .replace("level: 3", "level: 4")
        .replace(
            "approve: Go ahead?",
            "approve: Go ahead?\n        role: incident commander",
        )
        .replace("automation: semi", "automation: semi\nregions: [eu, us]");
    let path = dir.join("l4.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn rehearse(runs: &Runs, plan: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["rehearse", plan];
    args.extend(ANSWERS);
    args.extend(extra);
    runs.run(&args)
}

fn started(run: &Path) -> serde_json::Value {
    let line = timeline(run).lines().next().unwrap().to_string();
    serde_json::from_str(&line).unwrap()
}

/// Ids of `ready`'s unmet requirements, and its text.
fn missing(runs: &Runs, plan: &str) -> (Vec<String>, String) {
    let dir = runs.path().to_str().unwrap();
    let out = runs.run(&["ready", plan, "--runs", dir, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ready JSON");
    let ids = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["met"] == false)
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    (ids, text(&runs.run(&["ready", plan, "--runs", dir])))
}

#[test]
fn environment_and_participants_are_recorded_and_reported() {
    let runs = Runs::new();
    let plan = base();
    let out = rehearse(
        &runs,
        &plan,
        &[
            "--env",
            "prod-like",
            "--participant",
            "Bo",
            "--stakeholder",
            "Ana",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = runs.only_run();
    let r = &started(&run)["rehearsal"];
    assert_eq!(r["environment"], "prod-like");
    assert_eq!(
        r["participants"],
        serde_json::json!([{"name": "Bo"}, {"name": "Ana", "stakeholder": true}])
    );
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        md.contains("| Rehearsal | prod-like; Bo, Ana (stakeholder) |"),
        "{md}"
    );
}

#[test]
fn staging_is_the_default_and_other_runs_record_no_rehearsal() {
    let runs = Runs::new();
    let plan = base();
    assert_eq!(rehearse(&runs, &plan, &[]).status.code(), Some(0));
    let run = runs.only_run();
    assert_eq!(started(&run)["rehearsal"]["environment"], "staging");
    assert!(started(&run)["rehearsal"].get("participants").is_none());

    let live = Runs::new();
    let mut args = vec!["run", plan.as_str()];
    args.extend(ANSWERS);
    assert_eq!(live.run(&args).status.code(), Some(0));
    assert!(started(&live.only_run()).get("rehearsal").is_none());

    let help = text(&runs.run(&["rehearse", "--help"]));
    assert!(help.contains("staging unless given"), "{help}");
}

#[test]
fn a_bad_environment_or_a_blank_name_is_bad_input() {
    let runs = Runs::new();
    let plan = base();
    let out = rehearse(&runs, &plan, &["--env", "production"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("prod-like"), "{}", text(&out));
    let out = rehearse(&runs, &plan, &["--stakeholder", " "]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--stakeholder needs a name"),
        "{}",
        text(&out)
    );
    assert!(runs.run_dirs().is_empty(), "nothing was started");
}

#[test]
fn level_3_is_proved_by_a_prod_like_rehearsal() {
    let runs = Runs::new();
    let plan = base();
    assert_eq!(rehearse(&runs, &plan, &[]).status.code(), Some(0));
    let (ids, shown) = missing(&runs, &plan);
    assert_eq!(ids, ["prod_like"], "{shown}");
    assert!(shown.contains("1 in staging"), "{shown}");

    assert_eq!(
        rehearse(&runs, &plan, &["--env", "prod-like"])
            .status
            .code(),
        Some(0)
    );
    let (ids, shown) = missing(&runs, &plan);
    assert!(ids.is_empty(), "{shown}");
    assert!(shown.starts_with("ready: `base` (level 3)"), "{shown}");
}

#[test]
fn level_4_is_proved_by_multi_region_and_stakeholder_rehearsals() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let plan = level_4(plans.path());
    let solo = ["--env", "prod-like", "--participant", "Bo"];
    assert_eq!(rehearse(&runs, &plan, &solo).status.code(), Some(0));
    let (ids, shown) = missing(&runs, &plan);
    assert_eq!(ids, ["stakeholders"], "{shown}");
    assert!(shown.contains("--stakeholder NAME"), "{shown}");

    let with_owner = ["--env", "staging", "--stakeholder", "Ana"];
    assert_eq!(rehearse(&runs, &plan, &with_owner).status.code(), Some(0));
    let (ids, shown) = missing(&runs, &plan);
    assert!(ids.is_empty(), "{shown}");
    assert!(shown.contains("2 regions"), "{shown}");
}

/// A plan whose one real step lasts `$pause` seconds.
fn pausing(dir: &Path) -> String {
    let path = dir.join("pausing.yaml");
    std::fs::write(
        &path,
        r#"plan: pausing
title: A step that takes as long as it is told
level: 2
operation: application
automation: full
vars:
  pause: { default: "0" }
phases:
  - id: capture
    steps:
      - id: note
        run: echo before
  - id: execute
    steps:
      - id: wait
        run: sleep "$pause"
  - id: verify
    steps:
      - id: ok
        check: "true"
"#,
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_rehearsal_report_compares_with_the_earlier_rehearsals_of_its_plan() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let plan = pausing(plans.path());
    assert_eq!(rehearse(&runs, &plan, &[]).status.code(), Some(0));
    let first = runs.only_run();
    let md = std::fs::read_to_string(first.join("report.md")).unwrap();
    assert!(
        md.contains("The first completed rehearsal of `pausing`"),
        "{md}"
    );

    // A live run of the plan is not a rehearsal: neither compared nor compared with.
    let mut live = vec!["run", plan.as_str()];
    live.extend(ANSWERS);
    assert_eq!(runs.run(&live).status.code(), Some(0));

    let out = rehearse(&runs, &plan, &["--var", "pause=0.8"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let second = runs
        .run_dirs()
        .into_iter()
        .filter(|d| started(d)["rehearsal"].is_object())
        .find(|d| *d != first)
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(second.join("report.json")).unwrap()).unwrap();
    let c = &v["comparison"];
    assert_eq!(c["earlier_count"], 1, "{c}");
    assert_eq!(c["trend"], "slower", "{c}");
    assert_eq!(c["slower_steps"][0]["key"], "execute.wait", "{c}");
    assert!(c["slower_steps"][0]["this_ms"].as_u64().unwrap() >= 800);
    assert_eq!(c["phases"][1]["id"], "execute");
    assert!(c["sla_headroom_ms"].as_i64().unwrap() > 0);

    let md = std::fs::read_to_string(second.join("report.md")).unwrap();
    for want in [
        "## Compared with earlier rehearsals",
        "Against 1 earlier completed rehearsal(s) of `pausing`",
        "**slower**",
        "### Steps that got slower",
        "- `execute.wait`: ",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    // `rollback report` says the same.
    let id = second.file_name().unwrap().to_str().unwrap();
    let printed = text(&runs.run(&["report", id]));
    assert!(printed.contains("- `execute.wait`: "), "{printed}");

    let live_dir = runs
        .run_dirs()
        .into_iter()
        .find(|d| started(d).get("rehearsal").is_none())
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(live_dir.join("report.json")).unwrap()).unwrap();
    assert!(v["comparison"].is_null());
}

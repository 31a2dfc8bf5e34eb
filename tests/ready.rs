//! `rollback ready PLAN`: each level's verdict and its missing list, from real rehearsals
//! made by the binary.

mod common;

use rollback::report::summary::Summary;
use std::path::Path;

use common::{Runs, repo, text};

const ANSWERS: [&str; 4] = ["--headless", "--approve-as", "ci", "--confirm-manual"];

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// base.yaml (level 3) at another level, with what level 4 asks of a plan.
fn at_level(dir: &Path, level: u8) -> String {
    let base = std::fs::read_to_string(repo().join("tests/plans/base.yaml")).unwrap();
    let text = base
        .replace("level: 3", &format!("level: {level}"))
        .replace(
            "approve: Go ahead?",
            "approve: Go ahead?\n        role: incident commander",
        )
        .replace("automation: semi", "automation: semi\nregions: [eu, us]");
    write(dir, &format!("l{level}.yaml"), &text)
}

/// A run of `plan` in `mode`: `rehearse`, `run` or `drill`.
fn rehearse(runs: &Runs, plan: &str, mode: &str) {
    let mut args = vec![mode, plan];
    if mode == "drill" {
        args.extend(["--speed", "1000"]);
    }
    args.extend(ANSWERS);
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Exit code, text, and the ids of the missing requirements.
fn ready(runs: &Runs, plan: &str, extra: &[&str]) -> (Option<i32>, String, Vec<String>) {
    let dir = runs.path().to_str().unwrap();
    let mut args = vec!["ready", plan, "--runs", dir];
    args.extend(extra);
    let out = runs.run(&args);
    args.push("--json");
    let json = runs.run(&args);
    assert_eq!(json.status.code(), out.status.code());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("ready JSON");
    assert_eq!(v["ready"].as_bool(), Some(out.status.code() == Some(0)));
    let missing = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["met"] == false)
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    (out.status.code(), text(&out), missing)
}

#[test]
fn level_2_is_ready_once_a_rehearsal_of_the_plan_completed() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let plan = at_level(plans.path(), 2);
    let (code, shown, missing) = ready(&runs, &plan, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(missing, ["staging"]);
    assert!(
        shown.contains("no rehearsal of `base` is recorded"),
        "{shown}"
    );

    // Drills and live runs are not rehearsals.
    rehearse(&runs, &plan, "drill");
    rehearse(&runs, &plan, "run");
    assert_eq!(ready(&runs, &plan, &[]).2, ["staging"]);

    rehearse(&runs, &plan, "rehearse");
    let (code, shown, missing) = ready(&runs, &plan, &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(missing.is_empty());
    assert!(shown.starts_with("ready: `base` (level 2)"), "{shown}");
}

#[test]
fn level_3_needs_a_recent_rehearsal_and_one_in_a_prod_like_environment() {
    let runs = Runs::new();
    let plan = repo().join("tests/plans/base.yaml").display().to_string();
    rehearse(&runs, &plan, "rehearse");
    let (code, shown, missing) = ready(&runs, &plan, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(missing, ["prod_like"]);
    assert!(shown.contains("1 in staging"), "{shown}");

    let later = ["--now", "2099-01-01T00:00:00Z", "--max-age", "30d"];
    let (_, shown, missing) = ready(&runs, &plan, &later);
    assert_eq!(missing, ["recent_within_sla", "prod_like"]);
    assert!(
        shown.contains("no completed rehearsal in the last 30 days (the latest started"),
        "{shown}"
    );
}

#[test]
fn level_4_also_misses_a_stakeholder_rehearsal() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let plan = at_level(plans.path(), 4);
    rehearse(&runs, &plan, "rehearse");
    let (code, shown, missing) = ready(&runs, &plan, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(missing, ["prod_like", "stakeholders"]);
    assert!(shown.contains("recorded a stakeholder"), "{shown}");
}

#[test]
fn an_invalid_plan_is_not_ready_and_an_unreadable_one_is_bad_input() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(repo().join("tests/plans/base.yaml")).unwrap();
    // Level 3 wants a point of no return.
    let invalid = write(
        plans.path(),
        "invalid.yaml",
        &base.replace("    point_of_no_return: true\n", ""),
    );
    let (code, shown, missing) = ready(&runs, &invalid, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(
        missing,
        ["validates", "staging", "recent_within_sla", "prod_like"]
    );
    assert!(shown.contains("invalid.yaml:"), "{shown}");

    let broken = write(plans.path(), "broken.yaml", "plan: x\nlevle: 3\n");
    let out = runs.run(&["ready", &broken, "--runs", runs.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("broken.yaml:2:1:"), "{}", text(&out));
}

/// The seal record of the only run under `runs`.
fn seal_of(runs: &Runs) -> rollback::engine::Record {
    let text = common::timeline(&runs.only_run());
    let last = text.trim_end().rsplit_once('\n').unwrap().1;
    rollback::engine::record::parse_line(last).unwrap()
}

#[test]
fn a_seal_with_no_run_behind_it_or_one_rewritten_never_counts() {
    let plans = tempfile::tempdir().unwrap();
    let plan = at_level(plans.path(), 2);
    let real = Runs::new();
    rehearse(&real, &plan, "rehearse");
    let seal = seal_of(&real);
    let rollback::engine::Event::RunSealed(mut s) = seal.event.clone() else {
        panic!("not a seal")
    };

    // One re-hashed seal line, alone, claiming a completed rehearsal.
    let forged = Runs::new();
    let dir = forged.path().join("2026-01-01T00-00-00Z-base");
    std::fs::create_dir(&dir).unwrap();
    s.records = 0;
    s.chain_head = rollback::engine::record::GENESIS.into();
    let (line, hash) = rollback::engine::record::encode(
        0,
        seal.ts_ms,
        seal.elapsed_ms,
        seal.mode,
        &seal.operator,
        &rollback::engine::Event::RunSealed(s),
        rollback::engine::record::GENESIS,
    );
    std::fs::write(dir.join("timeline.jsonl"), line).unwrap();
    std::fs::write(
        dir.join("timeline.seal"),
        format!("{{\"records\":1,\"hash\":\"{hash}\"}}\n"),
    )
    .unwrap();
    let (code, shown, missing) = ready(&forged, &plan, &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert_eq!(missing, ["staging"], "{shown}");
    let stats = forged.run(&["stats", forged.path().to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(v["overall"]["runs"], 0, "{v}");
    assert_eq!(v["not_counted"][0]["state"], "corrupt", "{v}");

    let run = real.only_run();
    let original = std::fs::read_to_string(run.join("timeline.jsonl")).unwrap();
    let reseal = |change: &dyn Fn(&mut Summary)| {
        let rollback::engine::Event::RunSealed(mut s) = seal.event.clone() else {
            unreachable!()
        };
        let mut summary = Summary::of_seal(&s).unwrap();
        change(&mut summary);
        s.summary = summary.to_value();
        let (line, _) = rollback::engine::record::encode(
            seal.seq,
            seal.ts_ms,
            seal.elapsed_ms,
            seal.mode,
            &seal.operator,
            &rollback::engine::Event::RunSealed(s),
            &seal.prev,
        );
        let mut lines: Vec<&str> = original.lines().collect();
        *lines.last_mut().unwrap() = line.trim_end();
        std::fs::write(run.join("timeline.jsonl"), lines.join("\n") + "\n").unwrap();
        let _ = std::fs::remove_file(run.join("timeline.seal"));
    };
    // Another start, or a figure that is not what the records say (an SLA met, fewer
    // retries): each seal line re-hashed alone, never counted, and `verify` says so.
    let changes: [&dyn Fn(&mut Summary); 3] = [
        &|s| s.started_at = rollback::report::Timestamp(seal.ts_ms - 86_400_000),
        &|s| s.metrics.execution.duration_ms += 60_000,
        &|s| s.regions = vec!["eu".into(), "us".into(), "ap".into()],
    ];
    for change in changes {
        reseal(change);
        let (code, shown, _) = ready(&real, &plan, &[]);
        assert_eq!(code, Some(1), "{shown}");
        let out = real.run(&["verify", run.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    }
}

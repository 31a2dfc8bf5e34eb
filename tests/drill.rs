//! Drills end to end through the real binary: no invented values, the drill clock, explain
//! text, exercises and the score card.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Runs, event_types, repo, text, timeline, wait_until};
use serde_json::Value;

fn records(run: &Path) -> Vec<Value> {
    timeline(run)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn of_type<'a>(rs: &'a [Value], t: &str) -> Vec<&'a Value> {
    rs.iter().filter(|r| r["type"] == t).collect()
}

/// Real milliseconds between two records.
fn real_ms(a: &Value, b: &Value) -> i64 {
    let t = |r: &Value| {
        chrono::DateTime::parse_from_rfc3339(r["ts"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    t(b) - t(a)
}

fn write_plan(runs: &Runs, name: &str, text: &str) -> String {
    let p = runs.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Every file under `dir`, read as text.
fn everything_in(dir: &Path) -> String {
    let mut all = String::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                all.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
            }
        }
    }
    all
}

fn shipped_plans() -> Vec<PathBuf> {
    let mut plans: Vec<PathBuf> = std::fs::read_dir(repo().join("plans"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    plans.sort();
    plans
}

#[test]
fn every_shipped_plan_drills_headless_with_no_values_given() {
    const REAL: &str = "real-secret-from-the-shell";
    let plans = shipped_plans();
    assert!(plans.len() >= 5, "{plans:?}");
    for plan in plans {
        let runs = Runs::new();
        let p = plan.display().to_string();
        let out = runs
            .cmd(&["drill", &p, "--headless", "--speed", "100"])
            // `env: true` secrets: a drill must not pick a real one up from the shell.
            .env("PGPASSWORD", REAL)
            .env("N8N_API_KEY", REAL)
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{p}:\n{all}");
        let dir = runs.only_run();
        let types = event_types(&dir);
        assert!(
            types.contains(&"run_completed".to_string()),
            "{p}: {types:?}"
        );
        let stored = everything_in(&dir);
        assert!(!stored.contains(REAL), "{p}: a real secret was stored");
        assert!(!all.contains(REAL), "{p}: a real secret was shown");
        let rs = records(&dir);
        let started = &rs[0];
        assert_eq!(started["drill"]["speed"], 100.0, "{p}");
        let sources = started["var_sources"].as_array().unwrap();
        let drilled: Vec<&Value> = sources
            .iter()
            .filter(|s| s[1].as_str().unwrap().starts_with("drill "))
            .collect();
        if drilled.is_empty() {
            // Every variable of this plan has a default: nothing was needed.
            assert!(!all.contains("drill values:"), "{p}:\n{all}");
            continue;
        }
        for s in &drilled {
            let name = s[0].as_str().unwrap();
            let shown = format!("{name} = ");
            assert!(all.contains(&shown), "{p}: {name} not shown\n{all}");
        }
        assert!(all.contains("(drill example)"), "{p}:\n{all}");
    }
}

#[test]
fn explain_text_comes_before_its_step_and_gates_pass_as_the_trainee() {
    let runs = Runs::new();
    let p = repo().join("plans/demo.yaml").display().to_string();
    let out = runs.run(&["drill", &p, "--headless", "--speed", "1000"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let at = |needle: &str| {
        all.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing:\n{all}"))
    };
    assert!(at("explain assess.setup: Only the demo has this step") < at("assess.setup started"));
    assert!(at("explain prepare.go:") < at("prepare.go approved by tester"));
    let t = timeline(&runs.only_run());
    assert!(
        t.contains(r#""type":"approved","step":"prepare.go","by":"tester""#),
        "{t}"
    );
}

const PLAN: &str = "plan: drill-clock
title: A plan whose one step outlasts every escalation
level: 2
operation: application
automation: semi
sla: 20m
vars:
  release: {required: true}
  revision: {required: true, pattern: '[0-9]+', example: '7'}
  token: {required: true, secret: true}
phases:
  - id: capture
    steps:
      - id: save
        run: echo saved
        retry: {attempts: 2, delay: 1m}
        simulate: {duration: 1m}
  - id: execute
    steps:
      - id: undo
        run: echo undo
        explain: Takes long on purpose.
        simulate: {duration: 31m}
  - id: verify
    steps:
      - id: ready
        check: 'true'
        simulate: {duration: 1s}
drills:
  slow-save:
    title: The save fails once and is slow
    fail: {save: 1}
    slow: {capture.save: 2x}
    speed: 1200
";

#[test]
fn the_drill_clock_reaches_every_escalation_and_the_sla_in_seconds() {
    let runs = Runs::new();
    let p = write_plan(&runs, "clock.yaml", PLAN);
    let out = runs.run(&["drill", &p, "--headless", "--speed", "1200"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("release = DRILL-release (drill placeholder)"),
        "{all}"
    );
    assert!(all.contains("revision = 7 (drill example)"), "{all}");
    let rs = records(&runs.only_run());
    let start = &rs[0];
    let levels: Vec<u64> = of_type(&rs, "escalation_raised")
        .iter()
        .map(|r| r["level"].as_u64().unwrap())
        .collect();
    assert_eq!(levels, [2, 3, 4], "{all}");
    let breach = of_type(&rs, "sla_breached")[0];
    let drill = breach["elapsed_ms"].as_u64().unwrap();
    assert!(
        drill >= 20 * 60_000,
        "breached at {drill} ms on the drill clock"
    );
    // 20 drill minutes passed in less than 20 real ones: the SLA ran on the drill clock.
    assert!(real_ms(start, breach) < 20 * 60_000);
    let end = of_type(&rs, "run_completed")[0];
    let (drill, real) = (end["elapsed_ms"].as_u64().unwrap(), real_ms(start, end));
    assert!(drill >= 32 * 60_000, "{drill}");
    assert!(real < 60_000, "a 32-minute drill at x1200 took {real} ms");
    let seal = of_type(&rs, "run_sealed")[0];
    assert!(
        seal["elapsed_ms"].as_u64().unwrap() >= drill,
        "the seal is on the drill clock too"
    );
}

/// The resumed drill needs no secret given again: it had a drill value, made again.
#[test]
fn a_resumed_drill_keeps_its_clock_and_faults() {
    let runs = Runs::new();
    let p = write_plan(&runs, "clock.yaml", PLAN);
    let args = ["drill", &p, "--headless", "--speed", "1200"];
    let out = runs.run(&[&args[..], &["--fail", "undo"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let dir = runs.only_run();
    let d = dir.display().to_string();
    let mut child = runs.spawn(&["resume", &d, "--headless", "--retry-failed"]);
    // At x1 the 31-minute step would take 31 minutes; the drill clock makes it seconds.
    let status = wait_until("the resumed drill to end", Duration::from_secs(120), || {
        child.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(0));
    let rs = records(&dir);
    let undo: Vec<&Value> = of_type(&rs, "step_finished")
        .into_iter()
        .filter(|r| r["step"] == "execute.undo")
        .collect();
    assert_eq!(undo.len(), 2);
    assert_eq!(undo[0]["outcome"], "failed");
    assert_eq!(undo[1]["outcome"], "ok");
    let end = of_type(&rs, "run_completed")[0];
    assert!(end["elapsed_ms"].as_u64().unwrap() >= 32 * 60_000);
}

#[test]
fn an_exercise_injects_its_faults_and_is_recorded() {
    let runs = Runs::new();
    let p = write_plan(&runs, "clock.yaml", PLAN);
    let out = runs.run(&["drill", &p, "--headless", "--exercise", "slow-save"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let rs = records(&runs.only_run());
    assert_eq!(rs[0]["drill"]["exercise"], "slow-save");
    assert_eq!(rs[0]["drill"]["speed"], 1200.0, "the exercise's speed");
    let save: Vec<&str> = of_type(&rs, "step_finished")
        .iter()
        .filter(|r| r["step"] == "capture.save")
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(save, ["failed", "ok"]);

    let out = runs.run(&["drill", &p, "--headless", "--exercise", "slow-sav"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("the plan has no exercise `slow-sav`; it has: slow-save"),
        "{}",
        text(&out)
    );
    for (flag, want) in [
        ("--slow=undo", "write STEP:FACTOR"),
        ("--slow=undo:0.5x", "not a factor of 1 or more"),
        ("--fail=undoo", "the plan has no step `undoo`, did you mean"),
    ] {
        let out = runs.run(&["drill", &p, "--headless", flag]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(text(&out).contains(want), "{flag}: {}", text(&out));
    }
}

#[test]
fn validate_checks_what_a_drill_needs_at_its_position() {
    let runs = Runs::new();
    let bad = PLAN
        .replace("example: '7'", "example: seven")
        .replace("fail: {save: 1}", "fail: {execute.undoo: 1, save: 0}")
        .replace("slow: {capture.save: 2x}", "slow: {capture.save: fast}")
        .replace(
            "  release: {required: true}",
            "  release: {required: true, pattern: '[0-9]+'}",
        );
    let p = write_plan(&runs, "bad.yaml", &bad);
    let out = runs.run(&["validate", &p]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    for want in [
        ":8:3: warning: `release` has a pattern no DRILL placeholder matches and no `example:`: a drill cannot start without --var release=VALUE [drill]",
        ":9:58: error: example `seven` of `revision` does not match its own pattern `[0-9]+` [drill]",
        ":32:12: error: exercise `slow-save`: the plan has no step `execute.undoo`, did you mean `execute.undo`? [drill]",
        ":32:36: error: exercise `slow-save`: `save` fails for 0 attempts, which does nothing [drill]",
        ":33:26: error: exercise `slow-save`: `capture.save` slows by `fast`, not a factor of 1 or more such as 3x [drill]",
    ] {
        assert!(all.contains(want), "missing {want}\n{all}");
    }
    let out = runs.run(&["drill", &p, "--headless"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_drill_report_has_a_score_card_and_stats_list_the_trainees_drills() {
    let runs = Runs::new();
    let p = write_plan(&runs, "clock.yaml", PLAN);
    let drill = [
        "drill",
        &p,
        "--headless",
        "--speed",
        "1200",
        "--trainee",
        "dana",
    ];
    let out = runs.run(&[&drill[..], &["--fail", "undo"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let dir = runs.only_run();
    let d = dir.display().to_string();
    let out = runs.run(&["resume", &d, "--headless", "--retry-failed"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = runs.run(&[
        "drill",
        &p,
        "--headless",
        "--speed",
        "1200",
        "--trainee",
        "eve",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = runs.run(&["report", &d]);
    let md = String::from_utf8_lossy(&out.stdout).to_string();
    for want in [
        "## Drill score card",
        "| Trainee | dana |",
        "| Drill clock | x1200 (SLA, escalations and simulations) |",
        "on the drill clock, ",
        "| SLA (drill clock) | missed: ",
        "| retry | `execute.undo` | tester |",
        // Nobody is at a headless drill: it acknowledges each level as it is raised.
        "| ack | - | dana |",
        "| Escalations acknowledged in time | 3 of 3 |",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }

    let out = runs.run(&["stats", "--trainee", "dana", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let drills = v["drills"].as_array().unwrap();
    assert_eq!(drills.len(), 1, "{v}");
    assert_eq!(drills[0]["trainee"], "dana");
    assert_eq!(drills[0]["speed"], 1200.0);
    assert_eq!(drills[0]["sla_met"], false);
    assert_eq!(
        drills[0]["decisions"], 4,
        "a retry and three acknowledgements"
    );
    assert_eq!(drills[0]["escalations"], 3);
    let out = runs.run(&["stats", "--trainee", "dana"]);
    let listing = text(&out);
    assert!(listing.contains("drills by dana: 1"), "{listing}");
    assert!(
        listing.contains("SLA met (drill clock) in 0 of 1"),
        "{listing}"
    );
}

//! The standard's verification checklist through the real binary: positioned diagnostics,
//! the steps it adds running in a real run, a failed check escalating when the plan says so,
//! `rollback probe`, and the report's checklist.

mod common;

use common::{Runs, repo, text, timeline};

const BASE: &str = include_str!("plans/base.yaml");

/// The base plan with its checklist replaced by `list` (YAML under `verification:`).
fn plan_with(list: &str) -> String {
    let (head, rest) = BASE
        .split_once("verification:\n")
        .expect("base has a checklist");
    let triggers = &rest[rest.find("triggers:\n").expect("base has triggers")..];
    format!("{head}verification:\n{list}{triggers}")
}

const FULL: &str = "  service_health: {step: verify.ready}\n  version: {check: 'true'}\n  \
error_rate: {trigger: errors}\n  latency: {step: verify.ready}\n  \
data_integrity: {not_applicable: no data}\n  dependencies: {step: verify.ready}\n  \
smoke_test: {confirm: The home page loads}\n  logs_reviewed: {not_applicable: no logs}\n  \
stakeholders_informed: {not_applicable: none}\n  dashboards_normal: {not_applicable: none}\n";

fn validate(runs: &Runs, text_: &str) -> (Vec<String>, i32) {
    let path = runs.path().join("p.yaml");
    std::fs::write(&path, text_).unwrap();
    let out = runs.run(&["validate", "--quiet", path.to_str().unwrap()]);
    let prefix = format!("{}:", path.display());
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.strip_prefix(&prefix).unwrap_or(l).to_string())
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

#[test]
fn each_checklist_rule_reports_its_position() {
    let runs = Runs::new();
    let (lines, code) = validate(&runs, &plan_with(FULL));
    assert_eq!((code, lines.len()), (0, 0), "{lines:?}");
    let cases = [
        (
            "left out at level 3",
            FULL.replace("  latency: {step: verify.ready}\n", ""),
            "32:3: error: the verification checklist leaves out `latency` (latency at baseline): fill it with a `check`, a `trigger` or a `step`, or say `not_applicable:` and why [checklist]",
        ),
        (
            "a person's item with a command",
            FULL.replace("{confirm: The home page loads}", "{check: 'true'}"),
            "38:15: error: `smoke_test` is checked by a person: give it `confirm:` (what to look at) or a manual `step` [checklist]",
        ),
        (
            "a machine's item confirmed",
            FULL.replace(
                "version: {check: 'true'}",
                "version: {confirm: looks right}",
            ),
            "33:12: error: `version` is an automated check: give it a `check`, a `trigger` or a `step`, not `confirm` [checklist]",
        ),
        (
            "two ways at once",
            FULL.replace(
                "version: {check: 'true'}",
                "version: {check: 'true', step: verify.ready}",
            ),
            "33:12: error: checklist item `version` takes exactly one of `step`, `check`, `trigger`, `confirm`, `not_applicable`; it has step and check [checklist]",
        ),
        (
            "a step that is not there",
            FULL.replace(
                "latency: {step: verify.ready}",
                "latency: {step: verify.redy}",
            ),
            "35:19: error: no step `verify.redy` in the plan (write `phase.step`), did you mean `verify.ready`? [checklist]",
        ),
        (
            "a trigger that is not there",
            FULL.replace("{trigger: errors}", "{trigger: eror}"),
            "34:25: error: the plan has no trigger `eror`, did you mean `errors`? [checklist]",
        ),
        (
            "a reason left empty",
            FULL.replace("{not_applicable: no data}", "{not_applicable: ''}"),
            "36:36: error: say why `data_integrity` does not apply to this change [checklist]",
        ),
    ];
    let mut failures = Vec::new();
    for (what, list, want) in cases {
        let (lines, code) = validate(&runs, &plan_with(&list));
        if code == 0 || !lines.iter().any(|l| l == want) {
            failures.push(format!(
                "{what}: exit {code}, want {want:?} in\n{}",
                lines.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    // Without any checklist a level 3 plan is reminded; one left out at level 2 is a warning.
    let none = plan_with("").replace("verification:\n", "");
    let (lines, code) = validate(&runs, &none);
    assert_eq!(code, 0);
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("add `verification:` [checklist]")),
        "{lines:?}"
    );
    let l2 = plan_with(&FULL.replace("  latency: {step: verify.ready}\n", ""))
        .replace("level: 3", "level: 2");
    let (lines, code) = validate(&runs, &l2);
    assert_eq!(code, 0, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("warning: the verification checklist leaves out `latency`")),
        "{lines:?}"
    );
}

#[test]
fn the_checklist_runs_as_steps_and_the_report_lists_each_item() {
    let runs = Runs::new();
    let path = runs.path().join("plan.yaml");
    std::fs::write(&path, plan_with(FULL)).unwrap();
    let out = runs.run(&[
        "run",
        "--headless",
        "--approve-as",
        "ana",
        "--confirm-manual",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = runs.only_run();
    let tl = timeline(&run);
    // The command and the trigger's probe ran for real, and the person's item was confirmed.
    for key in ["verify.checklist-version", "verify.checklist-error-rate"] {
        assert!(
            tl.contains(&format!(r#""step":"{key}","attempt":1,"outcome":"ok""#)),
            "{key} ran and passed:\n{tl}"
        );
    }
    assert!(
        tl.contains(r#""type":"manual_confirmed","step":"verify.checklist-smoke-test","by":"ana""#),
        "{tl}"
    );
    let report = runs.run(&["report", run.to_str().unwrap()]);
    let md = String::from_utf8_lossy(&report.stdout);
    assert!(md.contains("## Verification checklist"), "{md}");
    assert!(
        md.contains("| error rate at baseline | automated | trigger errors | passed | - |"),
        "{md}"
    );
    assert!(
        md.contains("| smoke test of the user journey | manual | confirm | passed | ana |"),
        "{md}"
    );
    assert!(
        md.contains(
            "| data integrity | automated | not applicable | not applicable: no data | - | - |"
        ),
        "{md}"
    );
    let json = runs.run(&["report", "--format", "json", run.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let items = v["checklist"].as_array().expect("checklist in JSON");
    assert_eq!(items.len(), 10);
    assert_eq!(items[2]["item"], "error_rate");
    assert_eq!(items[2]["result"], "passed");
}

#[test]
fn a_failed_check_escalates_at_once_when_the_plan_says_so() {
    let runs = Runs::new();
    let list = format!(
        "  on_failure: escalate\n{}",
        FULL.replace("version: {check: 'true'}", "version: {check: 'exit 1'}")
    );
    let path = runs.path().join("plan.yaml");
    std::fs::write(&path, plan_with(&list)).unwrap();
    let out = runs.run(&[
        "run",
        "--headless",
        "--approve-as",
        "ana",
        "--confirm-manual",
        path.to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let tl = timeline(&runs.only_run());
    assert!(
        tl.contains(r#""type":"escalation_raised","level":2,"action":"Engage senior SRE","reason":"verification check failed: version matches the captured state""#),
        "{tl}"
    );
    // Without `on_failure: escalate` the same failure waits at level 1.
    let runs = Runs::new();
    let list = FULL.replace("version: {check: 'true'}", "version: {check: 'exit 1'}");
    std::fs::write(&path, plan_with(&list)).unwrap();
    let out = runs.run(&[
        "run",
        "--headless",
        "--approve-as",
        "ana",
        path.to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(!timeline(&runs.only_run()).contains("escalation_raised"));
}

#[test]
fn probe_samples_a_trigger_once_and_says_what_it_saw() {
    let runs = Runs::new();
    let path = runs.path().join("plan.yaml");
    let plan = plan_with(FULL).replace("command: echo 0", "command: echo 2.5");
    std::fs::write(&path, plan).unwrap();
    let p = path.to_str().unwrap();
    let out = runs.run(&["probe", p, "errors"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("trigger errors: result = 2.5; `result > 0.0` holds: failed"),
        "{}",
        text(&out)
    );
    let out = runs.run(&["probe", "--json", p, "errors"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["outcome"].as_str(), v["value"].as_f64()),
        (Some("failure"), Some(2.5))
    );
    std::fs::write(
        &path,
        plan_with(FULL).replace("command: echo 0", "command: echo nonsense"),
    )
    .unwrap();
    let out = runs.run(&["probe", p, "errors"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a probe that answers garbage never passes"
    );
    assert!(text(&out).contains("cannot be judged"), "{}", text(&out));
    std::fs::write(&path, plan_with(FULL)).unwrap();
    assert_eq!(runs.run(&["probe", p, "errors"]).status.code(), Some(0));
    let out = runs.run(&["probe", p, "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("has no trigger `nope` (it has: errors)"),
        "{}",
        text(&out)
    );
    let _ = repo();
}

#[test]
fn probe_takes_each_variable_as_a_run_does() {
    let runs = Runs::new();
    let base = std::fs::read_to_string(repo().join("tests/plans/base.yaml")).unwrap();
    let head = base.split("triggers:").next().unwrap();
    let text_ = format!(
        "{head}vars:\n  svc: {{default: up}}\ntriggers:\n  - name: svc\n    command: 'test \"$svc\" = up && echo 0 || echo 1'\n    condition: result > 0.0\n"
    );
    let p = runs.path().join("svc.yaml");
    std::fs::write(&p, text_).unwrap();
    let p = p.to_str().unwrap();
    // The plan's default, then `--var` over it.
    let out = runs.run(&["probe", p, "svc"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = runs.run(&["probe", p, "svc", "--var", "svc=down"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // A value that is not NAME=VALUE is never printed back.
    let out = runs.run(&["probe", p, "svc", "--var", "svc:hunter22"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!text(&out).contains("hunter22"), "{}", text(&out));
}

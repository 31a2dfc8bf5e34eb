//! Alternative recovery paths end to end: a real command fails for good; without a person
//! the plan's `automatic: true` path is taken and recorded as such (journal and report), and
//! a path not marked automatic leaves the run as a failure always has.

mod common;

use std::path::Path;

use common::{Runs, text, timeline};

fn write_plan(dir: &Path, automatic: bool) -> String {
    let plan = format!(
        "plan: alt\ntitle: Alternative path\nlevel: 2\noperation: database\nautomation: full\n\
         vars:\n  marks: {{required: true}}\n\
         phases:\n  - id: capture\n    steps:\n      - {{id: save, run: 'true', timeout: 5s}}\n  \
         - id: execute\n    steps:\n      - id: down\n        run: echo down >> \"$marks/down\"; exit 4\n        \
         timeout: 5s\n        alternatives:\n          - id: restore\n            \
         title: Restore from last night's backup\n            automatic: {automatic}\n            \
         steps:\n              - {{id: fetch, run: 'echo fetch >> \"$marks/path\"', timeout: 5s}}\n              \
         - {{id: load, run: 'echo load >> \"$marks/path\"', timeout: 5s}}\n  \
         - id: verify\n    steps:\n      - {{id: rows, check: 'true', timeout: 5s}}\n"
    );
    let path = dir.join("alt.yaml");
    std::fs::write(&path, plan).unwrap();
    path.display().to_string()
}

#[test]
fn headless_takes_an_automatic_path_and_records_it() {
    let runs = Runs::new();
    let marks = tempfile::tempdir().unwrap();
    let plan = write_plan(marks.path(), true);
    let var = format!("marks={}", marks.path().display());
    let out = runs.run(&["run", &plan, "--headless", "--var", &var]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("execute.down: alternative path `restore` (Restore from last night's backup) taken by tester (automatic)"),
        "{all}"
    );
    assert_eq!(
        std::fs::read_to_string(marks.path().join("path")).unwrap(),
        "fetch\nload\n"
    );
    let dir = runs.only_run();
    let t = timeline(&dir);
    assert!(
        t.contains(r#""type":"alternative_taken","step":"execute.down","alternative":"restore","title":"Restore from last night's backup","by":"tester","automatic":true"#),
        "{t}"
    );
    let report = runs.run(&["report", dir.to_str().unwrap()]);
    let md = text(&report);
    assert!(md.contains("replaced"), "{md}");
    assert!(md.contains("down+restore.load"), "{md}");
}

#[test]
fn a_path_not_marked_automatic_waits_for_a_person() {
    let runs = Runs::new();
    let marks = tempfile::tempdir().unwrap();
    let plan = write_plan(marks.path(), false);
    let var = format!("marks={}", marks.path().display());
    let out = runs.run(&["run", &plan, "--headless", "--var", &var]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("execute.down failed after 1 attempt(s)"),
        "{all}"
    );
    assert!(!marks.path().join("path").exists());
    assert!(!timeline(&runs.only_run()).contains("alternative_taken"));
}

//! What steps print, as headless live lines show it, end to end through the real binary:
//! a progress bar's carriage returns rewrite its line (the log file keeps every byte), and
//! escape sequences and bidi overrides are shown inert.

mod common;

use common::{Runs, text};

const PLAN: &str = r#"plan: progress
title: A step with a progress bar
level: 2
operation: application
automation: full
phases:
  - id: capture
    steps:
      - id: bar
        run: printf 'copy 10%%\rcopy 50%%\rcopy 100%%\r\ndone\n'
  - id: verify
    steps:
      - id: ok
        check: "true"
"#;

#[test]
fn carriage_returns_rewrite_live_lines_and_the_log_keeps_every_byte() {
    let runs = Runs::new();
    let plan = runs.path().join("progress.yaml");
    std::fs::write(&plan, PLAN).expect("plan written");
    let out = runs.run(&[
        "run",
        plan.to_str().expect("utf-8 path"),
        "--headless",
        "--verbose",
    ]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let lines: Vec<&str> = shown.lines().filter(|l| l.starts_with("    | ")).collect();
    assert_eq!(lines, ["    | copy 100%", "    | done"], "{shown}");

    let log = runs.only_run().join("output/capture.bar.1.log");
    let bytes = std::fs::read(&log).expect("the step's log");
    assert_eq!(bytes, b"copy 10%\rcopy 50%\rcopy 100%\r\ndone\n");
}

#[test]
fn escapes_and_bidi_overrides_in_output_are_shown_inert() {
    let runs = Runs::new();
    let plan = runs.path().join("inert.yaml");
    let noisy = PLAN.replace(
        r"printf 'copy 10%%\rcopy 50%%\rcopy 100%%\r\ndone\n'",
        r"printf 'a\033[2Jb\342\200\256c\n'",
    );
    assert_ne!(noisy, PLAN);
    std::fs::write(&plan, noisy).expect("plan written");
    let out = runs.run(&[
        "run",
        plan.to_str().expect("utf-8 path"),
        "--headless",
        "--verbose",
    ]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let lines: Vec<&str> = shown.lines().filter(|l| l.starts_with("    | ")).collect();
    assert_eq!(lines, ["    | a␛[2Jb\\u{202e}c"], "{shown}");
}

//! Post-rollback validation windows, end to end through the real binary: real checks, a
//! kill -9 in the middle of a window, a resume, a re-alert, the drill clock.

mod common;
mod validation_support;

use std::time::Duration;

use common::{Runs, text, wait_until};
use serde_json::Value;
use validation_support::{HEADLESS, VALIDATING, ended, of_type, pairs, plan, segment, windows};

#[test]
fn a_validation_killed_mid_window_goes_on_from_where_it_was_recorded() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 10s, short-term: 11s, long-term: 12s}\n  post_checks:\n    - {window: immediate, title: health, check: 'true', interval: 200ms}\n",
    );
    let p = p.to_str().unwrap();
    let mut child = runs.spawn(&[&["run", p][..], &VALIDATING].concat());
    let run = wait_until("the run directory", Duration::from_secs(30), || {
        runs.run_dirs().into_iter().next()
    });
    wait_until("a first sample", Duration::from_secs(30), || {
        (!of_type(&segment(&run), "validation_sample").is_empty()).then_some(())
    });
    child.kill().unwrap(); // SIGKILL: nothing is recorded on the way out
    child.wait().unwrap();
    let before = segment(&run);
    assert_eq!(ended(&before), None);

    let verify = runs.run(&["verify", run.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(
        text(&verify).contains("validation unfinished"),
        "{}",
        text(&verify)
    );

    let out = runs.run(&["watch", "--validate", run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("validation not validated"),
        "{}",
        text(&out)
    );
    let after = segment(&run);
    assert_eq!(&after[..before.len()], &before[..], "the record only grows");
    let started = of_type(&after, "validation_started");
    assert_eq!(started.len(), 2, "{started:?}");
    assert!(started[1]["resumed_at_ms"].as_u64().unwrap() > 0);
    assert_eq!(
        windows(&after),
        pairs(&[
            ("immediate", "passed"),
            ("short-term", "not_run"),
            ("long-term", "not_run")
        ]),
        "the later windows have nothing to sample"
    );
    assert_eq!(ended(&after).as_deref(), Some("not_validated"));

    let verify = runs.run(&["verify", run.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(text(&verify).contains("validation ended: not validated"));

    // Editing a sample breaks the chain that continues the seal.
    let path = run.join("validation.jsonl");
    let edited = std::fs::read_to_string(&path).unwrap().replacen(
        "\"outcome\":\"success\"",
        "\"outcome\":\"failure\"",
        1,
    );
    std::fs::write(&path, edited).unwrap();
    let verify = runs.run(&["verify", run.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    assert!(
        text(&verify).contains("validation.jsonl:"),
        "{}",
        text(&verify)
    );
}

#[test]
fn resume_of_a_completed_run_goes_on_with_its_windows() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 6s, short-term: 7s, long-term: 8s}\n  post_checks:\n    - {window: immediate, title: health, check: 'true', interval: 200ms}\n    - {window: short-term, title: later, check: 'true', interval: 200ms}\n    - {window: long-term, title: last, check: 'true', interval: 200ms}\n",
    );
    let p = p.to_str().unwrap();
    let mut child = runs.spawn(&[&["run", p][..], &VALIDATING].concat());
    let run = wait_until("the run directory", Duration::from_secs(30), || {
        runs.run_dirs().into_iter().next()
    });
    wait_until("a first sample", Duration::from_secs(30), || {
        (!of_type(&segment(&run), "validation_sample").is_empty()).then_some(())
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let out = runs.run(&["resume", run.to_str().unwrap(), "--headless", "--validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("validation windows go on"),
        "{}",
        text(&out)
    );
    let records = segment(&run);
    assert_eq!(
        ended(&records).as_deref(),
        Some("validated"),
        "{}",
        text(&out)
    );
    assert_eq!(of_type(&records, "validation_started").len(), 2);
}

#[test]
fn a_failing_check_re_alerts_and_the_run_regresses() {
    let runs = Runs::new();
    let alerts = runs.path().join("alerts.jsonl");
    std::fs::write(runs.path().join("broken"), "").unwrap();
    let p = plan(
        runs.path(),
        &format!(
            "notify: cat >> '{}'\npost_rollback:\n  windows: {{immediate: 20s, short-term: 40s, long-term: 60s}}\n  post_checks:\n    - {{window: immediate, title: health, check: 'test ! -e broken', interval: 200ms}}\n",
            alerts.display()
        ),
    );
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &VALIDATING].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("immediate window REGRESSED: health"),
        "{}",
        text(&out)
    );
    let run = runs.only_run();
    let records = segment(&run);
    assert_eq!(
        windows(&records),
        pairs(&[
            ("immediate", "regressed"),
            ("short-term", "not_run"),
            ("long-term", "not_run")
        ])
    );
    assert_eq!(ended(&records).as_deref(), Some("regressed"));
    let sent = std::fs::read_to_string(&alerts).unwrap();
    let alert: Value = sent
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|a| a["event"] == "validation_failed")
        .unwrap_or_else(|| panic!("no re-alert in {sent}"));
    assert_eq!(
        (alert["window"].as_str(), alert["source"].as_str()),
        (Some("immediate"), Some("health"))
    );
    assert_eq!(
        of_type(&records, "notify_finished").len(),
        1,
        "the re-alert is on the record"
    );

    let report = runs.run(&["report", run.to_str().unwrap()]);
    assert!(text(&report).contains("regressed"), "{}", text(&report));
}

#[test]
fn windows_not_run_are_never_passed() {
    // Skipped: every window is recorded as not run.
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  post_checks:\n    - {window: immediate, check: 'true'}\n",
    );
    let args = [
        &["run", p.to_str().unwrap(), "--no-validate"][..],
        &HEADLESS,
    ]
    .concat();
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let records = segment(&runs.only_run());
    assert!(of_type(&records, "validation_started")[0]["skipped"].is_string());
    assert_eq!(
        windows(&records),
        pairs(&[
            ("immediate", "not_run"),
            ("short-term", "not_run"),
            ("long-term", "not_run")
        ])
    );
    assert_eq!(ended(&records).as_deref(), Some("not_validated"));

    // A check that never answers in time is blind: its window is not run.
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 3s, short-term: 4s, long-term: 5s}\n  post_checks:\n    - {window: immediate, check: 'sleep 5', timeout: 100ms, interval: 100ms}\n    - {window: short-term, check: 'true', interval: 100ms}\n    - {window: long-term, check: 'true', interval: 100ms}\n",
    );
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &VALIDATING].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("immediate window NOT RUN"),
        "{}",
        text(&out)
    );
    let records = segment(&runs.only_run());
    let w = windows(&records);
    assert_eq!(w[0], ("immediate".to_string(), "not_run".to_string()));
    assert_eq!(ended(&records).as_deref(), Some("not_validated"));
}

#[test]
fn a_drill_leaves_its_windows_out_unless_asked() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 15m, short-term: 1h, long-term: 24h}\n  post_checks:\n    - {window: immediate, check: 'exit 1', interval: 1m}\n",
    );
    let args = [
        &["drill", p.to_str().unwrap(), "--speed", "10"][..],
        &HEADLESS,
    ]
    .concat();
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let records = segment(&runs.only_run());
    let started = of_type(&records, "validation_started")[0];
    assert_eq!(
        started["skipped"],
        "a drill: pass --validate to practise the windows too"
    );
    let ended = of_type(&records, "validation_ended")[0];
    assert_ne!(ended["verdict"], "validated", "not run is never passed");
}

#[test]
fn the_drill_clock_plays_an_hour_of_windows_in_seconds() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 15m, short-term: 30m, long-term: 1h}\n  post_checks:\n    - {window: immediate, check: 'exit 1', interval: 1m}\n    - {window: short-term, check: 'exit 1', interval: 1m}\n    - {window: long-term, check: 'exit 1', interval: 1m}\n",
    );
    let args = [
        &[
            "drill",
            p.to_str().unwrap(),
            "--speed",
            "1800",
            "--validate",
        ][..],
        &HEADLESS,
    ]
    .concat();
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("drill clock (x1800)"), "{}", text(&out));
    let records = segment(&runs.only_run());
    let started = of_type(&records, "validation_started")[0];
    assert_eq!(started["speed"], 1800.0);
    assert_eq!(
        started["windows"][2][1], 3_600_000,
        "the windows keep their plan length"
    );
    // Nothing is run in a drill: the failing checks are simulated as passing.
    assert_eq!(ended(&records).as_deref(), Some("validated"));
    let samples = of_type(&records, "validation_sample");
    assert!(samples.len() >= 3, "{samples:?}");
    let last = samples.last().unwrap()["at_ms"].as_u64().unwrap();
    assert!(
        last >= 30 * 60_000,
        "samples reach the long-term window on the drill clock: {last}"
    );
    let real = |r: &Value| {
        chrono::DateTime::parse_from_rfc3339(r["ts"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let took = real(records.last().unwrap()) - real(&records[0]);
    assert!(
        took < 10 * 60_000,
        "an hour of windows took {took} ms of real time"
    );
}

#[test]
fn a_headless_run_ends_with_the_rollback_and_says_how_its_windows_go_on() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 24h, short-term: 25h, long-term: 26h}\n  post_checks:\n    - {window: immediate, title: health, check: 'true', interval: 200ms}\n",
    );
    // A pipeline is not held for a day of windows: it gets the rollback's code at once.
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &HEADLESS].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = runs.only_run();
    let id = run.file_name().unwrap().to_str().unwrap();
    assert!(
        text(&out).contains(&format!("rollback watch --validate {id}")),
        "{}",
        text(&out)
    );
    assert!(
        segment(&run).is_empty(),
        "nothing of the windows is recorded yet"
    );

    // The same with a rollback that fails: its own code, not the windows'.
    let failing = plan(
        runs.path(),
        "post_rollback:\n  post_checks:\n    - {window: immediate, check: 'true'}\n",
    );
    let text_of = std::fs::read_to_string(&failing)
        .unwrap()
        .replace("run: echo undo", "run: exit 3");
    std::fs::write(&failing, text_of).unwrap();
    let out = runs.run(&[&["run", failing.to_str().unwrap()][..], &HEADLESS].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!text(&out).contains("watch --validate"), "{}", text(&out));
}

#[test]
fn a_window_check_sees_the_environment_the_steps_saw() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 2s, short-term: 3s, long-term: 4s}\n  post_checks:\n    - {window: immediate, title: context, check: 'test \"$ROLLBACK_REGIONS\" = \"eu us\" && test \"$service\" = api && test -d \"$ROLLBACK_RUN_DIR\" && test \"$ROLLBACK_PLAN\" = base', interval: 200ms}\n",
    );
    let text_of = std::fs::read_to_string(&p).unwrap().replace(
        "automation: semi\n",
        "automation: semi\nregions: [eu, us]\nvars:\n  service: {default: api}\n",
    );
    std::fs::write(&p, text_of).unwrap();
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &VALIDATING].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let records = segment(&runs.only_run());
    assert_eq!(
        windows(&records)[0],
        ("immediate".to_string(), "passed".to_string()),
        "{}",
        text(&out)
    );
}

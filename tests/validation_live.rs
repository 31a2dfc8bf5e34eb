//! Validation windows against live parts: a real Prometheus whose answers a trigger
//! re-evaluates in each window, and the validation screen in a real terminal (tmux).

mod common;
mod validation_support;

use std::path::Path;

use common::prometheus::Prometheus;
use common::tmux::Tmux;
use common::{Runs, text};
use validation_support::{VALIDATING, ended, of_type, plan, segment, windows};

#[test]
fn a_trigger_is_re_evaluated_against_a_real_prometheus_in_each_window() {
    let prom = Prometheus::start();
    let with = |query: &str| {
        format!(
            "triggers:\n  - name: target-down\n    prometheus: {{url: '{}', query: '{query}'}}\n    condition: result.exists(s, s.value < 1.0)\n    interval: 300ms\n    count: 1\n    severity: critical\npost_rollback:\n  windows: {{immediate: 2s, short-term: 3s, long-term: 4s}}\n",
            prom.url
        )
    };
    let runs = Runs::new();
    let p = plan(runs.path(), &with(r#"up{job="prometheus"}"#));
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &VALIDATING].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let records = segment(&runs.only_run());
    assert_eq!(
        ended(&records).as_deref(),
        Some("validated"),
        "{}",
        text(&out)
    );
    for w in ["immediate", "short-term", "long-term"] {
        assert!(
            of_type(&records, "validation_sample")
                .iter()
                .any(|s| s["window"] == w
                    && s["source"] == "target-down"
                    && s["outcome"] == "success"),
            "{w} re-evaluated the trigger"
        );
    }

    // The target reads as down: the trigger fires, the rollback did not hold.
    let runs = Runs::new();
    let p = plan(runs.path(), &with(r#"up{job="prometheus"} * 0"#));
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &VALIDATING].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let records = segment(&runs.only_run());
    assert_eq!(
        windows(&records)[0],
        ("immediate".into(), "regressed".into())
    );
    assert_eq!(ended(&records).as_deref(), Some("regressed"));

    // No series at all: no data, never a pass; the windows are not run.
    let runs = Runs::new();
    let p = plan(runs.path(), &with(r#"up{job="checkout-api"}"#));
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &VALIDATING].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let records = segment(&runs.only_run());
    let samples = of_type(&records, "validation_sample");
    assert!(
        !samples.is_empty() && samples.iter().all(|s| s["outcome"] == "error"),
        "{records:?}"
    );
    assert!(
        windows(&records).iter().all(|(_, v)| v == "not_run"),
        "{:?}",
        windows(&records)
    );
    assert_eq!(ended(&records).as_deref(), Some("not_validated"));
}

#[test]
fn the_screen_shows_the_windows_after_the_run_and_can_be_left() {
    let runs = Runs::new();
    let write = |name: &str, windows: &str| {
        let path = runs.path().join(name);
        std::fs::write(
            &path,
            format!(
                "plan: on-screen\ntitle: Windows on screen\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {{id: save, run: echo saved}}\n  - id: execute\n    steps:\n      - {{id: undo, run: echo undone}}\n  - id: verify\n    steps:\n      - {{id: ok, check: 'true'}}\npost_rollback:\n  windows: {windows}\n  post_checks:\n    - {{window: immediate, title: health, check: 'true', interval: 200ms}}\n"
            ),
        )
        .unwrap();
        path
    };
    let command = |plan: &Path| {
        format!(
            "env USER=tester ROLLBACK_RUNS_DIR={} {} run {}; echo EXIT=$?; sleep 600",
            runs.path().display(),
            common::bin(),
            plan.display()
        )
    };

    // Left while the immediate window is open: recorded, and the way back is shown.
    let long = write(
        "long.yaml",
        "{immediate: 10m, short-term: 20m, long-term: 30m}",
    );
    let t = Tmux::start("valid-leave", 80, 24, &command(&long));
    t.wait_for("Your name");
    t.keys(&["Enter"]);
    t.wait_for("run completed");
    t.keys(&["q"]);
    let screen = t.wait_for("VALIDATION");
    assert!(
        screen.contains("immediate") && screen.contains("left"),
        "{screen}"
    );
    t.wait_for("health");
    t.keys(&["q"]);
    let screen = t.wait_for("EXIT=0");
    assert!(
        screen.contains("validation left with windows open"),
        "{screen}"
    );
    let run = runs.only_run();
    let records = segment(&run);
    assert_eq!(of_type(&records, "validation_left").len(), 1);
    assert_eq!(ended(&records), None);
    drop(t);

    // Watched to the end: the verdict on screen, then any key closes.
    std::fs::remove_dir_all(&run).unwrap();
    let short = write(
        "short.yaml",
        "{immediate: 2s, short-term: 3s, long-term: 4s}",
    );
    let t = Tmux::start("valid-end", 80, 24, &command(&short));
    t.wait_for("Your name");
    t.keys(&["Enter"]);
    t.wait_for("run completed");
    t.keys(&["q"]);
    let screen = t.wait_for("NOT VALIDATED");
    assert!(screen.contains("passed"), "{screen}");
    assert!(screen.contains("nothing to sample"), "{screen}");
    t.keys(&["Enter"]);
    let screen = t.wait_for("EXIT=0");
    assert!(screen.contains("validation not validated"), "{screen}");
}

#[test]
fn a_drill_on_screen_shows_its_windows_only_with_validate_on_its_clock_named_a_drill() {
    let runs = Runs::new();
    let plan = runs.path().join("plan.yaml");
    std::fs::write(
        &plan,
        "plan: on-screen\ntitle: Windows on screen\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {id: save, run: echo saved}\n  - id: execute\n    steps:\n      - {id: undo, run: echo undone}\n  - id: verify\n    steps:\n      - {id: ok, check: 'true'}\npost_rollback:\n  windows: {immediate: 10m, short-term: 20m, long-term: 30m}\n  post_checks:\n    - {window: immediate, title: health, check: 'true', interval: 1m}\n",
    )
    .unwrap();
    let command = |extra: &str| {
        format!(
            "env USER=tester ROLLBACK_RUNS_DIR={} {} drill {} --speed 60 {extra}; echo EXIT=$?; sleep 600",
            runs.path().display(),
            common::bin(),
            plan.display()
        )
    };
    // Not asked: q on the summary quits, and the windows are recorded as not run.
    let t = Tmux::start("drill-no-windows", 80, 24, &command(""));
    t.wait_for("Your name");
    t.keys(&["Enter"]);
    t.wait_for("run completed");
    t.keys(&["q"]);
    let screen = t.wait_for("EXIT=0");
    assert!(!screen.contains("VALIDATION"), "{screen}");
    let run = runs.only_run();
    let records = segment(&run);
    assert!(
        windows(&records).iter().all(|(_, v)| v == "not_run"),
        "{records:?}"
    );
    drop(t);
    std::fs::remove_dir_all(&run).unwrap();

    // Asked: the windows on the drill clock, named a drill.
    let t = Tmux::start("drill-windows", 80, 24, &command("--validate"));
    t.wait_for("Your name");
    t.keys(&["Enter"]);
    t.wait_for("run completed");
    t.keys(&["q"]);
    let screen = t.wait_for("VALIDATION");
    assert!(screen.contains(" DRILL "), "{screen}");
    assert!(screen.contains("drill clock x60"), "{screen}");
    // Ten drill minutes pass in ten seconds: a minute is gone within a couple of seconds.
    t.wait_for("8m");
    // `?` lists the keys; the key that closes the help does not leave.
    t.keys(&["?"]);
    t.wait_for("Validation: keys");
    t.keys(&["q"]);
    common::wait_until(
        "the help closed",
        std::time::Duration::from_secs(30),
        || (!t.screen().contains("Validation: keys")).then_some(()),
    );
    assert!(t.screen().contains("VALIDATING"), "q closed only the help");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

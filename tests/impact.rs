//! The run's report in its directory: written when the run ends (sealed), owner-only, the
//! same text `rollback report` prints; and the impact figures entered afterwards.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::{Runs, repo, text, timeline, wait_until};

const ANSWERS: [&str; 4] = ["--headless", "--approve-as", "ci", "--confirm-manual"];

fn base() -> String {
    repo().join("tests/plans/base.yaml").display().to_string()
}

fn json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("report JSON")
}

fn without_generation(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("generated_at");
    v
}

#[test]
fn an_ended_run_has_its_report_beside_its_timeline() {
    let runs = Runs::new();
    let plan = base();
    let mut args = vec!["rehearse", plan.as_str()];
    args.extend(ANSWERS);
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = runs.only_run();
    let (md, js) = (run.join("report.md"), run.join("report.json"));
    let shown = text(&out);
    assert!(
        shown.contains(&format!("report: {} ({})", md.display(), js.display())),
        "{shown}"
    );
    for f in [&md, &js] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    let written = json(&js);
    assert_eq!(written["outcome"]["status"], "completed");
    assert!(std::fs::read_to_string(&md).unwrap().contains("base"));
    // Nothing may have run after the copy was written: it covers the seal too.
    assert!(!run.join("lock").exists());

    let id = run.file_name().unwrap().to_str().unwrap();
    let printed = runs.run(&["report", id, "--format", "json"]);
    let printed: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(without_generation(printed), without_generation(written));
}

#[test]
fn an_aborted_run_has_its_report_and_a_left_one_has_none() {
    let runs = Runs::new();
    let slow = repo().join("tests/plans/slow.yaml").display().to_string();
    let child = runs.spawn(&["run", &slow, "--headless"]);
    let run = wait_until("the long step", Duration::from_secs(20), || {
        let d = runs.run_dirs().into_iter().next()?;
        timeline(&d)
            .contains(r#""type":"step_started","step":"execute.long""#)
            .then_some(d)
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(
        json(&run.join("report.json"))["outcome"]["status"],
        "aborted"
    );

    // Nobody can approve the gate: the run is left, resumable, and has no report yet.
    let left = Runs::new();
    let plan = base();
    let out = left.run(&["rehearse", &plan, "--headless"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let run = left.only_run();
    assert!(!run.join("report.json").exists());
    assert!(!text(&out).contains("report: "), "{}", text(&out));
}

/// A sealed rehearsal of base.yaml and its id.
fn one_run(runs: &Runs) -> (std::path::PathBuf, String) {
    let plan = base();
    let mut args = vec!["rehearse", plan.as_str()];
    args.extend(ANSWERS);
    assert_eq!(runs.run(&args).status.code(), Some(0));
    let run = runs.only_run();
    let id = run.file_name().unwrap().to_str().unwrap().to_string();
    (run, id)
}

#[test]
fn the_report_names_the_missing_impact_metrics_until_they_are_entered() {
    let runs = Runs::new();
    let (run, id) = one_run(&runs);
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        md.contains(
            "Missing: users_affected, data_loss, downtime, revenue_impact, customer_complaints."
        ),
        "{md}"
    );
    assert!(
        md.contains(&format!("`rollback report {id} --set users_affected=...`")),
        "{md}"
    );
    let timeline_before = std::fs::read(run.join("timeline.jsonl")).unwrap();

    let out = runs.run(&[
        "report",
        &id,
        "--by",
        "ana",
        "--set",
        "users_affected=1,200",
        "--set",
        "downtime=12m",
        "--set",
        "data_loss=none",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("| Users affected | 1200 (entered by ana at "),
        "{shown}"
    );
    assert!(
        shown.contains("| Downtime | 12m00s (entered by ana at "),
        "{shown}"
    );
    assert!(
        shown.contains("Missing: revenue_impact, customer_complaints."),
        "{shown}"
    );

    // Kept beside the sealed timeline, which is untouched; the copies are rewritten.
    assert_eq!(
        std::fs::read(run.join("timeline.jsonl")).unwrap(),
        timeline_before
    );
    let side = run.join("impact.jsonl");
    assert_eq!(
        std::fs::metadata(&side).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(std::fs::read_to_string(&side).unwrap().lines().count(), 3);
    let v = json(&run.join("report.json"));
    let impact = &v["metrics"]["impact"];
    assert_eq!(impact["recorded"], true);
    assert_eq!(impact["users_affected"], 1200);
    assert_eq!(impact["downtime_ms"], 720_000);
    assert_eq!(impact["data_loss"], "none");
    assert_eq!(impact["entries"][0]["by"], "ana");
    assert_eq!(
        impact["missing"],
        serde_json::json!(["revenue_impact", "customer_complaints"])
    );
    let verify = runs.run(&["verify", &id]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));

    // A later entry wins; all entered, nothing is missing.
    let out = runs.run(&[
        "report",
        &id,
        "--format",
        "json",
        "--set",
        "users_affected=1300",
        "--set",
        "revenue_impact=4300.5",
        "--set",
        "customer_complaints=7",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["metrics"]["impact"]["users_affected"], 1300);
    assert_eq!(v["metrics"]["impact"]["missing"], serde_json::json!([]));
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        md.contains("are kept in `impact.jsonl`, not in its sealed timeline"),
        "{md}"
    );
    assert!(!md.contains("Missing:"), "{md}");
}

#[test]
fn a_bad_impact_value_is_bad_input_and_nothing_is_kept() {
    let runs = Runs::new();
    let (run, id) = one_run(&runs);
    for (set, why) in [
        ("users_affected=many", "is not a whole number"),
        ("downtime=soon", "is not a duration"),
        (
            "mood=grim",
            "is not an impact metric; one of: users_affected",
        ),
    ] {
        let out = runs.run(&["report", &id, "--set", "data_loss=none", "--set", set]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(why), "{}", text(&out));
    }
    assert!(!run.join("impact.jsonl").exists());
}

#[test]
fn a_step_can_write_impact_figures_and_a_person_can_correct_them() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let plan = plans.path().join("counting.yaml");
    std::fs::write(
        &plan,
        r#"plan: counting
title: A step that counts who was affected
level: 2
operation: application
automation: full
vars:
  token: { secret: true, default: "s3cr3t-value" }
phases:
  - id: capture
    steps:
      - id: count
        run: |
          echo "users_affected=1,200" >> "$ROLLBACK_OUTPUTS"
          echo "downtime=a while" >> "$ROLLBACK_OUTPUTS"
          echo "checked_by=$token" >> "$ROLLBACK_OUTPUTS"
  - id: execute
    steps:
      - id: undo
        run: "true"
  - id: verify
    steps:
      - id: ok
        check: "true"
"#,
    )
    .unwrap();
    let plan = plan.display().to_string();
    let out = runs.run(&["rehearse", &plan, "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("capture.count wrote users_affected=1,200"),
        "{}",
        text(&out)
    );
    let run = runs.only_run();
    let tl = timeline(&run);
    assert!(tl.contains(r#""type":"step_outputs""#), "{tl}");
    assert!(!tl.contains("s3cr3t-value"), "secrets are masked: {tl}");
    let files: Vec<String> = std::fs::read_dir(run.join("output"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files.iter().any(|f| f.ends_with(".outputs")),
        "the outputs file, with the secret in it, is gone once recorded: {files:?}"
    );
    let step_outputs = tl.find("step_outputs").unwrap();
    let finished = tl
        .find(r#""type":"step_finished","step":"capture.count""#)
        .unwrap();
    assert!(step_outputs < finished, "recorded before the step's end");

    let v = json(&run.join("report.json"));
    let impact = &v["metrics"]["impact"];
    assert_eq!(impact["users_affected"], 1200);
    assert_eq!(impact["entries"][0]["by"], "step capture.count");
    assert!(impact["downtime_ms"].is_null());
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("downtime: `a while` is not a duration"),
        "{warnings}"
    );

    let id = run.file_name().unwrap().to_str().unwrap();
    let out = runs.run(&[
        "report",
        id,
        "--format",
        "json",
        "--by",
        "ana",
        "--set",
        "users_affected=1300",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["metrics"]["impact"]["users_affected"], 1300);
    assert_eq!(v["metrics"]["impact"]["entries"][0]["by"], "ana");
}

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

//! `rollback dashboard`: in tmux, over real runs made by the binary — a live one with its
//! phase and SLA clock, ended ones, a corrupt one listed without stopping the rest; Enter
//! opens a report, or the follow screen of the live run.

mod common;

use std::time::Duration;

use common::tmux::Tmux;
use common::{Runs, gated, repo, text, timeline, wait_until};

#[test]
fn the_dashboard_lists_live_ended_and_corrupt_runs_and_opens_them() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let base = repo().join("tests/plans/base.yaml").display().to_string();
    for _ in 0..2 {
        let out = runs.run(&[
            "rehearse",
            &base,
            "--headless",
            "--approve-as",
            "ci",
            "--confirm-manual",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let broken = runs.path().join("2026-01-01T00-00-00Z-broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("timeline.jsonl"), "not a record\n").unwrap();

    let gate = plans.path().join("go");
    let plan = gated(plans.path());
    let var = format!("gate={}", gate.display());
    let runner = runs.spawn(&["run", &plan, "--headless", "--var", &var]);
    wait_until("the waiting step", Duration::from_secs(30), || {
        let d = runs
            .run_dirs()
            .into_iter()
            .find(|d| d.to_string_lossy().ends_with("-gated"))?;
        timeline(&d)
            .contains(r#""step":"execute.wait""#)
            .then_some(())
    });

    let t = Tmux::rollback("dashboard", 110, 32, runs.path(), "dashboard");
    // Each on its own wait: a frame reaches the terminal in several writes.
    for want in [
        "● LIVE",
        "ROLLBACK DASHBOARD",
        "2 runs counted, 1 running, 1 corrupt",
        "▶ execute.wait",
        "SLA",
        "left",
        "✔ completed",
        "✖ CORRUPT",
        "2026-01-01T00-00-00Z-broken",
        "base",
        "rollbacks within SLA >= 95%: met",
    ] {
        t.wait_for(want);
    }

    // `?` lists the keys; the key that closes the help does nothing else.
    t.keys(&["?"]);
    t.wait_for("Dashboard: keys");
    t.keys(&["q"]);
    wait_until("the help closed", Duration::from_secs(30), || {
        (!t.screen().contains("Dashboard: keys")).then_some(())
    });
    assert!(
        t.screen().contains("ROLLBACK DASHBOARD"),
        "q closed only the help"
    );

    // The newest ended run's report, scrolled, then back.
    t.keys(&["Down", "Enter"]);
    t.wait_for("# Rollback report (REHEARSAL): Base plan");
    t.keys(&["PageDown"]);
    wait_until("the report scrolled", Duration::from_secs(30), || {
        (!t.screen().contains("# Rollback report")).then_some(())
    });
    t.keys(&["q"]);
    t.wait_for("ROLLBACK DASHBOARD");

    // The live run followed: it ends while watched.
    t.keys(&["Up", "Enter"]);
    t.wait_for("FOLLOWING");
    std::fs::write(&gate, "").unwrap();
    t.wait_for("the run ended: completed");
    t.keys(&["q"]);
    t.wait_for("3 runs counted, 0 running, 1 corrupt");
    wait_until("the live row gone", Duration::from_secs(30), || {
        (!t.screen().contains("● LIVE")).then_some(())
    });
    // A run made while the dashboard is open appears without a key.
    let out = runs.run(&[
        "rehearse",
        &base,
        "--headless",
        "--approve-as",
        "ci",
        "--confirm-manual",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    t.wait_for("4 runs counted, 0 running, 1 corrupt");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    assert_eq!(runner.wait_with_output().unwrap().status.code(), Some(0));
}

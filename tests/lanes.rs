//! Regional lanes end to end: the real binary, real child processes, real files. Regions run
//! at once up to `parallel`, their output stays apart, headless lines name their region, a
//! failure in one region stops or spares the others, and a kill -9 mid-lane resumes each
//! region from where it stood.

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::Tmux;
use common::{Runs, event_types, text, timeline, wait_until};

/// A plan in `dir` whose phase `execute` runs for each of eu, us and ap.
fn write_plan(dir: &Path, extra: &str, steps: &str) -> String {
    let plan = format!(
        "plan: lanes\ntitle: Lanes\nlevel: 2\noperation: infrastructure\nautomation: full\n\
         regions: [eu, us, ap]\nparallel: 2\n{extra}vars:\n  marks: {{required: true}}\n\
         phases:\n  - id: capture\n    steps:\n      - {{id: save, run: 'true', timeout: 5s}}\n  \
         - id: execute\n    for_each: region\n    steps:\n{steps}  \
         - id: verify\n    steps:\n      - {{id: up, check: 'true', timeout: 5s}}\n"
    );
    let path = dir.join("lanes.yaml");
    std::fs::write(&path, plan).unwrap();
    path.display().to_string()
}

/// eu and us each wait for the other to have started: only a parallel run gets past it.
/// ap may start only once one of them is done: the limit of two holds.
const MEET: &str = "      - id: apply\n        timeout: 60s\n        run: |\n          \
echo \"apply $ROLLBACK_REGION of $ROLLBACK_REGIONS\"\n          \
touch \"$marks/$ROLLBACK_REGION.started\"\n          \
case \"$ROLLBACK_REGION\" in eu) other=us;; us) other=eu;; *) [ -s \"$marks/done\" ] || exit 8; other=ap;; esac\n          \
i=0; while [ ! -e \"$marks/$other.started\" ]; do i=$((i+1)); [ $i -gt 3000 ] && exit 7; sleep 0.01; done\n          \
echo \"$ROLLBACK_REGION\" >> \"$marks/done\"\n";

#[test]
fn regions_run_at_once_within_the_limit_and_their_output_stays_apart() {
    let runs = Runs::new();
    let marks = tempfile::tempdir().unwrap();
    let plan = write_plan(marks.path(), "", MEET);
    let var = format!("marks={}", marks.path().display());
    let out = runs.run(&["run", &plan, "--headless", "--var", &var, "-v"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let done = std::fs::read_to_string(marks.path().join("done")).unwrap();
    let mut regions: Vec<&str> = done.lines().collect();
    regions.sort();
    assert_eq!(
        regions,
        ["ap", "eu", "us"],
        "each region once, ap never a third at once"
    );

    let dir = runs.only_run();
    for r in ["eu", "us", "ap"] {
        let log =
            std::fs::read_to_string(dir.join(format!("output/execute.apply@{r}.1.log"))).unwrap();
        assert_eq!(log, format!("apply {r} of eu us ap\n"), "{r}'s log");
        assert!(
            all.contains(&format!("[{r}] | apply {r} of eu us ap")),
            "output lines carry their region: {all}"
        );
        assert!(
            all.lines()
                .any(|l| l.starts_with(&format!("[{r}] ")) && l.contains("execute.apply@")),
            "event lines carry their region: {all}"
        );
        assert!(all.contains(&format!("region {r} finished in")), "{all}");
    }
    let t = timeline(&dir);
    assert_eq!(t.matches("\"type\":\"region_finished\"").count(), 3);
    let report = text(&runs.run(&["report", dir.to_str().unwrap()]));
    assert!(report.contains("## Regions"), "{report}");
    for r in ["eu", "us", "ap"] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(&format!("| {r} ")) && l.contains("| met |")),
            "{r} met its SLA in the report: {report}"
        );
    }
}

#[test]
fn one_region_failing_stops_the_others_by_default_and_continue_spares_them() {
    let steps = "      - id: apply\n        timeout: 30s\n        run: |\n          \
[ \"$ROLLBACK_REGION\" = us ] && exit 3\n          echo ok >> \"$marks/$ROLLBACK_REGION\"\n";
    for (extra, flag, ap_ran) in [
        ("", None, false),
        ("on_region_failure: ask\n", Some("continue"), true),
        ("on_region_failure: ask\n", None, false),
        ("on_region_failure: continue\n", None, true),
    ] {
        let runs = Runs::new();
        let marks = tempfile::tempdir().unwrap();
        // One at a time, so the order is known: eu, then us fails, then ap.
        let plan = write_plan(marks.path(), extra, steps);
        let one = std::fs::read_to_string(&plan)
            .unwrap()
            .replace("parallel: 2", "parallel: 1");
        std::fs::write(&plan, one).unwrap();
        let var = format!("marks={}", marks.path().display());
        let mut args = vec!["run", plan.as_str(), "--headless", "--var", var.as_str()];
        if let Some(f) = flag {
            args.extend(["--on-region-failure", f]);
        }
        let out = runs.run(&args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{extra} {flag:?}: {all}");
        assert!(all.contains("[us] "), "{all}");
        assert!(
            all.contains("region us failed at execute.apply@us"),
            "{all}"
        );
        assert!(marks.path().join("eu").exists());
        assert_eq!(
            marks.path().join("ap").exists(),
            ap_ran,
            "{extra} {flag:?}: {all}"
        );
    }
}

/// Two regions mid-step when the tool is killed; each resumes from its own position and
/// every region's step runs to its end exactly once.
#[test]
fn kill_9_mid_lane_then_resume_finishes_every_region_exactly_once() {
    let runs = Runs::new();
    let marks = tempfile::tempdir().unwrap();
    let steps = "      - id: a\n        timeout: 60s\n        run: echo a >> \"$marks/$ROLLBACK_REGION.a\"\n      \
- id: b\n        timeout: 60s\n        run: |\n          \
i=0; while [ ! -e \"$marks/go\" ]; do i=$((i+1)); [ $i -gt 3000 ] && exit 7; sleep 0.01; done\n          \
echo b >> \"$marks/$ROLLBACK_REGION.b\"\n";
    let plan = write_plan(marks.path(), "", steps);
    let var = format!("marks={}", marks.path().display());
    let mut child = runs.spawn(&["run", &plan, "--headless", "--var", &var]);
    let dir = wait_until("eu and us in step b", Duration::from_secs(20), || {
        let dir = runs.run_dirs().into_iter().next()?;
        let t = timeline(&dir);
        (t.contains(r#""step":"execute.b@eu""#) && t.contains(r#""step":"execute.b@us""#))
            .then_some(dir)
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = child.wait();

    let resume = runs.spawn(&[
        "resume",
        dir.to_str().unwrap(),
        "--headless",
        "--kill-orphans",
        "--rerun-interrupted",
        "--var",
        &var,
    ]);
    // The orphans are killed before `go` exists, so they never write their mark.
    wait_until("both orphans gone", Duration::from_secs(30), || {
        (timeline(&dir).matches("\"type\":\"orphan_gone\"").count() == 2).then_some(())
    });
    std::fs::write(marks.path().join("go"), "").unwrap();
    let out = resume.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for r in ["eu", "us", "ap"] {
        for s in ["a", "b"] {
            let marks =
                std::fs::read_to_string(marks.path().join(format!("{r}.{s}"))).unwrap_or_default();
            assert_eq!(marks.lines().count(), 1, "{r}.{s} ran once: {marks:?}");
        }
    }
    let types = event_types(&dir);
    assert_eq!(types.iter().filter(|t| *t == "step_interrupted").count(), 2);
    assert_eq!(types.iter().filter(|t| *t == "region_finished").count(), 3);
    assert_eq!(types.last().map(String::as_str), Some("run_sealed"));
}

#[test]
fn region_flags_choose_regions_and_a_typo_gets_a_suggestion() {
    let runs = Runs::new();
    let marks = tempfile::tempdir().unwrap();
    let steps = "      - id: apply\n        timeout: 30s\n        run: echo \"$ROLLBACK_REGIONS\" >> \"$marks/$ROLLBACK_REGION\"\n";
    let plan = write_plan(marks.path(), "", steps);
    let var = format!("marks={}", marks.path().display());
    let out = runs.run(&["run", &plan, "--headless", "--var", &var, "--region", "euu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no region `euu`"), "{}", text(&out));
    assert!(text(&out).contains("Did you mean `eu`?"), "{}", text(&out));
    let out = runs.run(&[
        "drill",
        &plan,
        "--headless",
        "--var",
        &var,
        "--region",
        "ap",
        "--region",
        "eu",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = runs.run(&[
        "run",
        &plan,
        "--headless",
        "--var",
        &var,
        "--region",
        "ap",
        "--region",
        "eu",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(marks.path().join("eu")).unwrap(),
        "eu ap\n"
    );
    assert!(!marks.path().join("us").exists());
}

/// The regional example as a drill at 80x24: a row per region, a region failing under
/// `ask` (the others continue), then its alternative path taken from the failure dialog.
#[test]
fn regional_drill_at_80x24_shows_each_region_and_offers_the_alternative_path() {
    let runs = Runs::new();
    let t = Tmux::rollback(
        "lanes",
        80,
        24,
        runs.path(),
        "drill plans/regional-example.yaml --speed 5 --fail undo@us-east-1",
    );
    t.wait_for("Deployment revision to roll back to");
    for _ in 0..3 {
        t.keys(&["Enter"]);
    }
    t.wait_for("Approval gate");
    t.wait_keys("enter approve");
    t.keys(&["Enter"]);
    t.wait_for("Point of no return");
    t.wait_keys("y confirm");
    t.keys(&["y"]);
    let screen = t.wait_for("execute › undo");
    for region in ["eu-west-1", "us-east-1", "ap-southeast-1"] {
        let row = screen
            .lines()
            .find(|l| l.contains(region) && l.contains("/ 10:00"))
            .unwrap_or_else(|| panic!("a row for {region}: {screen}"));
        assert!(row.chars().count() <= 80, "{row}");
    }
    // One question at a time: first this region, with every key for it, and nothing yet
    // about the others.
    t.wait_for("Region us-east-1 failed");
    let first = t.wait_keys("f leave it failed");
    for key in [
        "p alternative path",
        "r retry",
        "s skip",
        "a abort",
        "esc read output",
    ] {
        assert!(first.contains(key), "{key}: {first}");
    }
    assert!(!first.contains("continue others"), "{first}");
    t.keys(&["f"]);
    // Then the others.
    let others = t.wait_for("What do the other regions do?");
    assert!(!others.contains("r retry"), "{others}");
    t.wait_keys("c continue others");
    t.keys(&["c"]);
    // The failure dialog comes once the other regions are done.
    let failed = wait_until("the failure dialog's keys", Duration::from_secs(30), || {
        let s = t.screen();
        (s.contains("Step failed: execute.undo@us-east-1")
            && s.contains("p alternative path")
            && !s.contains("keys in a moment"))
        .then_some(s)
    });
    assert!(
        failed.contains("Scale the previous ReplicaSet up"),
        "{failed}"
    );
    t.keys(&["p"]);
    // The plan's manual check, then the checklist's confirmations: each one in turn.
    let mut confirmed = 0;
    wait_until("the run to complete", Duration::from_secs(60), || {
        let s = t.screen();
        if s.contains("Run completed") {
            return Some(());
        }
        let ready = !s.contains("keys in a moment");
        if s.contains("Manual check") && s.contains("enter confirm") && ready {
            t.keys(&["Enter"]);
            confirmed += 1;
        }
        None
    });
    assert!(
        confirmed >= 4,
        "four manual checks, {confirmed} confirmations sent"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    let dir = runs.only_run();
    let tl = timeline(&dir);
    assert!(
        tl.contains(r#""type":"region_policy_chosen","step":"execute.undo@us-east-1","choice":"continue","by":"tester""#),
        "{tl}"
    );
    assert!(
        tl.contains(r#""type":"alternative_taken","step":"execute.undo@us-east-1","alternative":"previous-replicaset""#),
        "{tl}"
    );
    assert!(tl.contains(r#""step":"execute.undo+previous-replicaset.scale@us-east-1","attempt":1,"outcome":"ok""#), "{tl}");
}

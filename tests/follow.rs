//! `rollback follow RUN`: a read-only live view. Follows a run to its end, shows a run whose
//! runner was killed as stopped (not finished), never writes and never takes the lock.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use common::tmux::Tmux;
use common::{Runs, gated, repo, text, timeline, wait_until};

const LIMIT: Duration = Duration::from_secs(30);

/// Lines of a child's stdout as they come.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line containing `want`; every line seen so far comes back.
fn wait_line(rx: &mpsc::Receiver<String>, seen: &mut Vec<String>, want: &str) {
    wait_until(&format!("a line with {want:?} in {seen:?}"), LIMIT, || {
        while let Ok(l) = rx.try_recv() {
            seen.push(l);
        }
        seen.iter().any(|l| l.contains(want)).then_some(())
    });
}

/// Starts the gated plan and waits until its execute step runs; the runner and the run dir.
fn start_gated(runs: &Runs, plans: &Path, gate: &Path) -> (Child, std::path::PathBuf) {
    let plan = gated(plans);
    let var = format!("gate={}", gate.display());
    let runner = runs.spawn(&["run", &plan, "--headless", "--var", &var]);
    let dir = wait_until("the waiting step", LIMIT, || {
        let d = runs.run_dirs().into_iter().next()?;
        timeline(&d)
            .contains(r#""type":"step_started","step":"execute.wait""#)
            .then_some(d)
    });
    (runner, dir)
}

/// Every file of the run directory and its size.
fn snapshot(dir: &Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| {
            let len = e.metadata().map(|m| m.len()).unwrap_or(0);
            (e.file_name().to_string_lossy().into_owned(), len)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn follow_shows_a_run_as_it_goes_and_ends_with_it() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let gate = plans.path().join("go");
    let (runner, dir) = start_gated(&runs, plans.path(), &gate);
    let id = dir.file_name().unwrap().to_str().unwrap().to_string();

    let mut follow = runs.spawn(&["follow", &id, "--headless"]);
    let rx = lines_of(&mut follow);
    let mut seen = Vec::new();
    wait_line(&rx, &mut seen, "execute.wait started");
    assert!(seen[0].contains(&format!("following {id}")), "{seen:?}");
    assert!(seen.iter().any(|l| l.contains("SLA")), "{seen:?}");
    // The follower is running and the run goes on: it has not ended.
    assert!(!seen.iter().any(|l| l.contains("ended")), "{seen:?}");

    std::fs::write(&gate, "").unwrap();
    wait_line(&rx, &mut seen, "the run ended: completed");
    let status = follow.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{seen:?}");
    assert!(seen.iter().any(|l| l.contains("verify.ok ok")), "{seen:?}");
    let out = runner.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_killed_runner_is_shown_as_stopped_not_finished() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let gate = plans.path().join("never");
    let (mut runner, dir) = start_gated(&runs, plans.path(), &gate);
    let id = dir.file_name().unwrap().to_str().unwrap().to_string();
    let before = snapshot(&dir);
    let mut follow = runs.spawn(&["follow", &id, "--headless"]);
    let rx = lines_of(&mut follow);
    let mut seen = Vec::new();
    wait_line(&rx, &mut seen, "execute.wait started");
    // Following took no lock: nothing else can tell it is there.
    assert_eq!(snapshot(&dir), before);

    runner.kill().unwrap(); // SIGKILL: no record, no seal, the lock simply goes free
    runner.wait().unwrap();
    wait_line(&rx, &mut seen, "the run stopped without ending");
    let status = follow.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{seen:?}");
    let last = seen.last().unwrap();
    assert!(last.contains("interrupted"), "{last}");
    assert!(last.contains(&format!("rollback resume {id}")), "{last}");
    assert!(!seen.iter().any(|l| l.contains("ended:")), "{seen:?}");
    assert_eq!(snapshot(&dir), before, "follow wrote nothing");
    common::stop_left_step(&dir, "execute.wait");
}

#[test]
fn a_sealed_run_is_printed_whole_and_an_unknown_one_is_bad_input() {
    let runs = Runs::new();
    let plan = repo().join("tests/plans/base.yaml").display().to_string();
    let out = runs.run(&[
        "drill",
        &plan,
        "--speed",
        "1000",
        "--headless",
        "--approve-as",
        "ci",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = runs
        .only_run()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let out = runs.run(&["follow", &id, "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("run completed"), "{shown}");
    assert!(
        shown
            .trim_end()
            .ends_with(&format!("its report: rollback report {id}")),
        "{shown}"
    );

    let out = runs.run(&["follow", "nope", "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no run `nope`"), "{}", text(&out));
}

#[test]
fn the_follow_screen_shows_the_run_live_then_how_it_ended() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let gate = plans.path().join("go");
    let (runner, dir) = start_gated(&runs, plans.path(), &gate);
    let id = dir.file_name().unwrap().to_str().unwrap().to_string();
    let t = Tmux::rollback("follow", 100, 30, runs.path(), &format!("follow {id}"));
    // Each on its own wait: a frame reaches the terminal in several writes.
    for want in [
        "FOLLOWING",
        "gated",
        "LIVE",
        "SLA",
        "execute",
        "wait",
        "read-only",
    ] {
        t.wait_for(want);
    }
    // `?` lists the keys; the key that closes the help does not leave.
    t.keys(&["?"]);
    t.wait_for("Follow: keys");
    t.keys(&["q"]);
    wait_until("the help closed", Duration::from_secs(30), || {
        (!t.screen().contains("Follow: keys")).then_some(())
    });
    assert!(t.screen().contains("FOLLOWING"), "q closed only the help");
    std::fs::write(&gate, "").unwrap();
    t.wait_for("the run ended: completed");
    t.wait_for("run completed");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    assert_eq!(runner.wait_with_output().unwrap().status.code(), Some(0));
}

//! Faults: kill -9 mid-step and resume, kills at random moments, a locked run, an edited
//! plan, a tampered timeline, a timeline that cannot be written. The real binary, real
//! processes, real files.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Runs, event_types, repo, text, timeline, wait_until};
use rollback::timeline::journal::read_complete;

fn plan(name: &str) -> String {
    repo().join("tests/plans").join(name).display().to_string()
}

fn kill9(child: &mut std::process::Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill -9");
    let _ = child.wait();
}

/// Waits for the timeline in the (only) run directory to contain `needle`.
fn wait_for_record(runs: &Runs, needle: &str) -> std::path::PathBuf {
    wait_until(needle, Duration::from_secs(20), || {
        let dir = runs.run_dirs().into_iter().next()?;
        timeline(&dir).contains(needle).then_some(dir)
    })
}

#[test]
fn kill_9_mid_step_then_resume_loses_nothing_and_never_duplicates() {
    let runs = Runs::new();
    let p = plan("slow.yaml");
    let mut child = runs.spawn(&["run", &p, "--headless"]);
    let dir = wait_for_record(&runs, r#""type":"step_started","step":"execute.long""#);
    kill9(&mut child);
    let before = timeline(&dir);

    // The command lives on in its own process group and keeps logging.
    let out = runs.run(&[
        "resume",
        dir.to_str().unwrap(),
        "--headless",
        "--rerun-interrupted",
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("waiting for process group"), "{all}");
    assert!(
        all.contains("execute.long attempt 1 was interrupted: outcome unknown"),
        "{all}"
    );

    let after = timeline(&dir);
    assert!(
        after.starts_with(&before),
        "every event recorded before the kill is kept"
    );
    let types = event_types(&dir);
    for t in [
        "run_resumed",
        "step_interrupted",
        "orphan_found",
        "orphan_gone",
        "retry_requested",
        "run_completed",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} missing in {types:?}");
    }
    let log1 = std::fs::read_to_string(dir.join("output/execute.long.1.log")).unwrap();
    assert_eq!(log1, "begin\nend\n", "the orphan finished its own log");
    assert!(
        dir.join("output/execute.long.2.log").exists(),
        "rerun as attempt 2"
    );

    let v = runs.run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
}

/// xorshift: reproducible random moments without a dependency.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn kills_at_random_moments_never_tear_the_record() {
    let iterations: u64 = std::env::var("ROLLBACK_KILL_LOOP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ std::process::id() as u64;
    let p = repo().join("plans/demo.yaml").display().to_string();
    for i in 0..iterations {
        let runs = Runs::new();
        let target = 1 + next(&mut seed) % 22;
        let mut child = runs.spawn(&[&["drill", &p][..], &common::DEMO_DRILL[..]].concat());
        let dir = wait_until("a run directory", Duration::from_secs(20), || {
            runs.run_dirs().into_iter().next()
        });
        // Kill once the record holds `target` lines (or the run ended first).
        wait_until("the kill moment", Duration::from_secs(20), || {
            let lines = timeline(&dir).matches('\n').count() as u64;
            (lines >= target || child.try_wait().ok().flatten().is_some()).then_some(())
        });
        kill9(&mut child);
        let bytes = std::fs::read(dir.join("timeline.jsonl")).unwrap();
        let (records, complete) = read_complete(&bytes).unwrap_or_else(|e| {
            panic!("iteration {i} (seed {seed}): the timeline does not parse: {e}")
        });
        for (n, r) in records.iter().enumerate() {
            assert_eq!(
                r.seq, n as u64,
                "iteration {i}: sequence numbers are contiguous"
            );
        }
        assert!(
            bytes[complete..].iter().all(|b| *b != b'\n'),
            "iteration {i}: only the very end may be unfinished"
        );
        if records.iter().any(|r| r.event.kind() == "run_completed") {
            // Killed after the end: sealed, or killed before the seal and sealed by resume.
            let v = runs.run(&["verify", dir.to_str().unwrap()]);
            if v.status.code() == Some(5) {
                let out = runs.run(&["resume", dir.to_str().unwrap(), "--headless"]);
                assert!(
                    text(&out).contains("sealed now"),
                    "iteration {i}: {}",
                    text(&out)
                );
            } else {
                assert_eq!(v.status.code(), Some(0), "iteration {i}: {}", text(&v));
            }
            let v = runs.run(&["verify", dir.to_str().unwrap()]);
            assert_eq!(v.status.code(), Some(0), "iteration {i}: {}", text(&v));
            continue;
        }
        let out = runs.run(&[
            "resume",
            dir.to_str().unwrap(),
            "--headless",
            "--rerun-interrupted",
            "--kill-orphans",
            "--approve-as",
            "ci",
            "--confirm-manual",
            "--speed",
            "400",
        ]);
        assert_eq!(out.status.code(), Some(0), "iteration {i}: {}", text(&out));
        let v = runs.run(&["verify", dir.to_str().unwrap()]);
        assert_eq!(v.status.code(), Some(0), "iteration {i}: {}", text(&v));
    }
}

#[test]
fn a_second_instance_is_refused_naming_the_holder() {
    let runs = Runs::new();
    let p = plan("slow.yaml");
    let mut child = runs.spawn(&["run", &p, "--headless"]);
    let dir = wait_for_record(&runs, r#""step":"execute.long""#);
    let out = runs.run(&["resume", dir.to_str().unwrap(), "--headless"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains(&format!(
            "the run is open in another rollback: pid {} on ",
            child.id()
        )),
        "{all}"
    );
    assert!(all.contains("(operator tester)"), "{all}");
    let _ = child.wait();
}

#[test]
fn resume_refuses_an_edited_plan_unless_forced_with_the_former_flag_name() {
    let runs = Runs::new();
    let p = plan("slow.yaml");
    let mut child = runs.spawn(&["run", &p, "--headless"]);
    let dir = wait_for_record(&runs, r#""type":"step_started","step":"execute.long""#);
    kill9(&mut child);
    let copy = dir.join("plan.yaml");
    let edited = std::fs::read_to_string(&copy)
        .unwrap()
        .replace("echo captured", "echo changed");
    std::fs::write(&copy, edited).unwrap();

    let out = runs.run(&[
        "resume",
        dir.to_str().unwrap(),
        "--headless",
        "--rerun-interrupted",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("changed since it was recorded"),
        "{}",
        text(&out)
    );
    assert!(
        !timeline(&dir).contains("run_resumed"),
        "a refused resume records nothing"
    );

    let out = runs.run(&[
        "resume",
        dir.to_str().unwrap(),
        "--headless",
        "--rerun-interrupted",
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(timeline(&dir).contains(r#""type":"run_resumed","host""#));
    assert!(timeline(&dir).contains(r#""forced":true"#));
}

#[test]
fn verify_names_the_tampered_line() {
    let runs = Runs::new();
    let dir = common::finished_demo_drill(&runs);
    assert_eq!(
        runs.run(&["verify", dir.to_str().unwrap()]).status.code(),
        Some(0)
    );

    let path = dir.join("timeline.jsonl");
    let original = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    lines[5] = lines[5].replace("\"attempt\":1", "\"attempt\":2");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = runs.run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("timeline.jsonl:6: "), "{}", text(&out));

    std::fs::write(&path, &original).unwrap();
    let log = dir.join("output/capture.backup.1.log");
    std::fs::write(&log, "forged\n").unwrap();
    let out = runs.run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("output/capture.backup.1.log does not match"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_timeline_that_cannot_be_written_stops_the_run_visibly() {
    let runs = Runs::new();
    let p = plan("base.yaml");
    // A file-size limit makes the timeline's writes fail with EFBIG part-way, like a full disk.
    let script = format!(
        "ulimit -f 4; exec {} drill {p} --headless --speed 100 --approve-as ci --confirm-manual",
        common::bin()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("ROLLBACK_RUNS_DIR", runs.path())
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(
        all.contains("the run stopped: the timeline cannot be written"),
        "{all}"
    );
    let dir = runs.only_run();
    let bytes = std::fs::read(dir.join("timeline.jsonl")).unwrap();
    let (records, _) = read_complete(&bytes).expect("what was written is intact");
    assert!(!records.iter().any(|r| r.event.kind() == "run_completed"));
    let started = records
        .iter()
        .filter(|r| r.event.kind() == "step_started")
        .count();
    let finished = records
        .iter()
        .filter(|r| r.event.kind() == "step_finished")
        .count();
    assert!(started <= finished + 1, "no step started after the failure");
    assert!(
        !Path::new(&dir.join("output/verify.ready.1.log")).exists(),
        "later steps never began"
    );
}

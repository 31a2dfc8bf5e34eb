//! The exercise that cuts the session (`orphan:`): the drill ends as a killed run would, its
//! step's command still running in its own process group, and `resume` finds that command,
//! logs the rest of its output, and scores what the trainee decided.

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::Tmux;
use common::{Runs, event_types, text, timeline, wait_until};
use serde_json::Value;

const PLAN: &str = r#"plan: cut
title: A session cut while the backup runs
level: 2
operation: database
automation: semi
sla: 10m
drills:
  lost-session:
    title: The connection drops during the backup
    orphan: {step: capture.backup, lasts: LASTS}
phases:
  - id: capture
    steps:
      - id: backup
        run: pg_dump --format=custom --file=backup.dump
        simulate:
          duration: 2s
          output: [dumping orders, dumping payments, backup.dump written]
  - id: execute
    steps:
      - id: undo
        run: ./undo.sh
        simulate: {duration: 1s}
  - id: verify
    steps:
      - id: ready
        check: 'true'
        simulate: {duration: 1s}
"#;

fn plan(runs: &Runs, lasts: &str) -> String {
    let p = runs.path().join("cut.yaml");
    std::fs::write(&p, PLAN.replace("LASTS", lasts)).unwrap();
    p.display().to_string()
}

fn records(run: &Path) -> Vec<Value> {
    timeline(run)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The process group recorded for the step's first attempt.
fn recorded_pgid(run: &Path) -> i32 {
    let rs = records(run);
    let started = rs
        .iter()
        .find(|r| r["type"] == "step_started" && r["step"] == "capture.backup")
        .expect("the backup started");
    started["pgid"].as_i64().expect("a real process group") as i32
}

/// Live members of group `pgid` as `(pid, command)`, from /proc. Zombies do not count: a
/// container's init may never reap them.
fn members(pgid: i32) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let name = head.split_once(" (").map_or("", |(_, n)| n);
        let fields: Vec<&str> = rest.split(' ').collect();
        let live = !matches!(fields.first(), Some(&"Z") | Some(&"X"));
        if live && fields.get(2).and_then(|p| p.parse::<i32>().ok()) == Some(pgid) {
            out.push((pid, name.to_string()));
        }
    }
    out
}

fn group_alive(pgid: i32) -> bool {
    !members(pgid).is_empty()
}

/// The pipe the command writes its output into, as /proc names it (`pipe:[inode]`).
fn output_pipe(pgid: i32) -> String {
    let (pid, _) = members(pgid)[0];
    std::fs::read_link(format!("/proc/{pid}/fd/1"))
        .unwrap()
        .display()
        .to_string()
}

/// Whether process `pid` holds `pipe` open.
fn holds(pid: u32, pipe: &str) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.flatten().any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|l| l.display().to_string() == pipe)
            })
        })
        .unwrap_or(false)
}

/// Kills the command's group when the test ends, however it ends.
struct Reaper(i32);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .status();
    }
}

#[test]
fn the_cut_leaves_the_command_running_and_nothing_after_it_recorded() {
    let runs = Runs::new();
    let p = plan(&runs, "10m");
    let out = runs.run(&["drill", &p, "--headless", "--exercise", "lost-session"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let run = runs.only_run();
    let id = run.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        all.contains("DRILL: the session was cut while capture.backup ran (a dropped connection)."),
        "{all}"
    );
    assert!(all.contains(&format!("rollback resume {id}")), "{all}");
    let pgid = recorded_pgid(&run);
    let _reaper = Reaper(pgid);
    assert!(group_alive(pgid), "the command outlives the cut session");
    // As after kill -9: the last record is the step's start, the run is not sealed.
    assert_eq!(event_types(&run).last().unwrap(), "step_started");
    assert!(!run.join("timeline.seal").exists());
    let rs = records(&run);
    assert_eq!(rs[0]["drill"]["orphan"][0], "capture.backup");

    // Resumed, the trainee kills it: the decision is recorded, then the group's end.
    let out = runs.run(&["resume", &id, "--headless", "--kill-orphans"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!group_alive(pgid), "--kill-orphans kills the whole group");
    let rs = records(&run);
    let decided = rs
        .iter()
        .find(|r| r["type"] == "orphan_decided")
        .expect("the decision is recorded");
    assert_eq!(decided["kill"], true);
    assert_eq!(decided["by"], "tester");
    assert_eq!(decided["pgid"].as_i64(), Some(pgid as i64));
    let gone = rs.iter().find(|r| r["type"] == "orphan_gone").unwrap();
    assert_eq!(gone["killed"], true);

    // The step's outcome is unknown: re-running it ends the drill, and is not cut again.
    let out = runs.run(&["resume", &id, "--headless", "--rerun-interrupted"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("DRILL: the session was cut"));
}

#[test]
fn waiting_for_the_command_logs_the_rest_of_its_output_and_scores_the_trainee() {
    let runs = Runs::new();
    let p = plan(&runs, "10m");
    let out = runs.run(&["drill", &p, "--headless", "--exercise", "lost-session"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let run = runs.only_run();
    let id = run.file_name().unwrap().to_string_lossy().into_owned();
    let pgid = recorded_pgid(&run);
    let _reaper = Reaper(pgid);
    let pipe = output_pipe(pgid);
    let mut resumed = runs.spawn(&["resume", &id, "--headless"]);
    // Once resume reads the command's output, whatever it writes next is logged.
    wait_until(
        "resume to read the command's output",
        Duration::from_secs(30),
        || holds(resumed.id(), &pipe).then_some(()),
    );
    // Each pause of the command is a `sleep`; ending them plays the rest of it at once.
    wait_until("the command to end", Duration::from_secs(30), || {
        for (pid, _) in members(pgid).into_iter().filter(|(_, c)| c == "sleep") {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        event_types(&run)
            .iter()
            .any(|t| t == "orphan_gone")
            .then_some(())
    });
    let status = wait_until("resume to stop", Duration::from_secs(30), || {
        resumed.try_wait().unwrap()
    });
    // Whether the backup finished cannot be known from outside: a person must say.
    assert_eq!(status.code(), Some(1));
    let log = std::fs::read_to_string(run.join("output/capture.backup.1.log")).unwrap();
    assert!(log.contains("dumping orders"), "{log}");
    assert!(
        log.contains("backup.dump written"),
        "logged after the cut: {log}"
    );
    let rs = records(&run);
    let decided = rs.iter().find(|r| r["type"] == "orphan_decided").unwrap();
    assert_eq!(decided["kill"], false);

    let out = runs.run(&["resume", &id, "--headless", "--rerun-interrupted"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("report.json")).unwrap()).unwrap();
    let kinds: Vec<&str> = report["drill"]["decisions"]
        .as_array()
        .expect("a score card")
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"resume"), "{kinds:?}");
    assert!(kinds.contains(&"wait_orphan"), "{kinds:?}");
    let resume = report["drill"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "resume")
        .unwrap();
    assert!(resume["real_ms"].as_u64().is_some(), "{resume}");
    // The log the command went on writing after the cut is part of the record.
    let out = runs.run(&["verify", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn in_the_terminal_the_screen_gives_way_to_the_cut_and_resume_asks_about_the_command() {
    let runs = Runs::new();
    let p = plan(&runs, "10m");
    let t = Tmux::rollback(
        "cut",
        80,
        24,
        runs.path(),
        &format!("drill {p} --exercise lost-session"),
    );
    t.wait_for("enter start the rollback");
    t.keys(&["Enter"]);
    let screen = t.wait_for("EXIT=1");
    assert!(screen.contains("DRILL: the session was cut"), "{screen}");
    let run = runs.only_run();
    let id = run.file_name().unwrap().to_string_lossy().into_owned();
    let pgid = recorded_pgid(&run);
    let _reaper = Reaper(pgid);
    assert!(group_alive(pgid));
    drop(t);

    let t = Tmux::rollback("cut-resume", 80, 24, runs.path(), &format!("resume {id}"));
    t.wait_for("from before");
    t.wait_keys("k kill it");
    t.keys(&["k"]);
    wait_until("the group to be killed", Duration::from_secs(30), || {
        (!group_alive(pgid)).then_some(())
    });
    t.wait_for("Interrupted");
    let rs = records(&run);
    assert!(
        rs.iter()
            .any(|r| r["type"] == "orphan_decided" && r["kill"] == true),
        "{rs:?}"
    );
}

#[test]
fn validate_names_an_unknown_step_to_cut() {
    let runs = Runs::new();
    let p = runs.path().join("bad.yaml");
    std::fs::write(
        &p,
        PLAN.replace("LASTS", "1m")
            .replace("step: capture.backup", "step: capture.bakup"),
    )
    .unwrap();
    let out = runs.run(&["validate", &p.display().to_string()]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(":10:20: error: exercise `lost-session`: the plan has no step `capture.bakup`, did you mean `capture.backup`? [drill]"),
        "{all}"
    );
}

//! A runs directory is untrusted input: whoever can write there may leave a FIFO, a device
//! or a link in place of a record, a line of 100 MB, or a name full of escape sequences.
//! Every command that reads recorded runs answers at once, reports the damage, never
//! writes through a link, prints names escaped and reads in bounded memory.

mod common;

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Runs, finished_demo_drill, text};

/// Runs `cmd` with its output collected, for at most `limit` (see `within`).
fn run_within(cmd: &mut std::process::Command, limit: Duration, what: &str) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    within(child, limit, what)
}

/// Waits for `child` at most `limit`; kills it and fails the test if it hangs.
fn within(mut child: Child, limit: Duration, what: &str) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{what} hung on a hostile run directory: {}", text(&out));
        }
        std::thread::park_timeout(Duration::from_millis(10));
    }
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::S_IRWXU).unwrap();
}

#[test]
fn fifos_in_place_of_records_are_damage_never_waited_on() {
    let runs = Runs::new();
    let run = finished_demo_drill(&runs);
    let id = run.file_name().unwrap().to_str().unwrap().to_string();
    // A second run whose every file is a FIFO, and one whose plan copy and lock are.
    let fifo_run = runs.path().join("2026-01-01T00-00-00Z-fifo");
    std::fs::create_dir(&fifo_run).unwrap();
    for name in ["timeline.jsonl", "plan.yaml", "lock", "timeline.seal"] {
        mkfifo(&fifo_run.join(name));
    }
    mkfifo(&run.join("timeline.seal"));
    let limit = Duration::from_secs(10);
    let root = runs.path().to_str().unwrap();
    for args in [
        vec!["verify", id.as_str()],
        vec!["verify", "2026-01-01T00-00-00Z-fifo"],
        vec!["runs"],
        vec!["stats", root],
        vec!["ready", "plans/demo.yaml", "--runs", root],
        vec!["report", id.as_str()],
        vec!["follow", "--headless", "2026-01-01T00-00-00Z-fifo"],
        vec!["prune", "--older-than", "365d", root],
    ] {
        let mut cmd = runs.cmd(&args);
        let out = run_within(cmd.current_dir(common::repo()), limit, &args.join(" "));
        assert!(out.status.code().is_some(), "{args:?}: {}", text(&out));
    }
    let out = runs.run(&["verify", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("a FIFO, not a regular file"),
        "{}",
        text(&out)
    );
}

#[test]
fn reports_are_never_written_through_a_link() {
    let runs = Runs::new();
    let run = finished_demo_drill(&runs);
    let victim = runs.path().join("victim");
    std::fs::write(&victim, "keep me\n").unwrap();
    for name in ["report.md", "report.json"] {
        std::fs::remove_file(run.join(name)).unwrap();
        std::os::unix::fs::symlink(&victim, run.join(name)).unwrap();
    }
    let out = runs.run(&["report", run.to_str().unwrap(), "--set", "users_affected=3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    let md = std::fs::symlink_metadata(run.join("report.md")).unwrap();
    assert!(md.is_file(), "the link was replaced by the report");

    std::os::unix::fs::symlink(&victim, run.join("impact.jsonl.new")).unwrap();
    std::fs::remove_file(run.join("impact.jsonl")).unwrap();
    std::os::unix::fs::symlink(&victim, run.join("impact.jsonl")).unwrap();
    let out = runs.run(&["report", run.to_str().unwrap(), "--set", "users_affected=4"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
}

#[test]
fn names_from_the_runs_directory_are_printed_escaped() {
    let runs = Runs::new();
    let run = finished_demo_drill(&runs);
    let evil = runs
        .path()
        .join("2026-01-01T00-00-00Z-demo\u{1b}]0;pwned\u{7}\u{1b}[2J");
    std::fs::rename(&run, &evil).unwrap();
    for args in [
        vec!["runs"],
        vec!["verify", evil.to_str().unwrap()],
        vec!["follow", "--headless", evil.to_str().unwrap()],
        vec!["stats", runs.path().to_str().unwrap()],
        vec![
            "prune",
            "--older-than",
            "365d",
            "--now",
            "2099-01-01T00:00:00Z",
        ],
    ] {
        let out = runs.run(&args);
        let shown = text(&out);
        assert!(
            !shown.contains('\u{1b}'),
            "{args:?} printed ESC raw: {shown:?}"
        );
        assert!(
            !shown.contains('\u{7}'),
            "{args:?} printed BEL raw: {shown:?}"
        );
    }
}

/// Peak resident memory (kB) of `child`, waited for here.
fn peak_kb(child: Child) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value to be written into by wait4.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid with valid pointers.
    let pid = unsafe { nix::libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    (nix::libc::WEXITSTATUS(status), usage.ru_maxrss)
}

#[test]
fn a_100_mb_line_and_a_long_timeline_are_read_in_bounded_memory() {
    use rollback::engine::record::{GENESIS, encode};
    use rollback::engine::{Event, Mode};
    let runs = Runs::new();
    let dir = runs.path().join("2026-01-01T00-00-00Z-long");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("lock"), "").unwrap();
    let mut text = String::new();
    let mut prev = GENESIS.to_string();
    for seq in 0..100_000u64 {
        let e = Event::Note {
            by: "a".into(),
            text: format!("note {seq}"),
        };
        let (line, hash) = encode(seq, 1, seq, Mode::Drill, "a", &e, &prev);
        text.push_str(&line);
        prev = hash;
    }
    std::fs::write(dir.join("timeline.jsonl"), &text).unwrap();
    let verify = |runs: &Runs| {
        let child = runs
            .cmd(&["verify", dir.to_str().unwrap()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        peak_kb(child)
    };
    let (code, long_kb) = verify(&runs);
    assert_eq!(code, 5, "a long unsealed chain that holds");

    // One line of 100 MB in the middle: damage, found in the memory of one record.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("timeline.jsonl"))
        .unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..100 {
        std::io::Write::write_all(&mut f, &chunk).unwrap();
    }
    std::io::Write::write_all(&mut f, b"\n").unwrap();
    drop(f);
    let (code, huge_kb) = verify(&runs);
    assert_eq!(code, 1, "the huge line is damage");
    for kb in [long_kb, huge_kb] {
        assert!(kb < 50 * 1024, "verify used {kb} kB");
    }
    let child = runs
        .cmd(&["stats", runs.path().to_str().unwrap()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (_, stats_kb) = peak_kb(child);
    assert!(stats_kb < 50 * 1024, "stats used {stats_kb} kB");
}

/// A file outside the runs directory that links planted inside point at.
fn victim(dir: &Path) -> std::path::PathBuf {
    let v = dir.join("victim");
    std::fs::write(&v, "keep me\n").unwrap();
    v
}

fn link(target: &Path, at: &Path) {
    let _ = std::fs::remove_file(at);
    let _ = std::fs::remove_dir_all(at);
    std::os::unix::fs::symlink(target, at).unwrap();
}

#[test]
fn links_planted_in_a_run_directory_are_never_written_through() {
    let outside = tempfile::tempdir().unwrap();
    let victim = victim(outside.path());
    let runs = Runs::new();
    let base = common::repo().join("tests/plans/base.yaml");
    // A run left at its manual check: resumable, with its lock.
    let out = runs.run(&["run", base.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let left = runs.only_run();
    link(&victim, &left.join("lock"));
    let out = runs.run(&["resume", left.to_str().unwrap(), "--headless"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    std::fs::remove_file(left.join("lock")).unwrap();
    std::fs::write(left.join("lock"), "").unwrap();

    // Its output directory a link elsewhere: nothing is logged there.
    let elsewhere = outside.path().join("logs");
    std::fs::create_dir(&elsewhere).unwrap();
    link(&elsewhere, &left.join("output"));
    let out = runs.run(&[
        "resume",
        left.to_str().unwrap(),
        "--headless",
        "--confirm-manual",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("not a directory of the run"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);

    // A run directory that is a link: never found by its id, never reported into.
    let target = outside.path().join("run-copy");
    std::fs::create_dir(&target).unwrap();
    for e in std::fs::read_dir(finished_demo_drill(&Runs::new())).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), target.join(e.file_name())).unwrap();
        }
    }
    let before = std::fs::read_dir(&target).unwrap().count();
    link(&target, &runs.path().join("2020-01-01T00-00-00Z-linked"));
    let out = runs.run(&["report", "2020-01-01T00", "--set", "users_affected=1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), before);

    // `.watch` a link: the watch does not record through it.
    let watched = outside.path().join("watched");
    std::fs::create_dir(&watched).unwrap();
    link(&watched, &runs.path().join(".watch"));
    let fires = runs.path().join("fires.yaml");
    let head = include_str!("plans/base.yaml")
        .split("triggers:")
        .next()
        .unwrap();
    std::fs::write(
        &fires,
        format!("{head}triggers:\n  - {{name: now, command: echo 1, condition: result > 0.0, severity: critical, interval: 100ms, failure_limit: 0}}\n"),
    )
    .unwrap();
    let child = runs
        .cmd(&[
            "watch",
            fires.to_str().unwrap(),
            "--headless",
            "--approve-as",
            "ci",
            "--confirm-manual",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = within(child, Duration::from_secs(30), "watch");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_dir(&watched).unwrap().count(), 0);
}

#[test]
fn a_validation_record_or_lock_that_is_a_link_or_a_fifo_is_refused_at_once() {
    let outside = tempfile::tempdir().unwrap();
    let victim = victim(outside.path());
    let runs = Runs::new();
    let plan = runs.path().join("plan.yaml");
    let base = include_str!("plans/base.yaml");
    let head = base.split("triggers:").next().unwrap();
    std::fs::write(
        &plan,
        format!(
            "{head}post_rollback:\n  post_checks:\n    - {{window: immediate, check: 'true'}}\n"
        ),
    )
    .unwrap();
    let out = runs.run(&[
        "run",
        plan.to_str().unwrap(),
        "--headless",
        "--approve-as",
        "ci",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = runs.only_run();
    let run_s = run.to_str().unwrap();
    for name in ["validation.lock", "validation.jsonl"] {
        link(&victim, &run.join(name));
        let mut cmd = runs.cmd(&["watch", "--validate", run_s]);
        let out = run_within(&mut cmd, Duration::from_secs(10), "watch --validate");
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
        std::fs::remove_file(run.join(name)).unwrap();
    }
    mkfifo(&run.join("validation.jsonl"));
    let mut cmd = runs.cmd(&["watch", "--validate", run_s]);
    let out = run_within(
        &mut cmd,
        Duration::from_secs(10),
        "watch --validate on a FIFO",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

//! The terminal going away under each screen, in tmux: the session is killed, which closes
//! the pty. Either the binary is in the terminal's session (it gets SIGHUP, then its tty
//! reads EOF), or it runs in a session of its own (setsid), where no SIGHUP reaches it and
//! only the dead tty tells. Each time the process must end within a deadline (or, while
//! a step it waits for runs, stay nearly idle), and the record says so where there is one.

mod common;
mod validation_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::tmux::Tmux;
use common::{Runs, gated, repo, text, timeline, wait_until};
use validation_support::{ended, of_type, segment};

const LIMIT: Duration = Duration::from_secs(20);

/// How the terminal goes away.
#[derive(Clone, Copy, PartialEq)]
enum Lose {
    /// The terminal's session is killed and the binary is in it: SIGHUP, and EOF.
    Session,
    /// The binary has a session of its own, with no controlling terminal: its tty reads
    /// EOF (or EIO) and no SIGHUP comes.
    NoSignal,
}

/// The binary on a screen in tmux, and what it left behind.
struct Screen {
    t: Tmux,
    pid: u32,
    code: PathBuf,
}

impl Screen {
    /// Runs `rollback ARGS` against `runs` in a 100x30 terminal, as `lose` needs it.
    fn start(name: &str, runs: &Runs, args: &str, lose: Lose) -> Screen {
        let at = |what: &str| runs.path().join(format!("{name}.{what}"));
        let (pid, code, script) = (at("pid"), at("code"), at("sh"));
        std::fs::write(
            &script,
            format!(
                "cd {repo}\nexport USER=tester ROLLBACK_RUNS_DIR={runs}\nsh -c 'echo $$ > {pid}; exec {bin} {args}'\necho $? > {code}\n",
                repo = repo().display(),
                runs = runs.path().display(),
                pid = pid.display(),
                bin = common::bin(),
                code = code.display(),
            ),
        )
        .unwrap();
        let command = match lose {
            Lose::Session => format!("exec sh {}", script.display()),
            Lose::NoSignal => format!("exec setsid -w sh {}", script.display()),
        };
        let t = Tmux::start(name, 100, 30, &command);
        let pid = wait_until("the binary's pid", LIMIT, || {
            std::fs::read_to_string(&pid).ok()?.trim().parse().ok()
        });
        if lose == Lose::NoSignal {
            assert_eq!(
                stat(pid).map(|s| s[4].clone()).as_deref(),
                Some("0"),
                "no controlling terminal, so no SIGHUP can reach it"
            );
        }
        Screen { t, pid, code }
    }

    /// Kills the terminal (its tmux session): the pty is closed.
    fn lose(self) -> (u32, PathBuf) {
        (self.pid, self.code)
    }

    /// The process ended, within the deadline.
    fn ends(pid: u32) {
        wait_until("the process to end", LIMIT, || (!alive(pid)).then_some(()));
    }
}

/// `/proc/PID/stat` from the state on (field 3 is index 0).
fn stat(pid: u32) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    Some(rest.split_whitespace().map(String::from).collect())
}

/// Running, and not a zombie waiting to be reaped.
fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|s| s[0] != "Z")
}

/// User and system time of the whole process (all threads), in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let s = stat(pid).expect("the process is there");
    s[11].parse::<u64>().unwrap() + s[12].parse::<u64>().unwrap()
}

/// The share of one core the process used over about `over`.
fn cpu_share(pid: u32, over: Duration) -> f64 {
    let tck: f64 = String::from_utf8(
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    let (before, from) = (cpu_ticks(pid), Instant::now());
    wait_until("the interval to pass", over * 3, || {
        (from.elapsed() >= over).then_some(())
    });
    let used = (cpu_ticks(pid) - before) as f64 / tck;
    used / from.elapsed().as_secs_f64()
}

/// The exit code the script wrote once the binary ended (only without SIGHUP: with it, the
/// shell that would write it is gone too).
fn exit_code(code: &Path) -> i32 {
    wait_until("the exit code", LIMIT, || {
        std::fs::read_to_string(code).ok()?.trim().parse().ok()
    })
}

const HANGUP_PLAN: &str = "plan: hangup\ntitle: Hang-up\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {id: save, run: echo saved}\n  - id: execute\n    steps:\n      - {id: long, run: 'until [ -e \"$ROLLBACK_RUN_DIR/go\" ]; do sleep 0.05; done; touch \"$ROLLBACK_RUN_DIR/long.done\"'}\n      - {id: next, run: 'touch \"$ROLLBACK_RUN_DIR/next.done\"'}\n  - id: verify\n    steps:\n      - {id: ok, check: 'true'}\n";

/// The run screen loses its terminal mid-step: the hang-up is recorded, the process waits
/// for the step nearly idle, then ends; nothing more started.
fn the_run_screen_loses_its_terminal(lose: Lose) {
    let runs = Runs::new();
    let plan = runs.path().join("hangup.yaml");
    std::fs::write(&plan, HANGUP_PLAN).unwrap();
    let name = if lose == Lose::Session {
        "gone-run"
    } else {
        "gone-run-eof"
    };
    let s = Screen::start(name, &runs, &format!("run {}", plan.display()), lose);
    s.t.wait_for("Your name");
    s.t.keys(&["Enter"]);
    let dir = wait_until("the long step", LIMIT, || {
        let dir = runs.run_dirs().into_iter().next()?;
        timeline(&dir)
            .contains(r#""type":"step_started","step":"execute.long""#)
            .then_some(dir)
    });
    let (pid, _) = s.lose();
    wait_until("the hang-up to be recorded", LIMIT, || {
        timeline(&dir)
            .contains("the terminal hung up")
            .then_some(())
    });
    assert!(alive(pid), "it waits for the running step");
    let share = cpu_share(pid, Duration::from_secs(2));
    assert!(
        share < 0.05,
        "waiting for the step used {:.0}% of a core",
        share * 100.0
    );
    std::fs::write(dir.join("go"), "").unwrap();
    Screen::ends(pid);
    let tl = timeline(&dir);
    assert!(
        tl.contains(r#""step":"execute.long","attempt":1,"outcome":"ok""#),
        "{tl}"
    );
    assert!(!dir.join("next.done").exists(), "nothing started after it");
}

#[test]
fn the_run_screen_records_the_hang_up_and_waits_for_the_step_without_spinning() {
    the_run_screen_loses_its_terminal(Lose::Session);
}

#[test]
fn the_run_screen_sees_a_dead_terminal_without_sighup() {
    the_run_screen_loses_its_terminal(Lose::NoSignal);
}

#[test]
fn the_watch_screen_records_that_the_terminal_closed() {
    let runs = Runs::new();
    let s = Screen::start(
        "gone-watch",
        &runs,
        "watch tests/plans/base.yaml",
        Lose::Session,
    );
    s.t.wait_for("errors");
    let (pid, _) = s.lose();
    Screen::ends(pid);
    let dir = runs.path().join(".watch");
    let journal = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let last: serde_json::Value = std::fs::read_to_string(journal)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .next_back()
        .unwrap();
    assert_eq!(last["type"], "watch_stopped", "{last}");
    assert_eq!(last["by"], "the terminal closed", "{last}");
}

#[test]
fn the_validation_screen_records_leaving_and_ends() {
    let runs = Runs::new();
    let plan = runs.path().join("windows.yaml");
    std::fs::write(
        &plan,
        "plan: on-screen\ntitle: Windows on screen\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {id: save, run: echo saved}\n  - id: execute\n    steps:\n      - {id: undo, run: echo undone}\n  - id: verify\n    steps:\n      - {id: ok, check: 'true'}\npost_rollback:\n  windows: {immediate: 10m, short-term: 20m, long-term: 30m}\n  post_checks:\n    - {window: immediate, title: health, check: 'true', interval: 200ms}\n",
    )
    .unwrap();
    let s = Screen::start(
        "gone-valid",
        &runs,
        &format!("run {}", plan.display()),
        Lose::Session,
    );
    s.t.wait_for("Your name");
    s.t.keys(&["Enter"]);
    s.t.wait_for("run completed");
    s.t.keys(&["q"]);
    s.t.wait_for("VALIDATION");
    s.t.wait_for("health");
    let (pid, _) = s.lose();
    Screen::ends(pid);
    let records = segment(&runs.only_run());
    let left = of_type(&records, "validation_left");
    assert_eq!(left.len(), 1, "{records:?}");
    assert_eq!(left[0]["reason"], "the terminal closed", "{records:?}");
    assert_eq!(ended(&records), None, "watch --validate goes on from here");
}

#[test]
fn the_follow_screen_ends_when_its_terminal_dies() {
    let runs = Runs::new();
    let plans = tempfile::tempdir().unwrap();
    let gate = plans.path().join("go");
    let plan = gated(plans.path());
    let var = format!("gate={}", gate.display());
    let runner = runs.spawn(&["run", &plan, "--headless", "--var", &var]);
    let dir = wait_until("the waiting step", LIMIT, || {
        let d = runs.run_dirs().into_iter().next()?;
        timeline(&d)
            .contains(r#""step":"execute.wait""#)
            .then_some(d)
    });
    let id = dir.file_name().unwrap().to_string_lossy().into_owned();
    let s = Screen::start(
        "gone-follow",
        &runs,
        &format!("follow {id}"),
        Lose::NoSignal,
    );
    s.t.wait_for("FOLLOWING");
    let (pid, code) = s.lose();
    Screen::ends(pid);
    assert_eq!(exit_code(&code), 0, "the run goes on: nothing failed");
    std::fs::write(&gate, "").unwrap();
    let out = runner.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn the_dashboard_ends_when_its_terminal_dies_under_a_report() {
    let runs = Runs::new();
    let base = repo().join("tests/plans/base.yaml").display().to_string();
    let out = runs.run(&[
        "rehearse",
        &base,
        "--headless",
        "--approve-as",
        "ci",
        "--confirm-manual",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = Screen::start("gone-dash", &runs, "dashboard", Lose::NoSignal);
    s.t.wait_for("✔ completed");
    s.t.keys(&["Enter"]);
    s.t.wait_for("# Rollback report");
    let (pid, code) = s.lose();
    Screen::ends(pid);
    assert_eq!(exit_code(&code), 0);
}

#[test]
fn the_start_form_ends_when_its_terminal_dies_and_nothing_starts() {
    let runs = Runs::new();
    let s = Screen::start(
        "gone-start",
        &runs,
        "run tests/plans/base.yaml",
        Lose::NoSignal,
    );
    s.t.wait_for("Your name");
    let (pid, code) = s.lose();
    Screen::ends(pid);
    assert_eq!(exit_code(&code), 0);
    assert!(runs.run_dirs().is_empty(), "nothing was started");
}

//! End to end in a real terminal: the binary in tmux, driven with send-keys and read with
//! capture-pane, waiting on what the screen shows (with a deadline, never a fixed sleep).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::tmux::Tmux;
use common::{Runs, bin, repo, wait_until};

/// The shell line tmux runs: the binary, then its exit code and the terminal settings.
fn script(runs: &Path, args: &str, stty: &Path) -> String {
    format!(
        "cd {repo} && env USER=tester ROLLBACK_RUNS_DIR={runs} {bin} {args}; echo EXIT=$?; stty -a > {stty}; sleep 600",
        repo = repo().display(),
        runs = runs.display(),
        bin = bin(),
        stty = stty.display(),
    )
}

fn timeline(runs: &Runs) -> (PathBuf, String) {
    let dir = runs.only_run();
    let t = std::fs::read_to_string(dir.join("timeline.jsonl")).unwrap();
    (dir, t)
}

fn restored(stty: &Path) {
    let s = wait_until("stty output", Duration::from_secs(10), || {
        std::fs::read_to_string(stty).ok().filter(|s| !s.is_empty())
    });
    assert!(
        !s.contains("-icanon") && s.contains("icanon"),
        "canonical mode is back: {s}"
    );
    assert!(
        !s.contains("-echo ") && s.contains(" echo "),
        "echo is back: {s}"
    );
}

#[test]
fn a_live_run_of_the_demo_plan_from_start_to_finish() {
    let runs = Runs::new();
    let stty = runs.path().join("stty.txt");
    let t = Tmux::start(
        "live",
        100,
        30,
        &script(runs.path(), "run plans/demo.yaml", &stty),
    );
    t.wait_for("Config version to roll back to");
    t.type_text("41");
    t.keys(&["Enter"]);
    t.wait_for("Service name");
    t.keys(&["Enter"]);
    t.keys(&["Enter"]);
    t.wait_for("Approval gate");
    t.wait_keys("enter approve");
    t.type_text("dana");
    t.keys(&["Enter"]);
    t.wait_for("Point of no return");
    t.wait_keys("y confirm");
    t.keys(&["y"]);
    t.wait_for("Manual check");
    t.wait_keys("enter confirm");
    t.type_text("pool back to 50");
    t.keys(&["Enter"]);
    let done = t.wait_for("Run completed");
    assert!(done.contains("SLA met"), "{done}");
    // The summary came up on the Enter that confirmed the check: it takes Enter again once
    // it shows its keys.
    t.wait_keys("enter/q quit");
    t.keys(&["Enter"]);
    let after = t.wait_for("EXIT=0");
    assert!(after.contains("run completed: rollback report"), "{after}");
    restored(&stty);

    let (dir, tl) = timeline(&runs);
    assert!(
        tl.contains(r#""mode":"live","operator":"tester","type":"run_started""#),
        "{tl}"
    );
    assert!(tl.contains(r#""type":"approved","step":"prepare.go","by":"dana""#));
    assert!(
        tl.contains(r#""type":"point_of_no_return_confirmed","step":"execute.swap","by":"tester""#)
    );
    assert!(tl.contains(r#""type":"manual_confirmed","step":"verify.eyeball","by":"tester","note":"pool back to 50""#));
    assert!(tl.contains(r#""type":"run_completed""#));
    let live = std::fs::read_to_string(dir.join("live/app.conf")).unwrap();
    assert!(
        live.contains("config_version=41"),
        "the demo really ran: {live}"
    );
    let v = runs.run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0));
}

#[test]
fn a_drill_with_a_failing_step_is_retried_from_the_failure_dialog() {
    let runs = Runs::new();
    let stty = runs.path().join("stty.txt");
    let args = "drill plans/demo.yaml --speed 20 --var version=7 --fail prepare.stage";
    let t = Tmux::start("drill", 80, 24, &script(runs.path(), args, &stty));
    t.start_demo();
    t.wait_for("Step failed: prepare.stage");
    let failed = t.wait_keys("r retry");
    assert!(failed.contains("DRILL"), "{failed}");
    t.keys(&["r"]);
    t.wait_for("Approval gate");
    t.through_demo();
    t.wait_for("Run completed");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    restored(&stty);
    let (_, tl) = timeline(&runs);
    assert!(
        tl.contains(r#""type":"retry_requested","step":"prepare.stage","by":"tester""#),
        "{tl}"
    );
    assert!(
        tl.contains(r#""step":"prepare.stage","attempt":2,"outcome":"ok""#),
        "{tl}"
    );
}

#[test]
fn closing_the_terminal_mid_step_lets_it_finish_and_keeps_the_run_resumable() {
    let runs = Runs::new();
    let plan = runs.path().join("hangup.yaml");
    std::fs::write(
        &plan,
        "plan: hangup\ntitle: Hang-up\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {id: save, run: echo saved}\n  - id: execute\n    steps:\n      - {id: long, run: 'until [ -e \"$ROLLBACK_RUN_DIR/go\" ]; do sleep 0.05; done; touch \"$ROLLBACK_RUN_DIR/long.done\"'}\n      - {id: next, run: 'touch \"$ROLLBACK_RUN_DIR/next.done\"'}\n  - id: verify\n    steps:\n      - {id: ok, check: 'true'}\n",
    )
    .unwrap();
    let command = format!(
        "env USER=tester ROLLBACK_RUNS_DIR={} {} run {}",
        runs.path().display(),
        bin(),
        plan.display()
    );
    let t = Tmux::start("hangup", 80, 24, &command);
    t.wait_for("Your name");
    t.keys(&["Enter"]);
    t.wait_for("long");
    let (dir, tl) = wait_until("the long step", Duration::from_secs(20), || {
        let (dir, tl) = timeline(&runs);
        tl.contains(r#""type":"step_started","step":"execute.long""#)
            .then_some((dir, tl))
    });
    let pid = tl
        .lines()
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v["pid"].as_u64().filter(|_| v["type"] == "run_started")
        })
        .expect("the run's pid is recorded");
    drop(t); // kill-session: the terminal goes away
    // The step goes on after the hang-up, and ends only when the test lets it.
    wait_until(
        "the hang-up to be recorded",
        Duration::from_secs(20),
        || {
            timeline(&runs)
                .1
                .contains("the terminal hung up")
                .then_some(())
        },
    );
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "it waits for the step"
    );
    std::fs::write(dir.join("go"), "").unwrap();
    wait_until("rollback to end", Duration::from_secs(20), || {
        (!Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    });
    let (_, tl) = timeline(&runs);
    assert!(tl.contains("the terminal hung up"), "{tl}");
    assert!(
        tl.contains(r#""step":"execute.long","attempt":1,"outcome":"ok""#),
        "{tl}"
    );
    assert!(dir.join("long.done").exists());
    assert!(!dir.join("next.done").exists(), "nothing started after it");
    let out = runs.run(&["resume", dir.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
}

/// The start screen with its escape sequences, for `--color` and `NO_COLOR`.
fn start_screen_sgr(args: &str, no_color: bool) -> String {
    let runs = Runs::new();
    let env = if no_color { "NO_COLOR=1" } else { "NO_COLOR=" };
    let command = format!(
        "cd {} && env {env} ROLLBACK_RUNS_DIR={} {} drill plans/demo.yaml {args}; sleep 600",
        repo().display(),
        runs.path().display(),
        bin()
    );
    let t = Tmux::start("color", 80, 24, &command);
    t.wait_for("Config version to roll back to");
    let out = Command::new("tmux")
        .args(["capture-pane", "-p", "-e", "-t", &t.name])
        .output()
        .expect("capture-pane");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn color_follows_the_flag_over_no_color() {
    // A foreground colour is SGR 30–37, 90–97 or 38;…
    let coloured = |s: &str| {
        s.split("\x1b[").skip(1).any(|seq| {
            let params = seq.split('m').next().unwrap_or("");
            params
                .split(';')
                .any(|p| matches!(p.parse::<u8>(), Ok(30..=38 | 90..=97)))
        })
    };
    assert!(coloured(&start_screen_sgr("", false)), "colour by default");
    assert!(!coloured(&start_screen_sgr("", true)), "NO_COLOR honoured");
    assert!(!coloured(&start_screen_sgr("--color never", false)));
    assert!(coloured(&start_screen_sgr("--color always", true)));
}

#[test]
fn the_start_screen_scrolls_to_every_field_at_80x24() {
    let runs = Runs::new();
    let stty = runs.path().join("stty.txt");
    // Eight questions, each with a default, do not fit under the plan's summary at 80x24.
    let mut vars = String::from("vars:\n");
    for n in 1..=8 {
        vars.push_str(&format!(
            "  q{n}: {{prompt: Question {n}, default: a{n}}}\n"
        ));
    }
    let base = std::fs::read_to_string(repo().join("tests/plans/base.yaml")).unwrap();
    let plan = base.replacen("phases:\n", &format!("{vars}phases:\n"), 1);
    let path = runs.path().join("many.yaml");
    std::fs::write(&path, plan).unwrap();
    let args = format!("drill {}", path.display());
    let t = Tmux::start("scroll", 80, 24, &script(runs.path(), &args, &stty));
    let first = t.wait_for("more below");
    assert!(!first.contains("more above"), "{first}");
    assert!(
        !first.contains("Your name (recorded as the operator)"),
        "{first}"
    );
    // Tab to the last field: the form follows the focus, and says what is above.
    for _ in 0..12 {
        t.keys(&["Tab"]);
    }
    let last = t.wait_for("Your name (recorded as the operator)");
    assert!(last.contains("more above"), "{last}");
    assert!(!last.contains("more below"), "{last}");
    assert!(last.contains("enter start the rollback"), "{last}");
    t.keys(&["C-c"]);
    t.wait_for("EXIT=");
}

#[test]
fn a_small_terminal_is_said_before_the_start_and_questions_still_show() {
    let runs = Runs::new();
    let stty = runs.path().join("stty.txt");
    let args = "drill plans/demo.yaml --speed 20 --var version=7";
    let t = Tmux::start("small", 70, 20, &script(runs.path(), args, &stty));
    let start = t.wait_for("Config version to roll back to");
    assert!(
        start.contains("this terminal is 70x20; the run screen needs 80x24"),
        "{start}"
    );
    for _ in 0..3 {
        t.keys(&["Enter"]);
    }
    // The gate is asked in the compact view, with its input and its keys.
    let gate = t.wait_for("Approval gate");
    assert!(gate.contains("compact view: 70x20"), "{gate}");
    t.wait_keys("enter approve");
    t.keys(&["Enter"]);
    t.wait_for("Point of no return");
    let _ = Command::new("tmux")
        .args(["resize-window", "-t", &t.name, "-x", "80", "-y", "24"])
        .status();
    let full = t.wait_for(" Timeline ");
    assert!(!full.contains("compact view"), "{full}");
    t.wait_keys("y confirm");
    t.keys(&["y"]);
    t.wait_keys("enter confirm");
    t.keys(&["Enter"]);
    t.wait_for("Run completed");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    let (_, tl) = timeline(&runs);
    assert!(tl.contains(r#""type":"approved""#), "{tl}");
}

#[test]
fn resume_asks_for_the_secrets_again_and_the_steps_get_them() {
    let runs = Runs::new();
    let stty = runs.path().join("stty.txt");
    let base = std::fs::read_to_string(repo().join("tests/plans/base.yaml")).unwrap();
    let plan = base
        .replacen(
            "phases:\n",
            "vars:\n  token: {secret: true, required: true, description: API token}\nphases:\n",
            1,
        )
        .replacen("run: echo undo", "run: test \"$token\" = s3cret-value", 1);
    let path = runs.path().join("secret.yaml");
    std::fs::write(&path, plan).unwrap();
    // Headless, the run stops at the approval gate, resumable.
    let out = Command::new(bin())
        .args(["run", "--headless", "--var", "token=s3cret-value"])
        .arg(&path)
        .env("ROLLBACK_RUNS_DIR", runs.path())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("can be resumed"),
        "{out:?}"
    );
    let id = runs
        .only_run()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let t = Tmux::start(
        "secrets",
        80,
        24,
        &script(runs.path(), &format!("resume {id}"), &stty),
    );
    let form = t.wait_for("resuming: type the secrets again (never recorded)");
    assert!(form.contains("API token"), "{form}");
    t.type_text("s3cret-value");
    let masked = t.wait_for("••••");
    assert!(!masked.contains("s3cret-value"), "{masked}");
    t.keys(&["Enter"]);
    t.wait_for("enter resume the rollback");
    t.keys(&["Enter"]);
    t.approve_and_pass();
    t.wait_for("Run completed");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    let (_, tl) = timeline(&runs);
    assert!(
        tl.contains(r#""step":"execute.undo","attempt":1,"outcome":"ok""#),
        "{tl}"
    );
    assert!(!tl.contains("s3cret-value"), "{tl}");
}

#[test]
fn the_watch_screen_pauses_cancels_and_fires_into_the_run_at_80x24() {
    let runs = Runs::new();
    let dir = tempfile::tempdir().unwrap();
    let value = dir.path().join("value");
    std::fs::write(&value, "0").unwrap();
    let base = std::fs::read_to_string(repo().join("tests/plans/base.yaml")).unwrap();
    let head = base.split("triggers:\n").next().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "{head}triggers:\n  - name: errors\n    command: cat value\n    interval: 200ms\n    condition: result > 0.0\n    severity: high\n    cancel_window: 1h\n    explain: errors are up\n  - name: depth\n    command: echo 12\n    interval: 200ms\n    condition: result > 100.0\n"
        ),
    )
    .unwrap();
    let stty = runs.path().join("stty.txt");
    let t = Tmux::start(
        "watch",
        80,
        24,
        &script(
            runs.path(),
            &format!("watch --drill {}", plan.display()),
            &stty,
        ),
    );
    let s = t.wait_for("depth             ok");
    assert!(s.contains("WATCH") && s.contains("DRILL"), "{s}");
    assert!(
        s.contains("f  fire by hand") && s.contains("p  pause"),
        "{s}"
    );
    assert!(!s.contains("start now"), "only keys that apply: {s}");
    // The selected trigger's samples.
    t.keys(&["Enter"]);
    let s = t.wait_for("errors samples");
    assert!(s.contains("condition: result > 0.0"), "{s}");
    t.keys(&["Escape"]);
    // A key right after Escape would arrive as Alt+key: wait for the dialog to close.
    wait_until("the samples to close", Duration::from_secs(30), || {
        (!t.screen().contains("errors samples")).then_some(())
    });
    t.keys(&["p"]);
    t.wait_for("errors            paused");
    t.keys(&["p"]);
    t.wait_for("errors            ok");
    // It fires: the cancel window's countdown, named a drill.
    std::fs::write(&value, "3").unwrap();
    let s = t.wait_for("The rollback starts in 59:");
    assert!(s.contains("DRILL  errors fired (high)"), "{s}");
    assert!(
        s.contains("c  cancel (reason)") && !s.contains("fire by hand"),
        "{s}"
    );
    std::fs::write(&value, "0").unwrap();
    t.keys(&["c"]);
    t.wait_for("Why?");
    t.type_text("known noise");
    t.keys(&["Enter"]);
    let s = t.wait_for("cancelled by tester: known noise");
    assert!(!s.contains("The rollback starts in"), "{s}");
    // Fired by hand: the trigger, its value and condition stay until enter; then the run
    // screen, which names the trigger that started it.
    t.keys(&["f"]);
    t.wait_for("Start the rollback now?");
    t.keys(&["y"]);
    let s = t.wait_for("TRIGGER FIRED: errors (high)");
    assert!(s.contains("value 0  condition result > 0.0"), "{s}");
    assert!(s.contains("Started by tester"), "{s}");
    assert!(s.contains("enter  go on to the run screen now"), "{s}");
    t.keys(&["Enter"]);
    let s = t.wait_for("started by trigger errors (high, started by tester)");
    assert!(s.contains("ROLLBACK"), "{s}");
    // The watch keeps its journal beside the runs, in `.watch`.
    let dir = runs
        .run_dirs()
        .into_iter()
        .find(|d| d.join("timeline.jsonl").is_file())
        .expect("a run");
    let first = std::fs::read_to_string(dir.join("timeline.jsonl")).unwrap();
    let started: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(started["fired"]["name"], "errors");
    assert_eq!(started["fired"]["started_by"], "tester");
    let watch = std::fs::read_dir(runs.path().join(".watch"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let journal = std::fs::read_to_string(watch).unwrap();
    assert!(
        journal.contains(r#""who":"tester","why":"known noise""#),
        "{journal}"
    );
}

#[test]
fn sigterm_ends_the_watch_screen_cleanly_and_records_it() {
    let runs = Runs::new();
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(repo().join("tests/plans/base.yaml")).unwrap();
    let head = base.split("triggers:\n").next().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!("{head}triggers:\n  - name: beat\n    command: echo 0\n    interval: 1s\n    condition: result > 0.0\n"),
    )
    .unwrap();
    let stty = runs.path().join("stty.txt");
    let t = Tmux::start(
        "watch-term",
        80,
        24,
        &script(runs.path(), &format!("watch {}", plan.display()), &stty),
    );
    t.wait_for("beat              ok");
    let journal = || {
        let dir = runs.path().join(".watch");
        let file = std::fs::read_dir(dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::read_to_string(file).unwrap()
    };
    let started: serde_json::Value =
        serde_json::from_str(journal().lines().next().unwrap()).unwrap();
    let pid = started["pid"].as_i64().expect("the watch's pid") as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let s = t.wait_for("EXIT=0");
    assert!(s.contains("watch stopped; nothing was started"), "{s}");
    restored(&stty);
    let last: serde_json::Value = serde_json::from_str(journal().lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "watch_stopped");
    assert_eq!(last["by"], "SIGTERM");
}

#[test]
fn a_drill_starts_with_no_values_given_and_explains_each_step() {
    let runs = Runs::new();
    let stty = runs.path().join("stty.txt");
    let args = "drill plans/demo.yaml --speed 20";
    let t = Tmux::start("explain", 100, 30, &script(runs.path(), args, &stty));
    let start = t.start_demo();
    assert!(start.contains("(drill example)"), "{start}");
    let gate = t.wait_for("Approval gate");
    assert!(
        gate.contains("ℹ Semi-automated plans stop at gates"),
        "{gate}"
    );
    t.through_demo();
    t.wait_for("Run completed");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    restored(&stty);
    let (_, tl) = timeline(&runs);
    assert!(tl.contains(r#"["version","drill example"]"#), "{tl}");
    assert!(tl.contains(r#""drill":{"speed":20.0"#), "{tl}");
}

#[test]
fn impact_figures_are_entered_on_the_summary_and_reach_the_report() {
    let runs = Runs::new();
    let stty = runs.path().join("stty.txt");
    let args = "drill plans/demo.yaml --speed 20";
    let t = Tmux::start("impact", 100, 30, &script(runs.path(), args, &stty));
    t.start_demo();
    t.through_demo();
    t.wait_keys("i impact figures");
    t.keys(&["i"]);
    t.wait_for("Impact of the incident");
    t.type_text("users_affected=lots");
    t.keys(&["Enter"]);
    t.wait_for("is not a whole number");
    // Esc goes back to the summary; `i` opens a fresh figure.
    t.keys(&["Escape"]);
    t.wait_keys("i impact figures");
    t.keys(&["i"]);
    t.wait_for("Impact of the incident");
    t.type_text("users_affected=1,200");
    t.keys(&["Enter"]);
    t.wait_for("recorded users_affected = 1200; the report is updated");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    let dir = runs.only_run();
    let kept = std::fs::read_to_string(dir.join("impact.jsonl")).unwrap();
    assert_eq!(
        kept.lines().count(),
        1,
        "the refused value is not kept: {kept}"
    );
    assert!(
        kept.contains(r#""key":"users_affected","value":"1200","by":"tester""#),
        "{kept}"
    );
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        report.contains("| Users affected | 1200 (entered by tester"),
        "{report}"
    );
}

/// Keys sent as the gate opens (meant for the screen behind it) never reach the approver's
/// field: it holds the operator's name, and Enter records that name.
#[test]
fn a_key_sent_while_a_dialog_opens_never_reaches_its_field() {
    let runs = Runs::new();
    let stty = runs.path().join("stty.txt");
    // A guard long enough that every key below lands in it however slow this machine is.
    let args = "drill plans/demo.yaml --speed 20";
    let command = script(runs.path(), args, &stty).replace(
        " env USER=tester ",
        " env USER=tester ROLLBACK_DIALOG_GUARD_MS=5000 ",
    );
    let t = Tmux::start("opening", 80, 24, &command);
    t.start_demo();
    t.wait_for(" Timeline ");
    // `e` (the escalation banner's key) again and again until the gate is on screen, then
    // another key as it appears.
    wait_until("the gate", Duration::from_secs(30), || {
        t.type_text("e");
        t.screen().contains("Approval gate").then_some(())
    });
    t.type_text("x");
    let gate = t.wait_keys("enter approve");
    assert!(
        gate.contains("│tester"),
        "the operator's name, nothing typed: {gate}"
    );
    t.keys(&["Enter"]);
    t.wait_for("Point of no return");
    let (_, tl) = timeline(&runs);
    assert!(
        tl.contains(r#""type":"approved","step":"prepare.go","by":"tester""#),
        "{tl}"
    );
}

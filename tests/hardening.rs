//! What a careless operator, a chatty command or a full disk must not be able to do to a run:
//! leak a secret into its directory, make it readable by others, fill the disk with output,
//! or leave a log silently cut short.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::plan::{CAPTURE, VERIFY, phase, plan};
use common::{Runs, text, timeline};

const TOKEN: &str = "s3cr3t-T0ken/with+chars and space";

fn write_plan(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

/// Every file and directory under `dir`, `dir` included.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn url_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const SECRET_PLAN: &str = r#"plan: secrets
title: Steps that print a secret every way they can
level: 2
operation: application
automation: full
vars:
  token: {secret: true, required: true}
phases:
  - id: capture
    steps:
      - id: plain
        run: printf 'token is %s\n' "$token"
      - id: split
        # The two halves reach rollback in two reads.
        run: printf 'first %s' "${token%??????????}"; sleep 0.2; printf '%s end\n' "${token#${token%??????????}}"
      - id: encoded
        run: printf 'curl -d token=%s\n' "$ENCODED"
      - id: stderr
        run: echo "auth failed for $token" >&2
  - id: verify
    steps:
      - id: ok
        check: "true"
"#;

#[test]
fn no_secret_reaches_the_run_directory_and_it_is_private() {
    let runs = Runs::new();
    let plan = write_plan(runs.path(), "secrets.yaml", SECRET_PLAN);
    let root = runs.path().join("runs");
    let token_var = format!("token={TOKEN}");
    // umask 000: the modes must not depend on the operator's umask.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000; exec "$@""#)
        .arg("sh")
        .args([
            common::bin(),
            "run",
            &plan,
            "--headless",
            "-v",
            "--approve-as",
            "ci",
        ])
        .args(["--var", &token_var, "--runs-dir", root.to_str().unwrap()])
        .env("ENCODED", url_encoded(TOKEN))
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let dir = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("a run directory");
    let report = common::Runs::new()
        .cmd(&["report", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(report.status.code(), Some(0), "{}", text(&report));

    let forms = [TOKEN.to_string(), url_encoded(TOKEN)];
    for form in &forms {
        assert!(!all.contains(form.as_str()), "`{form}` printed: {all}");
        assert!(
            !text(&report).contains(form.as_str()),
            "`{form}` in the report"
        );
    }
    let mut files = 0;
    for path in walk(&dir) {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", path.display());
        if path.is_file() {
            files += 1;
            let content = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            for form in &forms {
                assert!(
                    !content.contains(form.as_str()),
                    "`{form}` in {}",
                    path.display()
                );
            }
        }
    }
    assert!(
        files >= 7,
        "timeline, plan, lock, report and the logs were looked at"
    );
    let log = |name: &str| std::fs::read_to_string(dir.join("output").join(name)).unwrap();
    assert_eq!(log("capture.plain.1.log"), "token is ***\n");
    assert_eq!(log("capture.split.1.log"), "first *** end\n");
    assert_eq!(log("capture.encoded.1.log"), "curl -d token=***\n");
    assert_eq!(log("capture.stderr.1.log"), "auth failed for ***\n");
    let verify = runs.run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

fn chatty_plan() -> String {
    plan(
        "chatty",
        "Steps that print far too much",
        &[
            &phase(
                "capture",
                "- id: flood\n  run: seq 1 2000000; echo last line\n- id: again\n  run: seq 1 2000000",
            ),
            VERIFY,
        ],
    )
}

#[test]
fn a_chatty_step_keeps_its_head_and_tail_and_says_what_was_dropped() {
    let runs = Runs::new();
    let plan = write_plan(runs.path(), "chatty.yaml", &chatty_plan());
    let out = runs.run(&[
        "run",
        &plan,
        "--headless",
        "--approve-as",
        "ci",
        "--log-head",
        "64KiB",
        "--log-tail",
        "32KiB",
        "--log-total",
        "160KiB",
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let dir = runs.only_run();
    let log = std::fs::read_to_string(dir.join("output/capture.flood.1.log")).unwrap();
    assert!(log.starts_with("1\n2\n3\n"), "the head is kept");
    assert!(log.ends_with("2000000\nlast line\n"), "the tail is kept");
    let size = log.len() as u64;
    assert!(size < 64 * 1024 + 32 * 1024 + 200, "bounded: {size} bytes");
    assert!(log.contains("of output dropped here"), "the gap is marked");

    let produced: u64 = (1..=2_000_000u64)
        .map(|n| n.to_string().len() as u64 + 1)
        .sum();
    let finished: Vec<serde_json::Value> = timeline(&dir)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "step_finished")
        .collect();
    let flood = &finished[0];
    assert_eq!(
        flood["bytes"].as_u64(),
        Some(produced + 10),
        "every byte counted"
    );
    let dropped = flood["dropped"].as_u64().expect("dropped bytes recorded");
    assert!(dropped > produced - 100 * 1024, "{dropped}");
    assert!(all.contains("of output not kept in its log"), "{all}");

    // The run's total: the second step gets what is left of 160 KiB, not 96 KiB more.
    let second = std::fs::metadata(dir.join("output/capture.again.1.log"))
        .unwrap()
        .len();
    assert!(second <= 160 * 1024 - size + 200, "{second} bytes");
    let verify = runs.run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

const FULL_DISK_PLAN: &str = r#"plan: full-disk
title: A log that cannot be written
level: 2
operation: application
automation: full
phases:
  - id: capture
    steps:
      - id: big
        run: head -c 4000000 /dev/zero | tr '\0' 'x'; sleep 30; touch "$ROLLBACK_RUN_DIR/after"
        retry: {attempts: 3, delay: 0s}
  - id: verify
    steps:
      - id: ok
        check: touch "$ROLLBACK_RUN_DIR/verified"
"#;

#[test]
fn a_log_that_cannot_be_written_stops_the_tool_and_the_step() {
    let runs = Runs::new();
    let plan = write_plan(runs.path(), "full.yaml", FULL_DISK_PLAN);
    // A file-size limit fails the log's writes (EFBIG) like a full disk; the timeline is
    // far smaller and stays writable.
    let script = format!(
        "ulimit -f 1024; exec {} run {plan} --headless --approve-as ci",
        common::bin()
    );
    let started = std::time::Instant::now();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("ROLLBACK_RUNS_DIR", runs.path())
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(
        all.contains("the run stopped: the output log of capture.big cannot be written"),
        "{all}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(25),
        "the step's group was stopped, not waited for"
    );
    let dir = runs.only_run();
    let types = common::event_types(&dir);
    assert!(!types.iter().any(|t| t == "retry_scheduled"), "{types:?}");
    assert_eq!(types.iter().filter(|t| *t == "step_started").count(), 1);
    assert!(!dir.join("after").exists(), "the command was killed");
    assert!(!dir.join("verified").exists(), "nothing started after");
    assert!(timeline(&dir).contains(r#""log_error":"writing the output log"#));
}

const UNATTENDED_PLAN: &str = r#"plan: unattended
title: A pipeline rollback nobody watches
level: 3
operation: application
automation: full
phases:
  - id: capture
    steps:
      - id: save
        run: echo saved
        timeout: 10s
  - id: execute
    point_of_no_return: {approve: auto, by: pipeline}
    steps:
      - id: undo
        run: echo undone
        timeout: 10s
  - id: verify
    steps:
      - id: ready
        check: "true"
        timeout: 10s
"#;

#[test]
fn a_plan_can_pre_authorise_its_point_of_no_return_for_unattended_runs() {
    let runs = Runs::new();
    let plan = write_plan(runs.path(), "unattended.yaml", UNATTENDED_PLAN);
    let out = runs.run(&["run", &plan, "--headless"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let dir = runs.only_run();
    assert!(
        timeline(&dir).contains(
            r#""type":"point_of_no_return_confirmed","step":"execute.undo","by":"pipeline (pre-authorised by the plan)""#
        ),
        "{}",
        timeline(&dir)
    );

    // Without the pre-authorisation nobody can confirm it: the run waits, resumable.
    let manual = write_plan(
        runs.path(),
        "manual.yaml",
        &UNATTENDED_PLAN.replace("{approve: auto, by: pipeline}", "true"),
    );
    let out = runs.run(&["run", &manual, "--headless"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("pass --approve-as NAME"),
        "{}",
        text(&out)
    );

    let bad = write_plan(
        runs.path(),
        "bad.yaml",
        &UNATTENDED_PLAN.replace("approve: auto", "approve: always"),
    );
    let out = runs.run(&["validate", &bad]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("bad.yaml:13:25: error: expected true or false, or {approve: auto, by: NAME} for `point_of_no_return`, found a mapping"),
        "{}",
        text(&out)
    );
}

fn failing_plan() -> String {
    let flaky = "- id: flaky\n  run: test -f \"$ROLLBACK_RUN_DIR/fixed\"\n  retry: {attempts: 2, delay: 0s}";
    plan(
        "failing",
        "A step that fails for good",
        &[&phase("capture", flaky), VERIFY],
    )
}

#[test]
fn a_headless_step_that_fails_for_good_leaves_the_run_resumable() {
    let runs = Runs::new();
    let plan = write_plan(runs.path(), "failing.yaml", &failing_plan());
    let out = runs.run(&["run", &plan, "--headless"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let dir = runs.only_run();
    let id = dir.file_name().unwrap().to_str().unwrap().to_string();
    assert!(all.contains(&format!("rollback resume {id}")), "{all}");
    let types = common::event_types(&dir);
    assert!(!types.iter().any(|t| t == "run_failed"), "{types:?}");

    // Someone fixes the cause and resumes; the step is retried and the run completes.
    std::fs::write(dir.join("fixed"), "").unwrap();
    let out = runs.run(&["resume", &id, "--headless", "--retry-failed"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        common::event_types(&dir)
            .iter()
            .any(|t| t == "run_completed")
    );
}

fn orphan_plan() -> String {
    let long = "- id: long\n  run: test -f \"$ROLLBACK_RUN_DIR/quick\" || sleep 60";
    let title = "A long step left behind by a killed rollback";
    plan("orphan", title, &[CAPTURE, &phase("execute", long), VERIFY])
}

/// Starts `cmd` with its stdout collected as it comes.
fn spawn_collecting(
    mut cmd: std::process::Command,
) -> (
    std::process::Child,
    std::sync::Arc<std::sync::Mutex<String>>,
) {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut out = child.stdout.take().unwrap();
    let sink = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (child, seen)
}

#[test]
fn ctrl_c_while_resume_waits_for_an_orphan_leaves_at_once() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let runs = Runs::new();
    let plan = write_plan(runs.path(), "orphan.yaml", &orphan_plan());
    let mut first = runs.spawn(&["run", &plan, "--headless"]);
    let dir = common::wait_until("the long step", std::time::Duration::from_secs(20), || {
        let d = runs.run_dirs().into_iter().next()?;
        timeline(&d)
            .contains(r#""step":"execute.long""#)
            .then_some(d)
    });
    kill(Pid::from_raw(first.id() as i32), Signal::SIGKILL).unwrap();
    first.wait().unwrap();

    let (mut resume, seen) =
        spawn_collecting(runs.cmd(&["resume", dir.to_str().unwrap(), "--headless"]));
    common::wait_until(
        "the wait for the orphan",
        std::time::Duration::from_secs(20),
        || {
            seen.lock()
                .unwrap()
                .contains("waiting for process group")
                .then_some(())
        },
    );
    kill(Pid::from_raw(resume.id() as i32), Signal::SIGINT).unwrap();
    let status = common::wait_until(
        "resume to leave",
        std::time::Duration::from_secs(10),
        || resume.try_wait().unwrap(),
    );
    assert_eq!(status.code(), Some(1), "{}", seen.lock().unwrap());
    assert!(
        seen.lock()
            .unwrap()
            .contains("left; the command from before is still running")
    );
    let pgid = timeline(&dir)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "step_started" && v["step"] == "execute.long")
        .and_then(|v| v["pgid"].as_i64())
        .expect("pgid recorded") as i32;
    assert!(
        rollback::runner::orphan::group_alive(pgid),
        "the orphan was left alone"
    );

    // It can be killed from a later resume, and the run finishes.
    std::fs::write(dir.join("quick"), "").unwrap();
    let out = runs.run(&[
        "resume",
        dir.to_str().unwrap(),
        "--headless",
        "--kill-orphans",
        "--rerun-interrupted",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!rollback::runner::orphan::group_alive(pgid));
}

fn hangup_plan() -> String {
    let steps = "- id: long\n  run: sleep 2; touch \"$ROLLBACK_RUN_DIR/long.done\"\n\
                 - id: next\n  run: touch \"$ROLLBACK_RUN_DIR/next.done\"";
    let title = "A terminal that goes away mid-step";
    plan(
        "hangup",
        title,
        &[CAPTURE, &phase("execute", steps), VERIFY],
    )
}

/// Runs the hang-up plan headless, hangs it up during the long step, and returns its run
/// directory and exit code.
fn hang_up_during_the_long_step(runs: &Runs, extra: &[&str]) -> (PathBuf, Option<i32>) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let plan = write_plan(runs.path(), "hangup.yaml", &hangup_plan());
    let mut args = vec!["run", plan.as_str(), "--headless"];
    args.extend(extra);
    let mut child = runs.spawn(&args);
    let dir = common::wait_until("the long step", std::time::Duration::from_secs(20), || {
        let d = runs.run_dirs().into_iter().next()?;
        timeline(&d)
            .contains(r#""type":"step_started","step":"execute.long""#)
            .then_some(d)
    });
    kill(Pid::from_raw(child.id() as i32), Signal::SIGHUP).unwrap();
    let status = common::wait_until(
        "the run to stop",
        std::time::Duration::from_secs(20),
        || child.try_wait().unwrap(),
    );
    (dir, status.code())
}

fn finished_outcome(dir: &Path, step: &str) -> Option<String> {
    timeline(dir)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "step_finished" && v["step"] == step)
        .and_then(|v| v["outcome"].as_str().map(str::to_string))
}

#[test]
fn a_hang_up_lets_the_step_finish_records_it_and_starts_nothing_more() {
    let runs = Runs::new();
    let (dir, code) = hang_up_during_the_long_step(&runs, &[]);
    assert_eq!(code, Some(1));
    assert!(
        timeline(&dir).contains("the terminal hung up"),
        "{}",
        timeline(&dir)
    );
    assert_eq!(
        finished_outcome(&dir, "execute.long").as_deref(),
        Some("ok")
    );
    assert!(dir.join("long.done").exists(), "the step finished");
    assert!(!dir.join("next.done").exists(), "nothing started after it");
    assert!(!timeline(&dir).contains(r#""step":"execute.next""#));

    let out = runs.run(&["resume", dir.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dir.join("next.done").exists(), "resume went on from there");
}

#[test]
fn a_hang_up_can_stop_the_step_instead() {
    let runs = Runs::new();
    let (dir, code) = hang_up_during_the_long_step(&runs, &["--on-hangup", "kill"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        finished_outcome(&dir, "execute.long").as_deref(),
        Some("killed")
    );
    assert!(!dir.join("long.done").exists(), "the step was stopped");
    assert!(!dir.join("next.done").exists());
}

//! Secrets never leave through the surfaces around a run: a trigger's answer or error, a
//! post-rollback check's result, whatever key they sit under, reach neither stdout nor the
//! watch's journal nor the validation record; and everything a command writes under the
//! runs root is owner-only whatever the umask.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Runs, text, wait_until};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const SECRET: &str = "Sup3r-S3cret-T0ken";
const BASE: &str = include_str!("plans/base.yaml");

/// The base plan with a secret variable `token`, its triggers replaced by `triggers` and
/// `extra` after them.
fn plan(dir: &Path, triggers: &str, extra: &str) -> PathBuf {
    let (head, rest) = BASE.split_once("phases:\n").unwrap();
    let body = rest.split("triggers:\n").next().unwrap();
    let text = format!(
        "{head}vars:\n  token: {{secret: true, required: true}}\nphases:\n{body}triggers:\n{triggers}{extra}"
    );
    let path = dir.join("plan.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Neither the secret nor its URL-encoded form is in `what`.
fn assert_no_secret(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "the secret is in {what}:\n{text}");
    assert!(!text.contains("Sup3r%2DS3cret"), "{what}:\n{text}");
}

const LEAKY: &str = r#"  - name: leaky
    command: 'printf "{\"n\": 1, \"said\": \"%s\", \"deep\": {\"hash\": \"%s\", \"log\": [\"%s\"]}}" "$token" "$token" "$token"'
    condition: result.n > 5.0
    interval: 200ms
  - name: refused
    command: 'echo "refused: $token" >&2; exit 3'
    condition: result > 0.0
    interval: 200ms
"#;

#[test]
fn a_trigger_answer_or_error_never_carries_a_secret_to_stdout_or_the_watch_journal() {
    let runs = Runs::new();
    let p = plan(runs.path(), LEAKY, "");
    let mut child = runs
        .cmd(&["watch", "--headless", "--json", p.to_str().unwrap()])
        .args(["--var", &format!("token={SECRET}")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let mut states = std::collections::BTreeMap::new();
    for line in out.lines().map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
        let doc: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(t) = doc["trigger"].as_str() {
            states.insert(t.to_string(), doc["verdict"]["state"].clone());
        }
        if states.get("leaky").is_some_and(|s| s == "healthy")
            && states.get("refused").is_some_and(|s| s == "blind")
        {
            break;
        }
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    child.wait().unwrap();
    assert_no_secret("stdout", &seen);
    assert!(seen.contains(r#""said":"***""#), "{seen}");
    assert!(seen.contains(r#""hash":"***""#), "{seen}");
    assert!(seen.contains("refused: ***"), "{seen}");

    let watch = runs.path().join(".watch");
    let journals: Vec<PathBuf> = std::fs::read_dir(&watch)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(journals.len(), 1);
    let journal = std::fs::read_to_string(&journals[0]).unwrap();
    assert_no_secret("the watch journal", &journal);
    assert!(journal.contains(r#""log":["***"]"#), "{journal}");
}

#[test]
fn a_check_result_never_carries_a_secret_to_the_validation_record_or_stdout() {
    let runs = Runs::new();
    let checks = r#"post_rollback:
  windows: {immediate: 3s, short-term: 4s, long-term: 5s}
  post_checks:
    - window: immediate
      title: leaky
      check: 'printf "{\"ok\": false, \"t\": \"%s\", \"step\": \"%s\"}" "$token" "$token"'
      expect: result.ok
      interval: 200ms
"#;
    let p = plan(runs.path(), LEAKY, checks);
    let out = runs.run(&[
        "run",
        p.to_str().unwrap(),
        "--headless",
        "--approve-as",
        "ci",
        "--validate",
        "--var",
        &format!("token={SECRET}"),
    ]);
    assert_eq!(out.status.code(), Some(1), "regressed: {}", text(&out));
    assert_no_secret("stdout", &text(&out));
    let run = runs.only_run();
    let segment = std::fs::read_to_string(run.join("validation.jsonl")).unwrap();
    assert_no_secret("validation.jsonl", &segment);
    assert!(segment.contains(r#""step":"***""#), "{segment}");
    assert_no_secret("timeline.jsonl", &common::timeline(&run));
    let verify = runs.run(&["verify", run.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

/// Every directory under `root` is 0700 and every file 0600; the offenders otherwise.
fn not_private(root: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o777;
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            if mode != want {
                bad.push(format!("{} is {mode:o}", path.display()));
            }
            if meta.is_dir() {
                todo.push(path);
            }
        }
    }
    bad
}

#[test]
fn everything_under_the_runs_root_is_owner_only_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("runs");
    let p = plan(
        tmp.path(),
        "  - name: at-once\n    command: echo 1\n    condition: result > 0.0\n    severity: critical\n    interval: 100ms\n    failure_limit: 1\n",
        "post_rollback:\n  triggers: false\n  windows: {immediate: 1s, short-term: 2s, long-term: 3s}\n  post_checks:\n    - {window: immediate, check: 'true', interval: 200ms}\n",
    );
    let umask0 = |args: &[&str]| {
        let out = Command::new("sh")
            .arg("-c")
            .arg("umask 000; exec \"$@\"")
            .arg("sh")
            .arg(common::bin())
            .args(args)
            .env("ROLLBACK_RUNS_DIR", &root)
            .env("USER", "tester")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.code().is_some(), "{}", text(&out));
        out
    };
    let var = format!("token={SECRET}");
    // A watch whose trigger fires at once starts the run; its windows are asked for.
    let out = umask0(&[
        "watch",
        p.to_str().unwrap(),
        "--headless",
        "--approve-as",
        "ci",
        "--var",
        &var,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = wait_until("the run", Duration::from_secs(5), || {
        std::fs::read_dir(&root)
            .ok()?
            .map(|e| e.unwrap().path())
            .find(|p| !p.file_name().unwrap().to_str().unwrap().starts_with('.'))
    });
    let run = run.to_str().unwrap().to_string();
    let out = umask0(&["watch", "--validate", &run, "--var", &var]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = umask0(&["report", &run, "--set", "users_affected=3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = umask0(&["report", &run, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(Path::new(&run).join("impact.jsonl").exists());
    assert!(Path::new(&run).join("validation.jsonl").exists());
    let bad = not_private(&root);
    assert!(bad.is_empty(), "not owner-only: {bad:#?}");
    let root_mode = std::fs::metadata(&root).unwrap().permissions().mode() & 0o777;
    assert_eq!(root_mode, 0o700);
}

#[test]
fn a_secret_of_digits_a_cut_stderr_or_a_long_output_never_leaves_a_part_of_it() {
    let runs = Runs::new();
    let digits = "98765432";
    let long = format!("Zq7{}", "k".repeat(800));
    let notify = "notify: 'head -c 4090 /dev/zero | tr \"\\\\0\" x >&2; echo \"$long\" >&2'\n";
    let (head, rest) = BASE.split_once("phases:\n").unwrap();
    let body = rest.split("triggers:\n").next().unwrap().replace(
        "run: echo saved",
        "run: 'printf \"key=%s\\\\n\" \"$long\" > \"$ROLLBACK_OUTPUTS\"'",
    );
    let text = format!(
        "{head}{notify}vars:\n  tok: {{secret: true, required: true}}\n  long: {{secret: true, required: true}}\nphases:\n{body}triggers:\n  - name: digits\n    command: 'echo $tok'\n    condition: result > 0.0\n    severity: critical\n    interval: 100ms\n    failure_limit: 0\n"
    );
    let p = runs.path().join("plan.yaml");
    std::fs::write(&p, text).unwrap();
    let out = within(runs.cmd(&[
        "watch",
        p.to_str().unwrap(),
        "--headless",
        "--approve-as",
        "ci",
        "--var",
        &format!("tok={digits}"),
        "--var",
        &format!("long={long}"),
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    let run = runs
        .run_dirs()
        .into_iter()
        .find(|d| !d.file_name().unwrap().to_str().unwrap().starts_with('.'))
        .unwrap();
    let mut everything = text_of(&out);
    for f in ["timeline.jsonl", "report.md", "report.json"] {
        everything.push_str(&std::fs::read_to_string(run.join(f)).unwrap());
    }
    for e in std::fs::read_dir(runs.path().join(".watch")).unwrap() {
        everything.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    assert!(everything.contains("notify_finished"), "the notifier ran");
    assert!(
        !everything.contains(digits),
        "the digits leaked:\n{everything}"
    );
    assert!(
        !everything.contains("Zq7k"),
        "a part of the long secret leaked:\n{everything}"
    );
    assert!(
        !everything.contains("kkkkkkkkkk"),
        "a part of the long secret leaked"
    );
}

fn text_of(o: &std::process::Output) -> String {
    text(o)
}

/// Runs `cmd` to its end within a minute; a run that hangs fails the test.
fn within(mut cmd: Command) -> std::process::Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = Pid::from_raw(child.id() as i32);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = kill(pid, Signal::SIGKILL);
            panic!("the command did not end within a minute");
        }
    }
}

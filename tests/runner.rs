//! The runner with real processes: exit codes, the log and its digest, timeouts, killing whole
//! process trees, a million-line step, variables that must not execute, drills, notifiers and
//! orphans. No sleeps stand in for synchronisation: every wait is on a condition with a deadline.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rollback::engine::{ExitReport, Input, StepOutcome};
use rollback::runner::orphan::{group_alive, group_of_run, processes_of_run};
use rollback::runner::simulate::FAIL_LINE;
use rollback::runner::{CommandSpec, OutputTail, Runner, RunnerMsg, SimSpec};
use serde_json::json;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

const DEADLINE: Duration = Duration::from_secs(10);

type Rx = UnboundedReceiver<RunnerMsg>;

fn runner() -> (Runner, Rx) {
    let (tx, rx) = unbounded_channel();
    (Runner::new(tx), rx)
}

fn tail() -> Arc<Mutex<OutputTail>> {
    Arc::new(Mutex::new(OutputTail::default()))
}

fn spec(dir: &TempDir, key: &str, command: &str) -> CommandSpec {
    CommandSpec {
        key: key.into(),
        attempt: 1,
        command: command.into(),
        env: vec![],
        workdir: dir.path().to_path_buf(),
        timeout: None,
        log_path: dir.path().join(format!("{key}.1.log")),
    }
}

fn sim(dir: &TempDir, key: &str, lines: &[&str], exit: i32, fail: bool) -> SimSpec {
    SimSpec {
        key: key.into(),
        attempt: 1,
        lines: lines.iter().map(|l| l.to_string()).collect(),
        duration: Duration::from_secs(2),
        exit,
        fail,
        speed: 1000.0,
        slow: 1.0,
        log_path: dir.path().join(format!("{key}.1.log")),
    }
}

/// The next engine input, skipping output pings; panics after the deadline.
async fn input(rx: &mut Rx) -> Input {
    loop {
        match tokio::time::timeout(DEADLINE, rx.recv()).await {
            Ok(Some(RunnerMsg::Input(i))) => return i,
            Ok(Some(RunnerMsg::Output { .. })) => {}
            other => panic!("no input before the deadline: {other:?}"),
        }
    }
}

/// Exit reports by step until `n` arrived.
async fn exits(rx: &mut Rx, n: usize) -> Vec<(usize, ExitReport)> {
    let mut got = Vec::new();
    while got.len() < n {
        if let Input::Exited { step, report, .. } = input(rx).await {
            got.push((step, report));
        }
    }
    got.sort_by_key(|(step, _)| *step);
    got
}

async fn exited(rx: &mut Rx) -> ExitReport {
    exits(rx, 1).await.remove(0).1
}

/// Polls `cond` until true; panics after the deadline.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + DEADLINE;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn tail_lines(tail: &Mutex<OutputTail>) -> Vec<String> {
    let t = tail.lock().unwrap();
    (t.first_kept()..t.total_lines())
        .map(|i| String::from_utf8_lossy(t.line(i).unwrap()).into_owned())
        .collect()
}

/// Checks the report's counts and digest against the log file itself.
fn assert_matches_log(report: &ExitReport, log: &Path) {
    let bytes = std::fs::read(log).unwrap();
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let open = u64::from(bytes.last().is_some_and(|&b| b != b'\n'));
    assert_eq!(report.bytes, bytes.len() as u64);
    assert_eq!(report.lines, newlines + open);
    assert_eq!(report.sha256, hex::encode(Sha256::digest(&bytes)));
}

/// Live (non-zombie) processes of group `pgid`, read from /proc independently of the runner.
fn live_members(pgid: i32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        if fields[2] == pgid.to_string() && fields[0] != "Z" {
            found.push(pid);
        }
    }
    found
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s[s.rfind(')').unwrap() + 2..].starts_with('Z'))
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_signals_and_the_log_digest() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let cases = [
        (
            "ok",
            "echo hello; printf 'no newline'",
            StepOutcome::Ok,
            Some(0),
            None,
        ),
        (
            "three",
            "echo bad; exit 3",
            StepOutcome::Failed,
            Some(3),
            None,
        ),
        (
            "nine",
            "echo going; kill -9 $$",
            StepOutcome::Failed,
            None,
            Some(9),
        ),
        ("true", "true", StepOutcome::Ok, Some(0), None),
    ];
    // One that lasts, so that what is running can be counted without a race.
    r.spawn(9, spec(&dir, "lasting", "sleep 30"), tail())
        .unwrap();
    for (i, (key, command, ..)) in cases.iter().enumerate() {
        r.spawn(i, spec(&dir, key, command), tail()).unwrap();
    }
    assert!(r.running() >= 1);
    for (step, report) in exits(&mut rx, cases.len()).await {
        let (key, _, outcome, code, signal) = cases[step];
        assert_eq!(
            (report.outcome, report.exit_code, report.signal),
            (outcome, code, signal),
            "{key}"
        );
        assert_eq!(report.error, None);
        assert_matches_log(&report, &dir.path().join(format!("{key}.1.log")));
    }
    assert_eq!(r.running(), 1, "the lasting one");
    r.kill(9);
    let killed = exits(&mut rx, 1).await;
    assert_eq!(killed[0].0, 9);
    assert_eq!(r.running(), 0);
}

#[tokio::test]
async fn stdout_and_stderr_share_one_log_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let t = tail();
    let s = spec(&dir, "mixed", "echo a; echo b >&2; echo c");
    let log = s.log_path.clone();
    r.spawn(0, s, t.clone()).unwrap();
    let report = exited(&mut rx).await;
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "a\nb\nc\n");
    assert_eq!(tail_lines(&t), ["a", "b", "c"]);
    assert_eq!((report.outcome, report.lines), (StepOutcome::Ok, 3));
}

#[tokio::test]
async fn a_command_that_cannot_start_is_an_error_and_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let mut s = spec(&dir, "nowhere", "true");
    s.workdir = dir.path().join("missing");
    let err = r.spawn(0, s.clone(), tail()).unwrap_err();
    assert!(err.starts_with("cannot start: "), "{err}");
    assert_eq!(std::fs::read(&s.log_path).unwrap(), b"");
    // The caller reports it: the runner queues nothing and is running nothing.
    assert!(rx.try_recv().is_err());
    assert_eq!(r.running(), 0);
    // The log of an attempt is never reused.
    s.workdir = dir.path().to_path_buf();
    assert!(r.spawn(0, s, tail()).unwrap_err().contains("creating"));
}

#[tokio::test]
async fn a_drill_that_cannot_start_reports_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let s = sim(&dir, "taken", &["x"], 0, false);
    std::fs::write(&s.log_path, "already here").unwrap();
    r.simulate(0, s, tail());
    let report = exited(&mut rx).await;
    assert_eq!(
        (report.outcome, report.lines, report.bytes),
        (StepOutcome::Failed, 0, 0)
    );
    assert!(report.error.unwrap().starts_with("cannot start: "));
    assert_eq!(report.sha256, hex::encode(Sha256::digest(b"")));
    assert_eq!(r.running(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_kills_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let mut s = spec(&dir, "slow", "sleep 100");
    s.timeout = Some(Duration::from_millis(200));
    let (_, pgid) = r.spawn(0, s, tail()).unwrap();
    let report = exited(&mut rx).await;
    assert_eq!(report.outcome, StepOutcome::TimedOut);
    assert_eq!(report.signal, Some(15));
    assert!(report.duration_ms >= 200, "{}", report.duration_ms);
    assert_eq!(live_members(pgid), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_reported_as_the_time_given_not_with_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = unbounded_channel();
    let mut r = Runner::new(tx).with_grace(Duration::from_millis(400));
    let mut s = spec(&dir, "stubborn", "trap '' TERM; sleep 100");
    s.timeout = Some(Duration::from_millis(200));
    let started = Instant::now();
    r.spawn(0, s, tail()).unwrap();
    let report = exited(&mut rx).await;
    assert_eq!(report.outcome, StepOutcome::TimedOut);
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "it had its grace"
    );
    assert_eq!(report.duration_ms, 200, "the step's time is its timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_takes_the_whole_tree_even_what_ignores_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = unbounded_channel();
    let mut r = Runner::new(tx).with_grace(Duration::from_millis(300));
    let t = tail();
    let command = "(trap '' TERM; echo trapped; sleep 100) & sleep 100 & echo started; wait";
    let (_, pgid) = r.spawn(0, spec(&dir, "tree", command), t.clone()).unwrap();
    until("both children", || {
        let lines = tail_lines(&t);
        lines.contains(&"trapped".into()) && lines.contains(&"started".into())
    })
    .await;
    until("the sleeps", || live_members(pgid).len() >= 3).await;
    let started = Instant::now();
    r.kill(0);
    let report = exited(&mut rx).await;
    assert_eq!(report.outcome, StepOutcome::Killed);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "SIGKILL came before the grace"
    );
    assert_eq!(live_members(pgid), Vec::<u32>::new());
    assert!(!group_alive(pgid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_exits_ends_the_step_and_its_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner(); // default 5 s grace: the leftover goes on SIGTERM
    let s = spec(&dir, "bg", "sleep 100 & echo $! > bg.pid; echo done");
    let (_, pgid) = r.spawn(0, s, tail()).unwrap();
    let started = Instant::now();
    let report = exited(&mut rx).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (report.outcome, report.exit_code),
        (StepOutcome::Ok, Some(0))
    );
    let bg: u32 = std::fs::read_to_string(dir.path().join("bg.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!alive(bg));
    assert_eq!(live_members(pgid), Vec::<u32>::new());
}

fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_lines_cost_neither_memory_nor_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let t = tail();
    let s = spec(&dir, "seq", "seq 1000000");
    let log = s.log_path.clone();
    let before = vm_hwm_kb();
    r.spawn(0, s, t.clone()).unwrap();
    let mut pings = 0;
    let report = loop {
        match tokio::time::timeout(DEADLINE, rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            RunnerMsg::Output { .. } => pings += 1,
            RunnerMsg::Input(Input::Exited { report, .. }) => break report,
            other => panic!("{other:?}"),
        }
    };
    // Everything is in the tail by the time `Exited` arrives.
    {
        let t = t.lock().unwrap();
        assert_eq!((t.total_lines(), t.first_kept()), (1_000_000, 990_000));
        assert_eq!(t.line(999_999), Some(&b"1000000"[..]));
    }
    assert_eq!((report.outcome, report.lines), (StepOutcome::Ok, 1_000_000));
    assert_matches_log(&report, &log);
    assert!(
        pings <= report.duration_ms / 50 + 3,
        "{pings} pings in {} ms",
        report.duration_ms
    );
    let grown_mb = (vm_hwm_kb() - before) / 1024;
    assert!(grown_mb < 40, "peak RSS grew by {grown_mb} MB");
}

#[tokio::test]
async fn variable_values_are_never_executed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let values = [
        "$(touch pwned)",
        ";touch pwned2",
        "`touch pwned3`",
        "a' ; touch pwned4 '",
    ];
    let mut s = spec(
        &dir,
        "vars",
        r#"echo "$V0"; echo $V1; printf '%s\n' "$V2" "$V3""#,
    );
    s.env = values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("V{i}"), v.to_string()))
        .collect();
    s.env.push(("V0".into(), values[0].into())); // later entries win: same value again
    let log = s.log_path.clone();
    r.spawn(0, s, tail()).unwrap();
    assert_eq!(exited(&mut rx).await.outcome, StepOutcome::Ok);
    let out = std::fs::read_to_string(log).unwrap();
    assert_eq!(out.lines().collect::<Vec<_>>(), values);
    for f in ["pwned", "pwned2", "pwned3", "pwned4"] {
        assert!(!dir.path().join(f).exists(), "{f} was created");
    }
}

#[tokio::test]
async fn drills_play_their_lines_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let lines = ["one", "two", "three"];
    r.simulate(0, sim(&dir, "ok", &lines, 0, false), tail());
    r.simulate(1, sim(&dir, "four", &lines, 4, false), tail());
    let t = tail();
    r.simulate(2, sim(&dir, "fail", &lines, 0, true), t.clone());
    let started = Instant::now();
    let reports = exits(&mut rx, 3).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "speed was not applied"
    );
    let expect = [
        (StepOutcome::Ok, Some(0)),
        (StepOutcome::Failed, Some(4)),
        (StepOutcome::Failed, Some(1)),
    ];
    for ((step, report), (key, (outcome, code))) in reports
        .iter()
        .zip(["ok", "four", "fail"].into_iter().zip(expect))
    {
        assert_eq!(
            (report.outcome, report.exit_code),
            (outcome, code),
            "step {step}"
        );
        let log = dir.path().join(format!("{key}.1.log"));
        assert_matches_log(report, &log);
        let text = std::fs::read_to_string(log).unwrap();
        assert!(text.starts_with("one\ntwo\nthree\n"), "{text:?}");
    }
    assert_eq!(tail_lines(&t), ["one", "two", "three", FAIL_LINE]);
}

#[tokio::test]
async fn a_drill_can_be_killed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let mut s = sim(&dir, "long", &["first", "never"], 0, false);
    s.speed = 1.0;
    s.duration = Duration::from_secs(100);
    let t = tail();
    r.simulate(0, s, t.clone());
    until("the first line", || tail_lines(&t) == ["first"]).await;
    r.kill(0);
    let report = exited(&mut rx).await;
    assert_eq!(
        (report.outcome, report.exit_code, report.lines),
        (StepOutcome::Killed, None, 1)
    );
    assert_eq!(r.running(), 0);
}

async fn notify_done(rx: &mut Rx) -> (Option<i32>, bool, String) {
    match input(rx).await {
        Input::NotifyDone {
            exit_code,
            timed_out,
            stderr,
            ..
        } => (exit_code, timed_out, stderr),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifiers_get_the_payload_and_cannot_hang_us() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_path_buf();
    let (tx, mut rx) = unbounded_channel();
    let r = Runner::new(tx)
        .with_grace(Duration::from_millis(300))
        .with_notify_timeout(Duration::from_millis(300));
    let payload = json!({"event": "escalation", "level": 2});
    let env = vec![("ROLLBACK_LEVEL".to_string(), "2".to_string())];
    let reads = r#"cat > payload.json; echo "$ROLLBACK_LEVEL" > level.txt; echo oops >&2"#;
    r.notify(
        "escalation".into(),
        reads.into(),
        payload.clone(),
        env.clone(),
        work.clone(),
    );
    assert_eq!(
        notify_done(&mut rx).await,
        (Some(0), false, "oops\n".into())
    );
    let written = std::fs::read_to_string(work.join("payload.json")).unwrap();
    assert_eq!(written, format!("{payload}\n"));
    assert_eq!(
        std::fs::read_to_string(work.join("level.txt")).unwrap(),
        "2\n"
    );

    // Ignores its stdin (a payload larger than a pipe buffer) and exits at once.
    let big = json!({"blob": "x".repeat(1 << 20)});
    r.notify(
        "deaf".into(),
        "exit 0".into(),
        big,
        env.clone(),
        work.clone(),
    );
    assert_eq!(notify_done(&mut rx).await, (Some(0), false, String::new()));

    let started = Instant::now();
    let hangs = "echo $$ > hang.pid; exec sleep 100";
    r.notify("hang".into(), hangs.into(), payload, env, work.clone());
    let (code, timed_out, _) = notify_done(&mut rx).await;
    assert_eq!((code, timed_out), (None, true));
    assert!(started.elapsed() < Duration::from_secs(5));
    let pid: i32 = std::fs::read_to_string(work.join("hang.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(live_members(pid), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_are_recognised_by_run_id_and_killed() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = unbounded_channel();
    let mut r = Runner::new(tx).with_grace(Duration::from_millis(300));
    let run = unique("run");
    let mut s = spec(&dir, "phase.step", "sleep 100");
    s.env = vec![("ROLLBACK_RUN_ID".into(), run.clone())];
    let (pid, pgid) = r.spawn(3, s, tail()).unwrap();
    assert!(group_alive(pgid));
    until("the environment", || group_of_run(pgid, &run)).await;
    assert!(!group_of_run(pgid, &unique("other")));
    let found = processes_of_run(&run);
    assert!(
        found.contains(&(pid, pgid, Some("phase.step".into()))),
        "{found:?}"
    );

    r.kill_orphan(3, pgid, dir.path().join("none.log"), tail());
    let mut gone = false;
    let mut exited = false;
    while !(gone && exited) {
        match input(&mut rx).await {
            Input::OrphanGone {
                step: 3,
                pgid: g,
                killed: true,
            } if g == pgid => gone = true,
            Input::Exited { step: 3, .. } => exited = true,
            other => panic!("{other:?}"),
        }
    }
    assert!(!group_alive(pgid));
    assert_eq!(live_members(pgid), Vec::<u32>::new());
    assert!(processes_of_run(&run).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_orphan_is_reported_when_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (mut r, mut rx) = runner();
    let (_, pgid) = r
        .spawn(1, spec(&dir, "watched", "sleep 100"), tail())
        .unwrap();
    r.watch_orphan(1, pgid, dir.path().join("none.log"), tail());
    r.kill(1);
    let mut seen = (false, false);
    while seen != (true, true) {
        match input(&mut rx).await {
            Input::OrphanGone {
                step: 1,
                killed: false,
                ..
            } => seen.0 = true,
            Input::Exited {
                step: 1, report, ..
            } => {
                assert_eq!(report.outcome, StepOutcome::Killed);
                seen.1 = true;
            }
            other => panic!("{other:?}"),
        }
    }
}

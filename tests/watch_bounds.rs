//! A watch's record and lines are bounded whatever a probe answers: a value of most of a
//! megabyte (as much text as a condition takes) that flaps on every sample is cut to a few
//! KiB in each journal entry and each line, so a watch writes kilobytes, not the tens of
//! megabytes it once did in seconds.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::Runs;
use common::http::{Reply, Scripted};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// An entry or a line never holds more than this, whatever the value.
const LINE_MAX: usize = 16 * 1024;

#[test]
fn a_flapping_big_value_is_cut_in_the_journal_and_the_lines() {
    let n = AtomicU64::new(0);
    let blob = "x".repeat(900 * 1024);
    let server = Scripted::start(move |_| {
        let ok = n.fetch_add(1, Ordering::SeqCst).is_multiple_of(2);
        Reply::new(200, &format!("{{\"ok\": {ok}, \"blob\": \"{blob}\"}}"))
    });
    let runs = Runs::new();
    let base = include_str!("plans/base.yaml");
    let head = base.split("triggers:\n").next().unwrap();
    let plan = runs.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "{head}triggers:\n  - name: flaps\n    http: {{url: '{}'}}\n    condition: '!result.ok'\n    interval: 100ms\n    count: 10\n    failure_limit: 9\n",
            server.url("/state")
        ),
    )
    .unwrap();
    let mut child = runs
        .cmd(&["watch", "--headless", "--json", plan.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut verdicts = 0;
    while verdicts < 6 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("only {verdicts} verdict lines within 30 s"));
        assert!(line.len() <= LINE_MAX, "a line of {} bytes", line.len());
        assert!(
            !line.contains("\"blind\""),
            "the value must be judged: {line}"
        );
        if line.contains("\"verdict\"") {
            verdicts += 1;
        }
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    child.wait().unwrap();
    let journal = std::fs::read_dir(runs.path().join(".watch"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let text = std::fs::read_to_string(&journal).unwrap();
    let entries = text.lines().filter(|l| l.contains("\"verdict\"")).count();
    assert!(entries >= 6, "{entries} verdicts journaled");
    for line in text.lines() {
        assert!(line.len() <= LINE_MAX, "an entry of {} bytes", line.len());
    }
    assert!(text.contains("bytes, cut"), "the cut says so");
}

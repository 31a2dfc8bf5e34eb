//! A `rollback watch` whose trigger listens for Alertmanager, against strangers on its port:
//! holding every connection open does not make the trigger read healthy, and trickling a
//! head a byte at a time costs the watch little CPU. Peers one at a time are in
//! alertmanager_guard.rs.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::receiver::{Siege, TOKEN, free_port, plan_with_receiver, trickle};

const LIMIT: Duration = Duration::from_secs(30);

/// `rollback watch --headless --json` of a plan whose trigger listens on `port`.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    _dirs: [tempfile::TempDir; 2],
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watch {
    fn start(port: u16) -> Watch {
        let (dir, runs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let plan = plan_with_receiver(dir.path(), port, "{secret: true, required: true}");
        let mut child = Command::new(common::bin())
            .args(["watch", "--headless", "--json"])
            .args(["--var", &format!("am_token={TOKEN}")])
            .arg(&plan)
            .env("ROLLBACK_RUNS_DIR", runs.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        let mut watch = Watch {
            child,
            lines,
            seen: Vec::new(),
            _dirs: [dir, runs],
        };
        // The receiver listens: the trigger has seen no alert.
        watch.wait_for(r#""state":"healthy""#);
        watch
    }

    /// The first line from now on holding `needle`.
    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(LIMIT) {
                Ok(l) if l.contains(needle) => return l,
                Ok(l) => self.seen.push(l),
                Err(_) => panic!("no line with {needle}: {:#?}", self.seen),
            }
        }
    }

    /// The CPU time the watch has used (user and system).
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // After the command's name, which may hold spaces: utime and stime are the 12th
        // and 13th fields, in ticks of 1/100 s (USER_HZ on Linux).
        let fields: Vec<u64> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .skip(11)
            .take(2)
            .map(|f| f.parse().unwrap())
            .collect();
        Duration::from_millis((fields[0] + fields[1]) * 10)
    }
}

#[test]
fn strangers_holding_every_place_make_the_trigger_blind_never_healthy() {
    let port = free_port();
    let mut watch = Watch::start(port);
    let siege = Siege::start(port, 64);
    let blind = watch.wait_for(r#""state":"blind""#);
    assert!(
        blind.contains("refused or dropped") && blind.contains("without a whole head within 2s"),
        "{blind}"
    );
    assert!(
        !watch
            .seen
            .iter()
            .any(|l| l.contains(r#""state":"healthy""#)),
        "{:#?}",
        watch.seen
    );
    drop(siege);
}

#[test]
fn a_stranger_trickling_its_head_costs_the_watch_little_cpu() {
    let port = free_port();
    let watch = Watch::start(port);
    let span = Duration::from_secs(4);
    let before = watch.cpu();
    let start = Instant::now();
    // One stranger, a byte each millisecond, back each time it is cut off.
    let mut cuts = Vec::new();
    while start.elapsed() < span {
        let left = span.saturating_sub(start.elapsed());
        cuts.push(trickle(port, Duration::from_millis(1), left));
    }
    let (used, took) = (watch.cpu() - before, start.elapsed());
    println!("cpu while trickled at: {used:?} in {took:?}; connections: {cuts:?}");
    let longest = cuts.iter().map(|(d, _)| *d).max().unwrap();
    assert!(
        cuts.len() > 1 && longest < Duration::from_secs(3),
        "not cut off: {cuts:?}"
    );
    assert!(
        used < took / 10,
        "{used:?} of CPU in {took:?} for one stranger"
    );
}

//! The watch without a screen: one line per change (text, or JSON with `--json`), the
//! cancel window's countdown every ten seconds, and an operator's answers read from stdin:
//! `cancel WHO WHY...` cancels what a trigger is waiting on, `start WHO` starts the
//! rollback. When the policy starts it, the run is driven headless like `rollback run`.

use serde_json::json;
use tokio::sync::mpsc;

use super::args::HeadlessArgs;
use crate::exit::Exit;
use crate::monitor::board::Change;
use crate::watch::lines::{Next, now, settle};
use crate::watch::prepared::{Prepared, WatchJournal, start_run};
use crate::watch::watcher::{Step, Watcher};

/// `drill`: a drill exercise's headless flags, with which its run is driven as `rollback
/// drill --headless` drives one.
/// `answers`: what the run answers by itself once a trigger starts it.
pub async fn watch(
    mut p: Prepared,
    answers: crate::headless::Options,
    drill: Option<&HeadlessArgs>,
) -> color_eyre::Result<Exit> {
    let json = p.json;
    let mut journal = WatchJournal::open(&p);
    let specs = std::mem::take(&mut p.specs);
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let cx = std::mem::take(&mut p.cx);
    p.cx.workdir = cx.workdir.clone();
    let mut w = Watcher::new(specs, cx, p.opts.drill.speed).await?;
    if let Some(ex) = p.exercise.as_ref().filter(|_| !json) {
        eprintln!(
            "drill: watching {} on the drill clock x{}: its probe is not asked, its answers are played; {} answers what would wait on an operator (stdin: `cancel WHO WHY` ends the drill; record: {})",
            names.join(", "),
            crate::engine::clock::factor_text(p.opts.drill.speed),
            ex.trainee,
            journal.path.display()
        );
    } else if !json {
        eprintln!(
            "watching {} trigger{} (Ctrl-C or SIGTERM to stop; on stdin `cancel WHO WHY` or `start WHO` answers a trigger waiting on an operator; record: {})",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            journal.path.display()
        );
    }
    let mut stdin = stdin_lines();
    let mut stdin_open = true;
    let mut band: Option<(usize, u128)> = None;
    let started = loop {
        tokio::select! {
            step = w.next() => match step {
                Step::Changes(changes) => match take(&p, &mut w, changes, &mut journal) {
                    Taken::Start(start) => break Some(start),
                    Taken::End => break None,
                    Taken::Watch => {}
                },
                Step::Tick => {
                    if let Some((i, left)) = w.board.policy.countdown(w.now()) {
                        let secs = left.as_millis().div_ceil(1000);
                        // Once per ten seconds left: on a fast drill clock a tick is several
                        // seconds, so the line comes on the first tick of each band.
                        let now_band = (i, secs.div_ceil(10));
                        let new_band = band.is_some_and(|b| b != now_band);
                        band = Some(now_band);
                        if secs > 0 && new_band {
                            say(json, json!({"time": now(), "trigger": names[i], "policy": "countdown", "seconds": secs}),
                                format!("{} {}: the rollback starts in {secs}s unless cancelled (`cancel WHO WHY` on stdin)", now(), names[i]));
                        }
                    } else {
                        band = None;
                    }
                }
                Step::Stop(why) => {
                    journal.write(json!({"type": "watch_stopped", "by": why}));
                    say(json, json!({"time": now(), "watch": "stopped", "by": why}), format!("{} watch stopped ({why})", now()));
                    break None;
                }
            },
            read = stdin.recv(), if stdin_open => match read {
                Some(text) => {
                    let changes = answer(&mut w, text.trim());
                    match changes {
                        Ok(changes) => match take(&p, &mut w, changes, &mut journal) {
                            Taken::Start(start) => break Some(start),
                            Taken::End => break None,
                            Taken::Watch => {}
                        },
                        Err(e) => eprintln!("rollback watch: {e}"),
                    }
                }
                _ => stdin_open = false,
            },
        }
    };
    w.shutdown().await;
    let Some((trigger, by)) = started else {
        return Ok(Exit::Ok);
    };
    let fired = w.fired(trigger, by);
    drop(w);
    match start_run(&p, fired, &mut journal) {
        Ok((session, rx)) => Ok(match drill {
            Some(h) => super::drive::drive_headless(session, rx, h).await,
            None => crate::headless::drive(session, rx, answers).await,
        }),
        Err(e) => {
            eprintln!("rollback watch: the rollback could not start: {e}");
            Ok(Exit::Internal)
        }
    }
}

/// What a batch of changes leads to.
enum Taken {
    Start((usize, Option<String>)),
    /// A drill exercise ended without a run.
    End,
    Watch,
}

/// Shows and records changes; in a drill exercise, answers as the trainee what would wait
/// on a person, and ends the drill on a cancel.
fn take(p: &Prepared, w: &mut Watcher, changes: Vec<Change>, journal: &mut WatchJournal) -> Taken {
    match settle(p, w, &changes, journal, &mut |line| println!("{line}")) {
        Next::Start(start) => return Taken::Start(start),
        Next::Ended(why) => {
            say(
                p.json,
                json!({"time": now(), "watch": "ended", "why": why}),
                format!("{} {why}", now()),
            );
            return Taken::End;
        }
        Next::Watch => {}
    }
    let Some(ex) = &p.exercise else {
        return Taken::Watch;
    };
    let now = w.now();
    match w.board.answer_start(&ex.trainee, now) {
        answered if answered.is_empty() => Taken::Watch,
        answered => take(p, w, answered, journal),
    }
}

/// Lines from stdin, read on a thread of their own (a read that blocks is never awaited).
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// `cancel WHO WHY...` or `start WHO`, for the first trigger waiting on an operator.
fn answer(w: &mut Watcher, text: &str) -> Result<Vec<Change>, String> {
    let mut words = text.splitn(3, ' ');
    let (verb, who, why) = (
        words.next().unwrap_or(""),
        words.next().unwrap_or(""),
        words.next().unwrap_or(""),
    );
    let pending = w.board.waiting().map(|p| p.trigger());
    // An inconclusive trigger: `start` judges the sample bad, `cancel` judges it good.
    if let (None, Some(t), "start" | "cancel") = (pending, w.board.inconclusive(), verb) {
        if who.is_empty() || (verb == "cancel" && why.trim().is_empty()) {
            return Err("say `start WHO` or `cancel WHO WHY`".into());
        }
        let now = w.now();
        return Ok(w.board.judge(t, verb == "start", who, now));
    }
    match (verb, pending) {
        ("cancel", Some(t)) => {
            let now = w.now();
            w.board.cancel(t, who, why, now)
        }
        ("start", Some(t)) if !who.is_empty() => Ok(w.board.start_by(t, who)),
        ("cancel" | "start", None) => Err("no trigger is waiting on an operator".into()),
        _ => Err(format!("`{text}`: say `cancel WHO WHY` or `start WHO`")),
    }
}

fn say(json: bool, doc: serde_json::Value, text: String) {
    if json {
        println!("{doc}");
    } else {
        println!("{text}");
    }
}

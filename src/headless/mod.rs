//! The face without a screen: the same engine, driven by flags, one line per event.
//! Gates pass only with `--approve-as`, manual checks only with `--confirm-manual`; a
//! question nobody can answer stops the run resumable with exit 1. Ctrl-C aborts cleanly.

mod answer;
pub mod drill;

use std::io::Write;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::engine::Record;
use crate::engine::describe::describe_on_clock;
use crate::engine::sla::{SlaStatus, clock_text, countdown_text};
use crate::engine::{Input, Waiting};
use crate::exit::Exit;
use crate::mask::Mask;
use crate::plan::RegionFailure;
use crate::runner::RunnerMsg;
use crate::session::Session;

use crate::headless::answer::{Asked, answer};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub approve_as: Option<String>,
    pub confirm_manual: bool,
    pub verbose: bool,
    pub rerun_interrupted: bool,
    /// Retry each step that failed for good, once.
    pub retry_failed: bool,
    pub kill_orphans: bool,
    /// What a region's failure does to the others when the plan says `ask`.
    pub on_region_failure: Option<RegionFailure>,
    /// Close the run as aborted at once, with why (`resume --abort --reason`).
    pub abort: Option<String>,
}

/// `22:41:03 +05:00 SLA 10:00 left  escalation level 2: Engage senior SRE`; an event about
/// a region is prefixed with it: `[eu-west-1] 22:41:03 ...`.
/// `speed`: the run's clock factor, for the step times a drill's line gives.
pub fn event_line(r: &Record, sla_ms: u64, speed: f64, mask: &Mask) -> String {
    let line = plain_event_line(r, sla_ms, speed, mask);
    match r.event.region() {
        Some(region) => format!("[{}] {line}", crate::text::inline(region)),
        None => line,
    }
}

fn plain_event_line(r: &Record, sla_ms: u64, speed: f64, mask: &Mask) -> String {
    let sla = SlaStatus::new(r.elapsed_ms, sla_ms);
    let left = if sla_ms == 0 {
        String::new()
    } else if sla.breached() {
        format!("SLA +{} OVER", clock_text(sla.overrun_ms()))
    } else {
        format!("SLA {} left", countdown_text(sla.remaining_ms()))
    };
    format!(
        "{} +{} {left:<15} {}",
        r.time().format("%H:%M:%S"),
        clock_text(r.elapsed_ms),
        crate::text::inline(&mask.text(&describe_on_clock(&r.stamped(), speed)))
    )
}

/// Command output is untrusted: escape sequences and other control characters are shown
/// inert, never handed to the terminal; bidi overrides are escaped as in plan text.
pub fn inert(bytes: &[u8]) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '\r' | '\n' => {}
            c if c.is_control() && c != '\t' => {
                out.push(char::from_u32(0x2400 + (c as u32 & 0x1f)).unwrap_or('?'));
            }
            c if crate::text::is_unsafe(c) && c != '\t' => crate::text::escape_char(c, &mut out),
            c => out.push(c),
        }
    }
    out
}

struct Printer {
    last_seq: Option<u64>,
    /// The steps whose output is followed: step -> (attempt, next line). Steps of different
    /// regions run at once; each keeps its own place and its lines their region's prefix.
    output: std::collections::BTreeMap<usize, (u32, u64)>,
    /// Drills: the steps whose `explain` text was printed.
    explained: std::collections::HashSet<usize>,
}

impl Printer {
    /// Prints from the last start or resume on: what came before was shown before.
    fn after_start(s: &Session) -> Printer {
        let first = s
            .recent()
            .iter()
            .rposition(|r| {
                matches!(
                    r.event,
                    crate::engine::Event::RunStarted(_) | crate::engine::Event::RunResumed { .. }
                )
            })
            .unwrap_or(0);
        Printer {
            last_seq: first
                .checked_sub(1)
                .and_then(|i| s.recent().get(i))
                .map(|r| r.seq),
            output: Default::default(),
            explained: Default::default(),
        }
    }

    fn events(&mut self, s: &Session) {
        let sla = s.state().sla_ms();
        let mut out = std::io::stdout().lock();
        let after = self.last_seq;
        for r in s
            .recent()
            .iter()
            .filter(|r| after.is_none_or(|l| r.seq > l))
        {
            if let crate::engine::Event::StepStarted { step, .. } = &r.event
                && let Some(i) = s.state().step_index(step)
            {
                self.explain(s, i, &mut out);
            }
            let _ = writeln!(out, "{}", event_line(r, sla, s.state().speed(), s.mask()));
            self.last_seq = Some(r.seq);
        }
    }

    /// A drill prints a step's `explain` once, before the step starts or asks.
    fn explain(&mut self, s: &Session, i: usize, out: &mut impl Write) {
        if s.mode() == crate::engine::Mode::Drill
            && self.explained.insert(i)
            && let Some(text) = crate::headless::drill::explain(s, i)
        {
            let _ = writeln!(out, "{}", s.mask().text(&text));
        }
    }

    /// New output lines: the rest of each step that ended, then what the running ones printed.
    fn output(&mut self, s: &mut Session) {
        let running: Vec<usize> = s.state().running_steps().collect();
        let ended: Vec<usize> = self
            .output
            .iter()
            .filter(|(step, (attempt, _))| {
                !running.contains(step) || s.state().steps[**step].attempts_used() != *attempt
            })
            .map(|(step, _)| *step)
            .collect();
        for step in ended {
            self.lines(s, step, true);
            self.output.remove(&step);
        }
        for step in running {
            let attempt = s.state().steps[step].attempts_used();
            self.output.entry(step).or_insert((attempt, 0));
        }
        let followed: Vec<usize> = self.output.keys().copied().collect();
        for step in followed {
            self.lines(s, step, false);
        }
    }

    /// Prints the lines of `step` not yet printed; the last, possibly unfinished, line only
    /// once the step has ended.
    fn lines(&mut self, s: &mut Session, step: usize, ended: bool) {
        let prefix = match &s.state().steps[step].region {
            Some(r) => format!("[{}] | ", crate::text::inline(r)),
            None => "    | ".to_string(),
        };
        let Some((_, next)) = self.output.get_mut(&step) else {
            return;
        };
        let Some(tail) = s.tail(step) else { return };
        let Ok(t) = tail.lock() else { return };
        let end = if ended {
            t.total_lines()
        } else {
            t.total_lines().saturating_sub(1)
        };
        let mut out = std::io::stdout().lock();
        if *next < t.first_kept() {
            let _ = writeln!(out, "{prefix}… {} lines not shown", t.first_kept() - *next);
            *next = t.first_kept();
        }
        while *next < end {
            if let Some(line) = t.line(*next) {
                let _ = writeln!(out, "{prefix}{}", s.mask().text(&inert(line)));
            }
            *next += 1;
        }
    }
}

/// Drives a started or resumed run to its end (or to a question nobody can answer).
pub async fn drive(mut s: Session, mut rx: UnboundedReceiver<RunnerMsg>, o: Options) -> Exit {
    println!("run directory: {}", s.run().path.display());
    if let Some(n) = s.take_notice() {
        println!("note: {n}");
    }
    let mut p = Printer::after_start(&s);
    for line in crate::headless::drill::preamble(&s) {
        println!("{line}");
    }
    let Some(mut signals) = Signals::new() else {
        return Exit::Internal;
    };
    let mut turn = Turn::default();
    if let Some(reason) = o.abort.clone().filter(|_| s.state().end.is_none()) {
        let by = s.operator().to_string();
        let _ = s.handle(Input::Abort { by, reason });
    }
    loop {
        match turn.take(&mut s, &mut p, &o) {
            Flow::Again => continue,
            Flow::Done(exit) => return exit,
            Flow::Wait => {}
        }
        if let Some(exit) = wait(&mut s, &mut rx, &mut signals, &mut turn.stopping).await {
            return exit;
        }
    }
}

/// What the loop does after one turn.
enum Flow {
    /// An input was taken: look again before waiting.
    Again,
    Wait,
    Done(Exit),
}

/// What the headless loop remembers between turns.
#[derive(Default)]
struct Turn {
    asked: Asked,
    /// Set once the run is being left: the exit code when nothing runs any more.
    stopping: Option<Exit>,
    acked: u8,
}

impl Turn {
    /// Prints what happened, then answers what the run waits for, if the flags can.
    fn take(&mut self, s: &mut Session, p: &mut Printer, o: &Options) -> Flow {
        if o.verbose {
            p.output(s);
        }
        p.events(s);
        if let Some(cut) = s.cut() {
            if o.verbose {
                p.output(s);
            }
            for line in cut.lines() {
                println!("{line}");
            }
            return Flow::Done(Exit::Failed);
        }
        if let Some(why) = &s.fatal() {
            eprintln!("rollback: the run stopped: {why}");
            return Flow::Done(Exit::Internal);
        }
        if let Some(n) = s.take_notice() {
            eprintln!("rollback: {n}");
        }
        if let Some(ack) = crate::headless::drill::acknowledge(s, &mut self.acked) {
            let _ = s.handle(ack);
            return Flow::Again;
        }
        let waiting = s.state().waiting();
        if let Waiting::Finished(outcome) = waiting {
            if s.busy() == 0 {
                if o.verbose {
                    p.output(s);
                }
                for line in crate::engine::tally::Tally::of(s.state()).lines() {
                    println!("{line}");
                }
                println!("run directory: {}", s.run().path.display());
                match s.finish() {
                    Some(Ok([md, json])) => {
                        println!("report: {} ({})", md.display(), json.display())
                    }
                    Some(Err(e)) => eprintln!("rollback: the report was not written: {e}"),
                    None => {}
                }
                return Flow::Done(self.stopping.unwrap_or(Exit::of(Some(outcome))));
            }
        } else if self.stopping.is_some() && s.busy() == 0 {
            println!("run directory: {}", s.run().path.display());
            println!("the run can be resumed: rollback resume {}", s.run().id);
            return Flow::Done(self.stopping.unwrap_or(Exit::Failed));
        } else if self.stopping.is_none() {
            if let Waiting::Approval(i) | Waiting::Manual(i) | Waiting::PointOfNoReturn(i) = waiting
            {
                p.explain(s, i, &mut std::io::stdout().lock());
            }
            match answer(&waiting, s, o, &mut self.asked) {
                Ok(Some(input)) => {
                    let _ = s.handle(input);
                    return Flow::Again;
                }
                Ok(None) => {}
                Err(why) => {
                    eprintln!("rollback: {why}");
                    let _ = s.handle(Input::Leave {
                        reason: format!("headless: {why}"),
                        terminate: false,
                    });
                    self.stopping = Some(Exit::Failed);
                    return Flow::Again;
                }
            }
        }
        Flow::Wait
    }
}

/// The signals a headless run answers.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Option<Signals> {
        Some(Signals {
            term: signal(SignalKind::terminate()).ok()?,
            int: signal(SignalKind::interrupt()).ok()?,
            hup: signal(SignalKind::hangup()).ok()?,
        })
    }
}

/// Waits for the runner, the next deadline or a signal, and takes it. `Some` ends the run's
/// drive at once.
async fn wait(
    s: &mut Session,
    rx: &mut UnboundedReceiver<RunnerMsg>,
    signals: &mut Signals,
    stopping: &mut Option<Exit>,
) -> Option<Exit> {
    let deadline = s.next_deadline_ms().map(|at| {
        let wait = (at - s.now_ms()).max(0) as u64;
        tokio::time::Instant::now() + std::time::Duration::from_millis(wait)
    });
    let sleep = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    let abort = |s: &mut Session, how: &str| {
        if s.state().end.is_none() {
            let by = s.operator().to_string();
            let _ = s.handle(Input::Abort {
                by,
                reason: format!("interrupted ({how})"),
            });
        }
    };
    tokio::select! {
        msg = rx.recv() => match msg {
            Some(m) => { let _ = s.on_runner(m); }
            None => return Some(Exit::Internal),
        },
        _ = sleep => { let _ = s.handle(Input::Tick); }
        // Waiting for a command from before the restart, Ctrl-C leaves at once: the
        // command keeps running and the run stays resumable.
        _ = signals.int.recv() => match s.state().waiting() {
            Waiting::Orphan { .. } => {
                let _ = s.handle(Input::Leave {
                    reason: "interrupted (Ctrl-C) while waiting for a command from before".into(),
                    terminate: false,
                });
                println!(
                    "left; the command from before is still running: `rollback resume {}` waits for it again (or --kill-orphans)",
                    s.run().id
                );
                *stopping = Some(Exit::Failed);
            }
            _ => abort(s, "Ctrl-C"),
        },
        _ = signals.term.recv() => abort(s, "SIGTERM"),
        _ = signals.hup.recv(), if stopping.is_none() => {
            let _ = s.hang_up();
            *stopping = Some(Exit::Failed);
        }
    }
    None
}

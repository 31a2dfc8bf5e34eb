//! Post-rollback validation windows, headless: after `run|drill|rehearse --headless` ends
//! well, and for `rollback watch --validate RUN` (going on after a stop or a restart). One
//! line when a window opens or closes, a countdown line per open window, one line per bad
//! sample; a failing check or trigger re-alerts through the plan's `notify`. Ctrl-C or
//! SIGTERM leaves (recorded; `watch --validate` goes on from there).
//!
//! Exit codes: 0 validated, not validated, or left; 1 regressed; 2 nothing to validate or
//! a bad run; 4 internal (the record cannot be written).

use std::path::Path;
use std::time::Duration;

use crate::exit::Exit;
use crate::monitor::validation::{RunVerdict, WindowVerdict};
use crate::monitor::{Outcome, Sample};
use crate::session::validate_loop::{Ended, Face, now_ms, run_loop, sample_text};
use crate::session::validate_windows::{OpenError, Validating, open};

/// A countdown line this often (real time) while a window is open.
const COUNTDOWN_EVERY: Duration = Duration::from_secs(60);

pub struct Options<'a> {
    pub operator: &'a str,
    pub speed: f64,
    /// Why every window is recorded as not run (`--no-validate`, or a drill not asked to
    /// practise them), if they are.
    pub skip: Option<&'static str>,
    /// The run's variable values, secrets included, when the caller has them.
    pub vars: Vec<(String, String)>,
}

/// `rollback watch --validate RUN [--speed N]`.
pub fn watch(args: &super::args::WatchArgs) -> color_eyre::Result<Exit> {
    let root = crate::timeline::rundir::runs_root(args.runs.runs_dir.as_deref());
    let query = args.plan.display().to_string();
    let dir = match crate::timeline::rundir::find(&root, &query) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback watch --validate: {e}");
            return Ok(Exit::BadInput);
        }
    };
    if !(args.speed.is_finite() && args.speed >= 1.0) {
        eprintln!(
            "rollback watch --validate: --speed must be 1 or more, not {}",
            args.speed
        );
        return Ok(Exit::BadInput);
    }
    let operator = super::load::operator(None);
    let rt = crate::runner::runtime()?;
    Ok(rt.block_on(validate(
        &dir,
        Options {
            operator: &operator,
            speed: args.speed,
            skip: None,
            vars: Vec::new(),
        },
    )))
}

/// After a headless run: its windows, unless it did not complete or declares none.
pub async fn after_run(dir: &Path, o: Options<'_>) -> Exit {
    if !crate::session::validate_windows::pending(dir) {
        return Exit::Ok;
    }
    validate(dir, o).await
}

/// Says how the windows of a run that just completed go on, when it has some: the command
/// itself ends with the rollback.
pub fn tell_later(dir: &Path) {
    if !crate::session::validate_windows::pending(dir) {
        return;
    }
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    println!(
        "the rollback completed; its validation windows are next: rollback watch --validate {} (or run with --validate to stay through them)",
        crate::text::inline(&id.unwrap_or_default())
    );
}

/// `resume RUN` of a completed run whose windows have not ended.
pub async fn go_on(dir: &Path, o: Options<'_>) -> Exit {
    println!("the run completed; its validation windows go on");
    validate(dir, o).await
}

/// Runs (or goes on with) the windows of the run in `dir`.
pub async fn validate(dir: &Path, o: Options<'_>) -> Exit {
    let mut v = match open(dir, o.operator, o.speed, &o.vars) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("rollback: validation windows: {e}");
            return match e {
                OpenError::Damaged(_) | OpenError::Held(_) | OpenError::Nothing(_) => {
                    Exit::BadInput
                }
            };
        }
    };
    if let Some(verdict) = v.ended() {
        println!("validation already ended: {}", verdict.word());
        return exit_of(verdict);
    }
    let skipped = o.skip;
    if skipped.is_none() {
        let windows: Vec<String> = v
            .validation
            .spans()
            .iter()
            .map(|s| format!("{} until {}", s.window.name(), fmt(s.until)))
            .collect();
        let speed = if v.speed > 1.0 {
            format!(" on the drill clock (x{})", v.speed)
        } else {
            String::new()
        };
        println!(
            "validating the rollback{speed}: {}; sampling {} (Ctrl-C leaves; `rollback watch --validate {}` goes on)",
            windows.join(", "),
            sources_text(&v),
            v.info.run_id
        );
    }
    match v.start(now_ms(), skipped) {
        Ok(changed) => print_windows(&v, &changed),
        Err(e) => return internal(&e),
    }
    let ended = run_loop(&mut v, &mut Lines, signals()).await;
    match ended {
        Err(e) => internal(&e),
        Ok(Ended::Left(why)) => {
            println!(
                "validation left with windows open ({why}); go on with: rollback watch --validate {}",
                v.info.run_id
            );
            Exit::Ok
        }
        Ok(Ended::Judged) => {
            let verdict = v.ended().unwrap_or(RunVerdict::NotValidated);
            println!("validation {}: {}", verdict.word(), window_summary(&v));
            exit_of(verdict)
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C, with which.
async fn signals() -> String {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => tokio::select! {
            _ = term.recv() => "SIGTERM: the operator left".into(),
            _ = int.recv() => "Ctrl-C: the operator left".into(),
        },
        _ => std::future::pending().await,
    }
}

/// One line per change, a countdown line each minute.
struct Lines;

impl Face for Lines {
    fn windows(&mut self, v: &Validating, changed: &[(usize, WindowVerdict)]) {
        print_windows(v, changed);
    }
    fn sample(&mut self, v: &Validating, w: usize, k: usize, sample: &Sample) {
        let word = if sample.outcome == Outcome::Failure {
            "FAILED"
        } else {
            "error"
        };
        println!(
            "{} {} window: {} {word}: {}",
            clock_text(),
            v.validation.spans()[w].window.name(),
            v.specs[k].name,
            sample_text(v, k, sample)
        );
    }
    fn tick(&mut self, v: &Validating, now_ms: i64) {
        print_countdown(v, now_ms);
    }
    fn every(&self) -> Duration {
        COUNTDOWN_EVERY
    }
}

fn print_windows(v: &Validating, changed: &[(usize, WindowVerdict)]) {
    for (w, verdict) in changed {
        let span = v.validation.spans()[*w];
        let name = span.window.name();
        let line = match verdict {
            WindowVerdict::Running => {
                let left = span.until.saturating_sub(span.from);
                format!("{name} window open: {} left", fmt(left))
            }
            WindowVerdict::Passed => format!("{name} window passed"),
            WindowVerdict::Regressed { source } => {
                format!("{name} window REGRESSED: {source}")
            }
            WindowVerdict::NotRun { why } => format!("{name} window NOT RUN: {why}"),
            WindowVerdict::Pending => continue,
        };
        println!("{} {line}", clock_text());
    }
}

fn print_countdown(v: &Validating, now: i64) {
    let Some(w) = v.validation.current() else {
        return;
    };
    let span = v.validation.spans()[w];
    let left = span.until.saturating_sub(v.clock(now));
    let states: Vec<String> = v
        .validation
        .watching()
        .map(|(s, verdict)| format!("{} {}", s.name, verdict.name()))
        .collect();
    println!(
        "{} {} window: {} left ({})",
        clock_text(),
        span.window.name(),
        fmt(left),
        states.join(", ")
    );
}

fn sources_text(v: &Validating) -> String {
    if v.specs.is_empty() {
        return "nothing (every window will be not run)".into();
    }
    v.validation
        .sources()
        .iter()
        .map(|s| match s.only {
            Some(w) => format!("{} ({})", s.name, w.name()),
            None => format!("trigger {}", s.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn window_summary(v: &Validating) -> String {
    v.validation
        .spans()
        .iter()
        .zip(v.validation.verdicts())
        .map(|(s, verdict)| format!("{} {}", s.window.name(), verdict.word()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn exit_of(verdict: RunVerdict) -> Exit {
    match verdict {
        RunVerdict::Regressed => Exit::Failed,
        _ => Exit::Ok,
    }
}

fn internal(why: &str) -> Exit {
    eprintln!("rollback: validation stopped: the record cannot be written: {why}");
    Exit::Internal
}

fn clock_text() -> String {
    chrono::Utc::now().format("%H:%M:%SZ").to_string()
}

fn fmt(d: Duration) -> String {
    crate::plan::duration::format(Duration::from_secs(d.as_secs()))
}

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

use serde_json::{Value as Json, json};
use tokio::sync::mpsc;

use crate::exit::Exit;
use crate::monitor::validation::{RunVerdict, WindowVerdict};
use crate::monitor::{Outcome, ProbeSpec, Verdict};
use crate::session::validate_windows::{OpenError, Validating, open, simulated};

/// A countdown line this often (real time) while a window is open.
const COUNTDOWN_EVERY: Duration = Duration::from_secs(60);

pub struct Options<'a> {
    pub operator: &'a str,
    pub speed: f64,
    /// `--no-validate`: record every window as not run.
    pub skip: bool,
    /// The run's variable values, secrets included, when the caller has them.
    pub vars: Vec<(String, String)>,
}

/// `rollback watch --validate RUN [--speed N]`.
pub fn watch(args: &crate::cli::WatchArgs) -> color_eyre::Result<Exit> {
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
    let operator = super::run::operator(None);
    let rt = super::run::runtime()?;
    Ok(rt.block_on(validate(
        &dir,
        Options {
            operator: &operator,
            speed: args.speed,
            skip: false,
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

/// `resume RUN` of a completed run whose windows have not ended.
pub async fn go_on(dir: &Path, operator: &str, speed: f64) -> Exit {
    println!("the run completed; its validation windows go on");
    validate(
        dir,
        Options {
            operator,
            speed,
            skip: false,
            vars: Vec::new(),
        },
    )
    .await
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
    let skipped = o.skip.then_some("skipped with --no-validate");
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
    let exit = run_loop(&mut v).await;
    if let Some(verdict) = v.ended() {
        println!("validation {}: {}", verdict.word(), window_summary(&v));
        return exit_of(verdict);
    }
    exit
}

async fn run_loop(v: &mut Validating) -> Exit {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return Exit::Internal;
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, usize, Result<Json, String>)>();
    let mut busy = vec![false; v.specs.len()];
    let mut probes = tokio::task::JoinSet::new();
    let mut countdown = tokio::time::interval(COUNTDOWN_EVERY);
    countdown.tick().await;
    let drill = v.mode == crate::engine::Mode::Drill;
    while v.ended().is_none() {
        let now = now_ms();
        match v.tick(now) {
            Ok(changed) => print_windows(v, &changed),
            Err(e) => return internal(&e),
        }
        if v.ended().is_some() {
            break;
        }
        let at = v.clock(now);
        let Some(w) = v.validation.current() else {
            break;
        };
        for k in v.validation.due(at) {
            if busy[k] {
                continue;
            }
            if drill {
                if let Err(e) = take(v, now, w, k, simulated(at)).await {
                    return internal(&e);
                }
                continue;
            }
            busy[k] = true;
            let (probe, timeout) = (v.specs[k].probe.clone(), v.specs[k].timeout);
            let (dir, env, tx) = (v.workdir.clone(), v.env.clone(), tx.clone());
            probes.spawn(async move {
                let answer = match &probe {
                    ProbeSpec::Command(cmd) => {
                        crate::probe::command::run_with_env(cmd, timeout, &dir, &env).await
                    }
                    other => crate::probe::sample(other, timeout, &dir).await,
                };
                let _ = tx.send((w, k, answer));
            });
        }
        if v.ended().is_some() {
            break;
        }
        let wake = v
            .validation
            .next_wake()
            .map_or(now + 1000, |at| v.wall_ms(at));
        // A sample still running is due "now": wait for its answer, not in a busy loop.
        let wait = Duration::from_millis((wake - now).clamp(20, 60_000) as u64);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            Some((w, k, answer)) = rx.recv() => {
                busy[k] = false;
                let now = now_ms();
                let sample = v.specs[k].judge(v.clock(now), answer);
                if let Err(e) = take(v, now, w, k, sample).await {
                    return internal(&e);
                }
            }
            _ = countdown.tick() => print_countdown(v, now_ms()),
            _ = term.recv() => return leave(v, &mut probes, "SIGTERM").await,
            _ = int.recv() => return leave(v, &mut probes, "Ctrl-C").await,
        }
    }
    probes.shutdown().await;
    Exit::Ok
}

/// Records a sample, prints what changed, re-alerts on a failing source.
async fn take(
    v: &mut Validating,
    now: i64,
    w: usize,
    k: usize,
    sample: crate::monitor::Sample,
) -> Result<(), String> {
    let bad = sample.outcome == Outcome::Failure;
    let (verdict, changed) = v.sample(now, w, k, sample.clone())?;
    let name = v.specs[k].name.clone();
    let window = v.validation.spans()[w].window.name();
    if bad || sample.outcome == Outcome::Error {
        let what = sample.message.clone().unwrap_or_else(|| {
            let value = sample.value.as_ref().map(|x| format!(" (result {x})"));
            format!("{}{}", v.specs[k].explain, value.unwrap_or_default())
        });
        let word = if bad { "FAILED" } else { "error" };
        println!("{} {window} window: {name} {word}: {what}", clock_text());
    }
    if matches!(
        verdict,
        Some(Verdict::Fired { .. } | Verdict::Failing { .. })
    ) {
        realert(v, now, window, &name, &sample).await?;
    }
    let changed = v.settle(now, changed)?;
    print_windows(v, &changed);
    Ok(())
}

/// Sends the plan's notifier the failure, and records its end in the segment.
async fn realert(
    v: &mut Validating,
    now: i64,
    window: &str,
    source: &str,
    sample: &crate::monitor::Sample,
) -> Result<(), String> {
    let Some(command) = v.plan.notify.as_ref().map(|n| n.value.clone()) else {
        return Ok(());
    };
    let payload = json!({
        "event": "validation_failed",
        "run_id": v.info.run_id,
        "plan": v.info.plan,
        "window": window,
        "source": source,
        "value": sample.value,
        "message": sample.message,
    });
    let mut env = v.env.clone();
    env.push(("ROLLBACK_EVENT".into(), "validation_failed".into()));
    let n = crate::runner::notify::Notification {
        on: "validation_failed".into(),
        command,
        payload,
        env,
        workdir: v.workdir.clone(),
    };
    // Awaited: the re-alert is on the record before anything else is sampled.
    let done = n
        .run(
            crate::runner::notify::DEFAULT_TIMEOUT,
            Duration::from_millis(500),
        )
        .await;
    if let crate::engine::Input::NotifyDone {
        on,
        command,
        exit_code,
        timed_out,
        duration_ms,
        stderr,
    } = done
    {
        v.record(
            now,
            crate::engine::Event::NotifyFinished {
                on,
                command,
                exit_code,
                timed_out,
                duration_ms,
                stderr,
            },
        )?;
    }
    Ok(())
}

async fn leave(v: &mut Validating, probes: &mut tokio::task::JoinSet<()>, why: &str) -> Exit {
    probes.shutdown().await;
    if let Err(e) = v.leave(now_ms(), &format!("{why}: the operator left")) {
        return internal(&e);
    }
    println!(
        "validation left with windows open ({why}); go on with: rollback watch --validate {}",
        v.info.run_id
    );
    Exit::Ok
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

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn clock_text() -> String {
    chrono::Utc::now().format("%H:%M:%SZ").to_string()
}

fn fmt(d: Duration) -> String {
    crate::plan::duration::format(Duration::from_secs(d.as_secs()))
}

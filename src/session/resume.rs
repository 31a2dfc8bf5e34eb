//! Resuming a run whose process ended (quit, crash, kill -9): replay the timeline, refuse
//! a changed plan unless accepted (and then record who accepted which change), mark
//! unfinished steps interrupted, find commands still running from before, and go on. The
//! SLA clock keeps the original start. A run that ended without its seal is sealed here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::start::{Parts, runner, sha256_hex};
use super::{DrillOptions, Fatal, Opened, Session};
use crate::engine::record::{recorded_plan_sha256, replay};
use crate::engine::seal::seal_of;
use crate::engine::{Clock, Event, Input, Outcome, Record, RunInfo, Status};
use crate::mask::REDACTED;
use crate::plan::Plan;
use crate::plan::load::load_bytes;
use crate::plan::vars::Values;
use crate::runner::orphan;
use crate::timeline::journal::OpenError;
use crate::timeline::journal::read_complete;
use crate::timeline::rundir::{self, PLAN_COPY, TIMELINE};
use crate::timeline::seal::{Mark, read_mark, write_mark};
use crate::timeline::{Journal, RunDir};

#[derive(Debug, Clone, Default)]
pub struct ResumeOptions {
    pub operator: String,
    /// Resume even though the plan file changed since it was recorded (recorded too).
    pub plan_changed_ok: bool,
    /// Values given again (secrets are never recorded, so they must be).
    pub vars: Vec<(String, String)>,
    pub drill: DrillOptions,
    pub grace: Option<Duration>,
    /// How much output the logs keep.
    pub logs: crate::runner::LogLimits,
    /// What a hang-up does to the running step.
    pub hangup: super::Hangup,
}

/// Why a run cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeError {
    /// Another process has the run open.
    Held(String),
    Damaged(String),
    PlanChanged {
        recorded: String,
        now: String,
    },
    Ended {
        outcome: Outcome,
        /// It had ended without its seal (killed in between) and was sealed now.
        sealed_now: bool,
    },
    MissingSecrets(Vec<String>),
    Other(String),
}

impl std::fmt::Display for ResumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResumeError::Held(h) => write!(f, "the run is open in another rollback: {h}"),
            ResumeError::Damaged(e) => write!(f, "the timeline cannot be trusted: {e}"),
            ResumeError::PlanChanged { recorded, now } => write!(
                f,
                "plan.yaml in the run directory changed since it was recorded (sha256 {}… then, {}… now); \
                 pass --plan-changed-ok to resume with it anyway (recorded)",
                &recorded[..12.min(recorded.len())],
                &now[..12.min(now.len())]
            ),
            ResumeError::Ended {
                outcome,
                sealed_now,
            } => {
                write!(f, "the run has already {}", outcome.word())?;
                if *sealed_now {
                    f.write_str(" (it ended without its seal; sealed now)")?;
                }
                f.write_str("; see `rollback report`")
            }
            ResumeError::MissingSecrets(names) => write!(
                f,
                "secret values are never recorded; give them again: {}",
                names
                    .iter()
                    .map(|n| format!("--var {n}=..."))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            ResumeError::Other(e) => f.write_str(e),
        }
    }
}

/// Reopens the run in `dir` and records `run_resumed`.
pub fn resume(
    dir: &Path,
    opts: ResumeOptions,
    clock: Arc<dyn Clock>,
) -> Result<Opened, ResumeError> {
    may_reopen(dir)?;
    let now = chrono::DateTime::from_timestamp_millis(clock.now_ms()).unwrap_or_default();
    let run = rundir::open(dir, &rundir::holder_text(&opts.operator, now))
        .map_err(|h| ResumeError::Held(h.holder))?;
    let opened = Journal::open(&dir.join(TIMELINE)).map_err(|e| match e {
        OpenError::Corrupt(c) => ResumeError::Damaged(c.to_string()),
        OpenError::Io(e) => ResumeError::Other(format!("cannot read the timeline: {e}")),
    })?;
    let info = opened
        .records
        .iter()
        .find_map(|r| match &r.event {
            Event::RunStarted(i) => Some(i.clone()),
            _ => None,
        })
        .ok_or_else(|| ResumeError::Damaged("no run_started record".into()))?;
    let bytes = crate::timeline::files::read_bounded(
        &dir.join(PLAN_COPY),
        crate::timeline::files::MAX_WHOLE,
    )
    .map_err(|e| ResumeError::Other(format!("cannot read {PLAN_COPY}: {e}")))?;
    let sha = sha256_hex(&bytes);
    let recorded = recorded_plan_sha256(&opened.records)
        .unwrap_or(&info.plan_sha256)
        .to_string();
    let changed = sha != recorded;
    if changed && !opts.plan_changed_ok {
        return Err(ResumeError::PlanChanged { recorded, now: sha });
    }
    let shown = dir.join(PLAN_COPY).display().to_string();
    let loaded = load_bytes(&shown, bytes).map_err(|e| ResumeError::Other(e.to_string()))?;
    let plan = Arc::new(loaded.plan);
    let state = replay(&plan, &opened.records);
    if let Some(end) = &state.end {
        let sealed_now = seal_of(&opened.records).is_none();
        let ended = Ended {
            run: &run,
            plan: &plan,
            records: &opened.records,
            operator: &opts.operator,
            now_ms: clock.now_ms(),
        };
        ended
            .seal(opened.journal, sealed_now)
            .map_err(|e| ResumeError::Other(format!("cannot seal the ended run: {e}")))?;
        return Err(ResumeError::Ended {
            outcome: end.outcome,
            sealed_now,
        });
    }
    let vars = resume_vars(&plan, &info, &opts.vars)?;
    let drill = drill_of(&info, opts.drill);
    let orphans = find_orphans(&state, &info.run_id);
    let unrecorded = unrecorded_starts(&state, dir);
    let plan_dir = Path::new(&info.plan_path)
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.to_path_buf());
    let (runner, rx) = runner(opts.grace);
    let parts = Parts {
        plan,
        plan_dir,
        run,
        state,
        operator: opts.operator,
        mode: opened
            .records
            .first()
            .map(|r| r.mode)
            .unwrap_or(crate::engine::Mode::Live),
        vars,
        drill,
        clock,
        logs: opts.logs,
        hangup: opts.hangup,
    };
    let mut session = Session::new(parts, opened.journal, runner, opened.records);
    if let Some(aside) = opened.torn {
        session.notice = Some(format!(
            "a torn last line (a crash mid-write) was set aside in {}",
            aside.display()
        ));
    }
    if changed {
        let by = session.operator.clone();
        session
            .record(Event::PlanChanged {
                recorded_sha256: recorded,
                plan_sha256: sha.clone(),
                by,
            })
            .map_err(|Fatal(e)| ResumeError::Other(e))?;
    }
    session
        .handle(Input::Resume {
            host: super::hostname(),
            pid: std::process::id(),
            forced: changed,
            plan_sha256: sha,
            unrecorded,
            orphans,
        })
        .map_err(|Fatal(e)| ResumeError::Other(e))?;
    Ok((session, rx))
}

/// Whether the run in `dir` may be opened again to be written: not sealed, and its `output/`
/// a directory of its own.
fn may_reopen(dir: &Path) -> Result<(), ResumeError> {
    match read_mark(dir) {
        // Sealed: nothing more may be written, not even a lock.
        Ok(Some(_)) => return Err(sealed_outcome(dir)),
        Err(e) => return Err(ResumeError::Damaged(e)),
        Ok(None) => {}
    }
    // Its logs are written into `output/`: a link there would put them anywhere.
    let output = dir.join(rundir::OUTPUT);
    if output.exists() && !crate::timeline::files::is_real_dir(&output) {
        return Err(ResumeError::Damaged(format!(
            "{} is not a directory of the run (a link?): no log is written through it",
            crate::text::path(&output)
        )));
    }
    Ok(())
}

/// A run that ended but is not sealed yet, found at resume.
struct Ended<'a> {
    run: &'a RunDir,
    plan: &'a Plan,
    records: &'a [Record],
    operator: &'a str,
    now_ms: i64,
}

impl Ended<'_> {
    /// Seals it, or, when the seal is written but its mark is not (killed in between),
    /// finishes what sealing began.
    fn seal(&self, mut journal: Journal, sealed_now: bool) -> Result<(), String> {
        if sealed_now {
            return super::seal::seal(
                &mut journal,
                self.run,
                self.plan,
                self.records,
                self.operator,
                self.now_ms,
            )
            .map(|_| ())
            .map_err(|e| e.to_string());
        }
        let last = self.records.last().ok_or("no records")?;
        let mark = Mark {
            records: last.seq + 1,
            hash: last.hash.clone(),
        };
        write_mark(&self.run.path, &mark).map_err(|e| e.to_string())?;
        // The report is a copy: its failure must not keep the run unsealed.
        let _ = super::seal::write_report(self.run, self.now_ms);
        self.run.remove_lock().map_err(|e| e.to_string())
    }
}

/// A drill resumes on its own clock, with its own exercise, trainee and faults.
fn drill_of(info: &RunInfo, given: DrillOptions) -> DrillOptions {
    let Some(d) = &info.drill else {
        return given;
    };
    DrillOptions {
        speed: d.speed,
        fail: d.fail.clone(),
        slow: d.slow.clone(),
        exercise: d.exercise.clone(),
        trainee: Some(d.trainee.clone()),
        // A cut comes at the step's first attempt only, so a resumed run past it is
        // not cut again.
        orphan: d
            .orphan
            .as_ref()
            .map(|(k, ms)| (k.clone(), std::time::Duration::from_millis(*ms))),
    }
}

/// The mode and id of the run in `dir`, read without touching it (a live run with the
/// directory's name when the timeline cannot be read).
pub fn recorded_start(dir: &Path) -> (crate::engine::Mode, String) {
    let bytes = crate::timeline::files::read_bounded(
        &dir.join(TIMELINE),
        crate::timeline::files::MAX_WHOLE,
    )
    .unwrap_or_default();
    let records = read_complete(&bytes).map(|(r, _)| r).unwrap_or_default();
    let fallback = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mode = records
        .first()
        .map_or(crate::engine::Mode::Live, |r| r.mode);
    let id = records
        .iter()
        .find_map(|r| match &r.event {
            Event::RunStarted(i) => Some(i.run_id.clone()),
            _ => None,
        })
        .unwrap_or(fallback);
    (mode, id)
}

/// Why a sealed run cannot be resumed: how it ended, read without touching it.
fn sealed_outcome(dir: &Path) -> ResumeError {
    let bytes = crate::timeline::files::read_bounded(
        &dir.join(TIMELINE),
        crate::timeline::files::MAX_WHOLE,
    )
    .unwrap_or_default();
    let records = read_complete(&bytes).map(|(r, _)| r).unwrap_or_default();
    let outcome = records.iter().find_map(|r| match r.event {
        Event::RunCompleted => Some(Outcome::Completed),
        Event::RunFailed { .. } => Some(Outcome::Failed),
        Event::RunAborted { .. } => Some(Outcome::Aborted),
        _ => None,
    });
    match outcome {
        Some(outcome) => ResumeError::Ended {
            outcome,
            sealed_now: false,
        },
        None => ResumeError::Damaged(
            "the run was sealed but its end is missing from the timeline; see `rollback verify`"
                .into(),
        ),
    }
}

/// Recorded values (secrets were redacted) under the values given again.
fn resume_vars(
    plan: &crate::plan::Plan,
    info: &crate::engine::RunInfo,
    given: &[(String, String)],
) -> Result<Values, ResumeError> {
    let recorded = &info.vars;
    // A drill's secret was a drill value, made again the same way (never asked for).
    let drill_value = |name: &str, var: &crate::plan::Var| {
        info.var_sources
            .iter()
            .any(|(k, s)| k == name && s.starts_with("drill "))
            .then(|| crate::plan::drill_vars::drill_value(name, var).ok())
            .flatten()
            .map(|(v, _)| v)
    };
    let mut values = Values::default();
    let mut missing = Vec::new();
    for (name, var) in plan.vars.iter() {
        let given_value = given.iter().rev().find(|(k, _)| *k == name.value);
        let recorded_value = recorded
            .iter()
            .find(|(k, _)| *k == name.value)
            .filter(|(_, v)| !(var.secret && v == REDACTED));
        let from_env = crate::plan::vars::from_env(name, var, &crate::plan::vars::process_env);
        match given_value.or(recorded_value) {
            Some((_, v)) => values.set(name, v.clone()),
            None if var.secret && drill_value(name, var).is_some() => {
                values.set(name, drill_value(name, var).unwrap_or_default())
            }
            // A secret is not recorded: an `env: true` one is read from the environment again.
            None if var.secret && from_env.is_some() => {
                values.set(name, from_env.unwrap_or_default())
            }
            None if var.secret => missing.push(name.value.clone()),
            None => values.set(
                name,
                var.default
                    .as_ref()
                    .map(|d| d.value.clone())
                    .unwrap_or_default(),
            ),
        }
    }
    if missing.is_empty() {
        Ok(values)
    } else {
        Err(ResumeError::MissingSecrets(missing))
    }
}

/// Steps whose next log exists although no start was recorded: the process was killed
/// between starting the command and recording it, so the command may have run.
fn unrecorded_starts(state: &crate::engine::RunState, dir: &Path) -> Vec<(usize, String)> {
    state
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.selected && !s.status.settled() && s.status != Status::Running)
        .filter_map(|(i, s)| {
            let log = crate::timeline::RunDir::log_name(&s.key, s.attempts_used() + 1);
            dir.join(&log).exists().then_some((i, log))
        })
        .collect()
}

/// Commands of this run still alive: recorded groups of unfinished steps, and any process
/// carrying this run's id (one killed between its spawn and its record).
fn find_orphans(state: &crate::engine::RunState, run_id: &str) -> Vec<(usize, i32)> {
    let mut found: Vec<(usize, i32)> = Vec::new();
    for (i, s) in state.steps.iter().enumerate() {
        if s.status != Status::Running {
            continue;
        }
        if let Some(pgid) = s.last_attempt().and_then(|a| a.pgid)
            && orphan::group_alive(pgid)
            && orphan::group_of_run(pgid, run_id)
        {
            found.push((i, pgid));
        }
    }
    for (_, pgid, step) in orphan::processes_of_run(run_id) {
        let Some(i) = step.as_deref().and_then(|k| state.step_index(k)) else {
            continue;
        };
        if !found.iter().any(|(j, g)| *j == i || *g == pgid) {
            found.push((i, pgid));
        }
    }
    found
}

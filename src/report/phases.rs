//! Phases, steps and attempts as the report shows them: the replayed state of each step of
//! the run, in plan order, with the few facts the fold does not keep (who asked for an extra
//! attempt, which attempts were interrupted) read back from the records.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::time::{Timestamp, between};
use crate::engine::Record;
use crate::engine::state::{Attempt, StepState};
use crate::engine::{Event, RunState, Status, StepOutcome};
use crate::plan::{self, PhaseKind, Plan};

/// A phase named but not run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseRef {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseStatus {
    Pending,
    Running,
    Ok,
    Failed,
    Skipped,
    Interrupted,
    /// Some steps settled, others never done (the run stopped inside the phase).
    Incomplete,
}

impl PhaseStatus {
    pub fn word(self) -> &'static str {
        match self {
            PhaseStatus::Pending => "pending",
            PhaseStatus::Running => "running",
            PhaseStatus::Ok => "ok",
            PhaseStatus::Failed => "failed",
            PhaseStatus::Skipped => "skipped",
            PhaseStatus::Interrupted => "interrupted",
            PhaseStatus::Incomplete => "incomplete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    pub id: String,
    pub title: String,
    pub kind: Option<PhaseKind>,
    pub region: Option<String>,
    pub status: PhaseStatus,
    pub started_at: Option<Timestamp>,
    pub start_elapsed_ms: Option<u64>,
    /// Set when every step of the phase in this run has ended.
    pub ended_at: Option<Timestamp>,
    pub duration_ms: Option<u64>,
    /// The plan's estimate for the phase.
    pub estimate_ms: Option<u64>,
    pub point_of_no_return: bool,
    pub steps: Vec<StepReport>,
    /// Steps of this phase the scenario left out, as `phase.step`.
    pub steps_left_out: Vec<String>,
}

/// What a step does: `run` and `check` are automated, `approve` and `manual` are people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Run,
    Check,
    Approve,
    Manual,
}

impl StepKind {
    pub fn word(self) -> &'static str {
        match self {
            StepKind::Run => "run",
            StepKind::Check => "check",
            StepKind::Approve => "approve",
            StepKind::Manual => "manual",
        }
    }
    pub fn automated(self) -> bool {
        matches!(self, StepKind::Run | StepKind::Check)
    }
}

impl From<plan::StepKind> for StepKind {
    fn from(k: plan::StepKind) -> Self {
        match k {
            plan::StepKind::Run => StepKind::Run,
            plan::StepKind::Check => StepKind::Check,
            plan::StepKind::Approve => StepKind::Approve,
            plan::StepKind::Manual => StepKind::Manual,
        }
    }
}

/// Where a step ended up (the engine's `Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Ok,
    Failed,
    Skipped,
    Interrupted,
    /// Failed for good, then an alternative path was taken instead.
    Replaced,
}

impl StepStatus {
    pub fn word(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Ok => "ok",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Interrupted => "interrupted",
            StepStatus::Replaced => "replaced",
        }
    }
}

impl From<Status> for StepStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => StepStatus::Pending,
            Status::Running => StepStatus::Running,
            Status::Ok => StepStatus::Ok,
            Status::Failed => StepStatus::Failed,
            Status::Skipped => StepStatus::Skipped,
            Status::Interrupted => StepStatus::Interrupted,
            Status::Replaced => StepStatus::Replaced,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// `phase.step`
    pub key: String,
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    pub status: StepStatus,
    /// First attempt, or (for gates) when the run reached the step.
    pub started_at: Option<Timestamp>,
    pub start_elapsed_ms: Option<u64>,
    pub ended_at: Option<Timestamp>,
    /// Start to end: for a gate, how long it waited for its person.
    pub duration_ms: Option<u64>,
    pub attempts: Vec<AttemptReport>,
    pub approved_by: Option<String>,
    /// Who confirmed a manual check.
    pub confirmed_by: Option<String>,
    /// The manual check's note.
    pub note: Option<String>,
    pub skipped: Option<Skip>,
    pub point_of_no_return: bool,
    pub point_of_no_return_confirmed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skip {
    pub by: String,
    pub reason: String,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Ok,
    Failed,
    TimedOut,
    Killed,
    /// Still running at the last record.
    Running,
    /// Started before a crash; its end was never recorded.
    Interrupted,
    /// No end recorded, and the run moved on or ended.
    Unknown,
}

impl AttemptOutcome {
    pub fn word(self) -> &'static str {
        match self {
            AttemptOutcome::Ok => "ok",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::TimedOut => "timed out",
            AttemptOutcome::Killed => "killed",
            AttemptOutcome::Running => "running",
            AttemptOutcome::Interrupted => "interrupted",
            AttemptOutcome::Unknown => "unknown",
        }
    }
}

impl From<StepOutcome> for AttemptOutcome {
    fn from(o: StepOutcome) -> Self {
        match o {
            StepOutcome::Ok => AttemptOutcome::Ok,
            StepOutcome::Failed => AttemptOutcome::Failed,
            StepOutcome::TimedOut => AttemptOutcome::TimedOut,
            StepOutcome::Killed => AttemptOutcome::Killed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptReport {
    pub n: u32,
    pub started_at: Timestamp,
    pub start_elapsed_ms: u64,
    pub outcome: AttemptOutcome,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration_ms: Option<u64>,
    pub lines: Option<u64>,
    pub bytes: Option<u64>,
    /// Output log, relative to the run directory (unknown for an attempt whose start was
    /// never recorded and left no log).
    pub log: Option<String>,
    pub sha256: Option<String>,
    /// Why the command could not start.
    pub error: Option<String>,
    /// Who asked for this attempt after the plan's attempts ran out (or after an interruption).
    pub requested_by: Option<String>,
}

/// Facts about attempts that only the records hold.
#[derive(Default)]
struct AttemptFacts {
    interrupted: HashSet<(String, u32)>,
    requested_by: HashMap<(String, u32), String>,
}

impl AttemptFacts {
    fn read(records: &[Record]) -> AttemptFacts {
        let mut facts = AttemptFacts::default();
        let mut pending: HashMap<&str, &str> = HashMap::new();
        for r in records {
            match &r.event {
                Event::RetryRequested { step, by } => {
                    pending.insert(step, by);
                }
                Event::StepStarted { step, attempt, .. } => {
                    if let Some(by) = pending.remove(step.as_str()) {
                        facts
                            .requested_by
                            .insert((step.clone(), *attempt), by.to_string());
                    }
                }
                Event::StepSkipped { step, .. } => {
                    pending.remove(step.as_str());
                }
                Event::StepInterrupted { step, attempt, .. } => {
                    facts.interrupted.insert((step.clone(), *attempt));
                }
                _ => {}
            }
        }
        facts
    }
}

/// The phases of the run, in plan order, leaving out phases with no step in it.
pub fn phases(plan: &Plan, state: &RunState, records: &[Record], start: i64) -> Vec<PhaseReport> {
    let facts = AttemptFacts::read(records);
    let running = state.end.is_none();
    let mut out = Vec::new();
    for (pi, phase) in plan.phases.iter().enumerate() {
        // A phase's steps in the run: once per region in a lane phase, and the steps of
        // alternative paths beside those they replace.
        let states: Vec<&StepState> = state.steps.iter().filter(|s| s.phase == pi).collect();
        if !states.iter().any(|s| s.selected) {
            continue;
        }
        let steps: Vec<StepReport> = states
            .iter()
            .filter(|s| s.selected)
            .filter_map(|s| {
                let step = crate::engine::expand::plan_step(plan, &s.src)?;
                Some(step_report(step, s, &facts, running, start))
            })
            .collect();
        let started = steps.iter().filter_map(|s| s.started_at).min();
        let all_ended = steps.iter().all(|s| s.ended_at.is_some());
        let ended = all_ended
            .then(|| steps.iter().filter_map(|s| s.ended_at).max())
            .flatten();
        out.push(PhaseReport {
            id: phase.id.value.clone(),
            title: phase.title().to_string(),
            kind: phase.kind(),
            region: phase.region.as_ref().map(|r| r.value.clone()),
            status: phase_status(&steps),
            started_at: started,
            start_elapsed_ms: started.map(|t| between(start, t.ms())),
            ended_at: ended,
            duration_ms: started.zip(ended).map(|(a, b)| between(a.ms(), b.ms())),
            estimate_ms: phase.estimate.as_ref().map(|d| d.as_millis()),
            point_of_no_return: states.iter().any(|s| s.selected && s.point_of_no_return),
            steps_left_out: states
                .iter()
                .filter(|s| !s.selected && s.alt_of.is_none())
                .map(|s| s.key.clone())
                .collect(),
            steps,
        });
    }
    out
}

/// Phases the scenario left out entirely.
pub fn left_out(plan: &Plan, state: &RunState) -> Vec<PhaseRef> {
    plan.phases
        .iter()
        .enumerate()
        .filter(|(pi, _)| !state.steps.iter().any(|s| s.phase == *pi && s.selected))
        .map(|(_, p)| PhaseRef {
            id: p.id.value.clone(),
            title: p.title().to_string(),
        })
        .collect()
}

fn phase_status(steps: &[StepReport]) -> PhaseStatus {
    let any = |st: StepStatus| steps.iter().any(|s| s.status == st);
    let all = |f: &dyn Fn(StepStatus) -> bool| steps.iter().all(|s| f(s.status));
    if any(StepStatus::Failed) {
        PhaseStatus::Failed
    } else if any(StepStatus::Interrupted) {
        PhaseStatus::Interrupted
    } else if any(StepStatus::Running) {
        PhaseStatus::Running
    } else if all(&|s| s == StepStatus::Pending) {
        PhaseStatus::Pending
    } else if all(&|s| s == StepStatus::Skipped) {
        PhaseStatus::Skipped
    } else if all(&|s| matches!(s, StepStatus::Ok | StepStatus::Skipped)) {
        PhaseStatus::Ok
    } else {
        PhaseStatus::Incomplete
    }
}

fn step_report(
    step: &plan::Step,
    s: &StepState,
    facts: &AttemptFacts,
    run_open: bool,
    start: i64,
) -> StepReport {
    let kind = StepKind::from(s.kind);
    // A command starts with its first attempt; a gate when the run reached it (and waited).
    let started = match s.attempts.first() {
        Some(a) => Some(a.started_ms),
        None if !kind.automated() || s.status == Status::Skipped => s.current_since_ms,
        None => None,
    };
    let ended = s
        .ended_ms
        .filter(|_| matches!(s.status, Status::Ok | Status::Skipped | Status::Failed));
    let (approved_by, confirmed_by) = match kind {
        StepKind::Approve => (s.approved_by.clone(), None),
        StepKind::Manual => (None, s.approved_by.clone()),
        _ => (None, None),
    };
    let last = s.attempts.len();
    StepReport {
        key: s.key.clone(),
        id: step.id.value.clone(),
        title: step.title().to_string(),
        kind,
        status: s.status.into(),
        started_at: started.map(Timestamp),
        start_elapsed_ms: started.map(|t| between(start, t)),
        ended_at: ended.map(Timestamp),
        duration_ms: started.zip(ended).map(|(a, b)| between(a, b)),
        attempts: s
            .attempts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let live = run_open && i + 1 == last && s.status == Status::Running;
                attempt_report(&s.key, a, facts, live, start)
            })
            .collect(),
        approved_by,
        confirmed_by,
        note: s.note.clone(),
        skipped: s.skipped.as_ref().map(|(by, reason)| Skip {
            by: by.clone(),
            reason: reason.clone(),
        }),
        point_of_no_return: s.point_of_no_return,
        point_of_no_return_confirmed_by: s.confirmed_by.clone(),
    }
}

fn attempt_report(
    key: &str,
    a: &Attempt,
    facts: &AttemptFacts,
    live: bool,
    start: i64,
) -> AttemptReport {
    let id = (key.to_string(), a.n);
    let outcome = match &a.end {
        Some(end) => end.outcome.into(),
        None if facts.interrupted.contains(&id) => AttemptOutcome::Interrupted,
        None if live => AttemptOutcome::Running,
        None => AttemptOutcome::Unknown,
    };
    let end = a.end.as_ref();
    AttemptReport {
        n: a.n,
        started_at: Timestamp(a.started_ms),
        start_elapsed_ms: between(start, a.started_ms),
        outcome,
        exit_code: end.and_then(|e| e.exit_code),
        signal: end.and_then(|e| e.signal),
        duration_ms: end.map(|e| e.duration_ms),
        lines: end.map(|e| e.lines),
        bytes: end.map(|e| e.bytes),
        log: Some(a.log.clone()).filter(|l| !l.is_empty()),
        sha256: end.map(|e| e.sha256.clone()),
        error: end.and_then(|e| e.error.clone()),
        requested_by: facts.requested_by.get(&id).cloned(),
    }
}

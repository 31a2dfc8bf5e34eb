//! Phases and steps as the report shows them: the replayed state of each step of the run, in
//! plan order; each step's attempts are told in `attempts`.

use serde::{Deserialize, Serialize};

use super::attempts::{AttemptFacts, attempt_report};
pub use super::attempts::{AttemptOutcome, AttemptReport};
use super::time::{Timestamp, between};
use crate::engine::Record;
use crate::engine::state::StepState;
use crate::engine::{RunState, Status};
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
    /// Every step settled after a step failed for good and was retried to ok or replaced
    /// by an alternative path.
    Recovered,
    /// Every step settled, but a step that failed for good was skipped.
    FailedStepSkipped,
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
            PhaseStatus::Recovered => "recovered",
            PhaseStatus::FailedStepSkipped => "failed step skipped",
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
    /// Times the step failed for good (its attempts used up, or killed): a person decided
    /// each time. Its status says what became of it (ok after a retry, skipped, replaced).
    #[serde(default)]
    pub failed_for_good: u32,
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
    let failed_then = |st: StepStatus| {
        steps
            .iter()
            .any(|s| s.status == st && (s.failed_for_good > 0 || st == StepStatus::Replaced))
    };
    let settled = all(&|s| {
        matches!(
            s,
            StepStatus::Ok | StepStatus::Skipped | StepStatus::Replaced
        )
    });
    if any(StepStatus::Failed) {
        PhaseStatus::Failed
    } else if any(StepStatus::Interrupted) {
        PhaseStatus::Interrupted
    } else if any(StepStatus::Running) {
        PhaseStatus::Running
    } else if all(&|s| s == StepStatus::Pending) {
        PhaseStatus::Pending
    } else if settled && failed_then(StepStatus::Skipped) {
        PhaseStatus::FailedStepSkipped
    } else if all(&|s| s == StepStatus::Skipped) {
        PhaseStatus::Skipped
    } else if settled && (failed_then(StepStatus::Ok) || failed_then(StepStatus::Replaced)) {
        PhaseStatus::Recovered
    } else if settled {
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
    // A replaced step ended when its path was taken.
    let ended = s.ended_ms.filter(|_| {
        matches!(
            s.status,
            Status::Ok | Status::Skipped | Status::Failed | Status::Replaced
        )
    });
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
        failed_for_good: s.failed_for_good_times(),
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

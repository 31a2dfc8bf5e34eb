//! The events of a run: every change of state is one of these, appended to the timeline
//! (and synced) before it is applied or shown. Their JSON form is the timeline's format,
//! so fields are only ever added, never renamed.

use serde::{Deserialize, Serialize};

pub use super::run_info::{DrillInfo, FiredTrigger, Mode, RunInfo, StepOutcome, Trigger};

/// One entry of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    RunStarted(Box<RunInfo>),
    /// A command began (or its simulation, in a drill). `step` is `phase.step`.
    StepStarted {
        step: String,
        attempt: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
        /// Process group: at resume, a group still alive is an orphan of a killed run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pgid: Option<i32>,
        /// Output log, relative to the run directory.
        log: String,
    },
    StepFinished {
        step: String,
        attempt: u32,
        outcome: StepOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<i32>,
        duration_ms: u64,
        lines: u64,
        bytes: u64,
        /// sha256 of the output log, checked by `rollback verify`.
        sha256: String,
        /// Output bytes the log left out (it keeps the first and the last part).
        #[serde(default, skip_serializing_if = "is_zero")]
        dropped: u64,
        /// Why the command could not even start, when it could not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// Why its output log could not be written: the tool stopped the step and the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        log_error: Option<String>,
    },
    RetryScheduled {
        step: String,
        attempt: u32,
        /// Elapsed time (since run start) at which the attempt is due.
        due_ms: u64,
    },
    /// The operator asked for another attempt after the plan's attempts ran out.
    RetryRequested {
        step: String,
        by: String,
    },
    Approved {
        step: String,
        by: String,
    },
    ManualConfirmed {
        step: String,
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    StepSkipped {
        step: String,
        by: String,
        reason: String,
    },
    /// The operator confirmed entering the point of no return (before `step`).
    PointOfNoReturnConfirmed {
        step: String,
        by: String,
    },
    EscalationRaised {
        level: u8,
        action: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    EscalationAcknowledged {
        level: u8,
        by: String,
    },
    SlaBreached {
        sla_ms: u64,
    },
    Note {
        by: String,
        text: String,
    },
    StatusUpdate {
        by: String,
        text: String,
    },
    /// A notify command ended (it never blocks or fails the rollback).
    NotifyFinished {
        /// The event type that fired it.
        on: String,
        command: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        timed_out: bool,
        duration_ms: u64,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        stderr: String,
    },
    /// The operator left; the run can be resumed.
    OperatorLeft {
        reason: String,
        /// A step left running on purpose, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        running: Option<String>,
    },
    RunResumed {
        host: String,
        pid: u32,
        /// Resumed although the plan file no longer matches the one the run started with.
        #[serde(default)]
        forced: bool,
        plan_sha256: String,
    },
    /// At resume: this step had started and its end was never recorded; outcome unknown.
    /// `log` is set when even its start was never recorded (only its log shows it began).
    StepInterrupted {
        step: String,
        attempt: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        log: Option<String>,
    },
    /// At resume: the interrupted step's process group is still running.
    OrphanFound {
        step: String,
        pgid: i32,
    },
    /// Who chose to kill an orphan or to wait for it.
    OrphanDecided {
        step: String,
        pgid: i32,
        by: String,
        kill: bool,
    },
    OrphanGone {
        step: String,
        pgid: i32,
        killed: bool,
    },
    /// `NAME=VALUE` lines a step's command wrote to the file `$ROLLBACK_OUTPUTS` names
    /// (impact figures such as `users_affected=1200`, or anything else worth keeping),
    /// recorded just before its `step_finished`.
    StepOutputs {
        step: String,
        attempt: u32,
        outputs: Vec<(String, String)>,
    },
    /// At resume: plan.yaml no longer matches the plan last recorded, and `by` accepted it.
    PlanChanged {
        recorded_sha256: String,
        plan_sha256: String,
        by: String,
    },
    RunCompleted,
    RunFailed {
        reason: String,
    },
    RunAborted {
        by: String,
        reason: String,
        after_point_of_no_return: bool,
    },
    /// The last record of an ended run (see `timeline::seal`).
    RunSealed(Box<super::seal::Seal>),
    /// Post-rollback validation began (or went on after a stop): in `validation.jsonl`,
    /// chained after the seal. `ends_ms` are the windows' ends on the validation clock.
    ValidationStarted {
        windows: Vec<(crate::plan::Window, u64)>,
        sources: Vec<String>,
        /// The drill clock's factor: validation time per real time.
        speed: f64,
        /// Validation clock at which it went on after an interruption.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resumed_at_ms: Option<u64>,
        /// Why the windows are not run at all (`--no-validate`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skipped: Option<String>,
    },
    /// One sample of a post-check or trigger in a validation window.
    ValidationSample {
        window: crate::plan::Window,
        source: String,
        /// Validation clock.
        at_ms: u64,
        outcome: crate::monitor::Outcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<serde_json::Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// A validation window's verdict changed (opened, passed, regressed, not run).
    ValidationWindow {
        window: crate::plan::Window,
        at_ms: u64,
        verdict: crate::monitor::validation::WindowVerdict,
    },
    /// The operator left while windows were open; `watch --validate` goes on.
    ValidationLeft {
        at_ms: u64,
        reason: String,
    },
    /// The run's validation ended: validated, regressed or not validated.
    ValidationEnded {
        verdict: crate::monitor::validation::RunVerdict,
    },
    /// A region's lane began: its own SLA clock starts.
    RegionStarted {
        region: String,
    },
    /// Every step of a region's lanes is settled: its time against its own SLA.
    RegionFinished {
        region: String,
        duration_ms: u64,
        sla_ms: u64,
        met: bool,
    },
    /// A region's clock reached a rung of the escalation ladder.
    RegionEscalated {
        region: String,
        level: u8,
        action: String,
    },
    RegionSlaBreached {
        region: String,
        sla_ms: u64,
    },
    /// A region's step failed for good; `policy` is what that does to the other regions.
    RegionFailed {
        region: String,
        step: String,
        policy: crate::plan::RegionFailure,
    },
    /// Under `on_region_failure: ask`: what the operator chose for the other regions.
    RegionPolicyChosen {
        step: String,
        choice: crate::plan::RegionFailure,
        by: String,
    },
    /// A step failed for good and the plan's alternative path was taken instead.
    AlternativeTaken {
        step: String,
        alternative: String,
        title: String,
        by: String,
        #[serde(default)]
        automatic: bool,
    },
}

impl Event {
    /// The step (`phase.step`) the event is about, if any.
    /// The region the event is about: a region event's, or that of its step's lane
    /// (`phase.step@region`).
    pub fn region(&self) -> Option<&str> {
        match self {
            Event::RegionStarted { region }
            | Event::RegionFinished { region, .. }
            | Event::RegionEscalated { region, .. }
            | Event::RegionSlaBreached { region, .. }
            | Event::RegionFailed { region, .. } => Some(region),
            _ => self.step().and_then(|k| k.rsplit_once('@')).map(|(_, r)| r),
        }
    }

    pub fn step(&self) -> Option<&str> {
        match self {
            Event::StepStarted { step, .. }
            | Event::StepFinished { step, .. }
            | Event::RetryScheduled { step, .. }
            | Event::RetryRequested { step, .. }
            | Event::Approved { step, .. }
            | Event::ManualConfirmed { step, .. }
            | Event::StepSkipped { step, .. }
            | Event::PointOfNoReturnConfirmed { step, .. }
            | Event::StepInterrupted { step, .. }
            | Event::OrphanFound { step, .. }
            | Event::OrphanDecided { step, .. }
            | Event::OrphanGone { step, .. }
            | Event::RegionFailed { step, .. }
            | Event::RegionPolicyChosen { step, .. }
            | Event::AlternativeTaken { step, .. } => Some(step),
            _ => None,
        }
    }

    /// The `type` of the event as written in the timeline.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::RunStarted(_) => "run_started",
            Event::StepStarted { .. } => "step_started",
            Event::StepFinished { .. } => "step_finished",
            Event::RetryScheduled { .. } => "retry_scheduled",
            Event::RetryRequested { .. } => "retry_requested",
            Event::Approved { .. } => "approved",
            Event::ManualConfirmed { .. } => "manual_confirmed",
            Event::StepSkipped { .. } => "step_skipped",
            Event::PointOfNoReturnConfirmed { .. } => "point_of_no_return_confirmed",
            Event::EscalationRaised { .. } => "escalation_raised",
            Event::EscalationAcknowledged { .. } => "escalation_acknowledged",
            Event::SlaBreached { .. } => "sla_breached",
            Event::Note { .. } => "note",
            Event::StatusUpdate { .. } => "status_update",
            Event::NotifyFinished { .. } => "notify_finished",
            Event::OperatorLeft { .. } => "operator_left",
            Event::RunResumed { .. } => "run_resumed",
            Event::StepInterrupted { .. } => "step_interrupted",
            Event::OrphanFound { .. } => "orphan_found",
            Event::OrphanDecided { .. } => "orphan_decided",
            Event::OrphanGone { .. } => "orphan_gone",
            Event::StepOutputs { .. } => "step_outputs",
            Event::PlanChanged { .. } => "plan_changed",
            Event::RunCompleted => "run_completed",
            Event::RunFailed { .. } => "run_failed",
            Event::RunAborted { .. } => "run_aborted",
            Event::RunSealed(_) => "run_sealed",
            Event::ValidationStarted { .. } => "validation_started",
            Event::ValidationSample { .. } => "validation_sample",
            Event::ValidationWindow { .. } => "validation_window",
            Event::ValidationLeft { .. } => "validation_left",
            Event::ValidationEnded { .. } => "validation_ended",
            Event::RegionStarted { .. } => "region_started",
            Event::RegionFinished { .. } => "region_finished",
            Event::RegionEscalated { .. } => "region_escalated",
            Event::RegionSlaBreached { .. } => "region_sla_breached",
            Event::RegionFailed { .. } => "region_failed",
            Event::RegionPolicyChosen { .. } => "region_policy_chosen",
            Event::AlternativeTaken { .. } => "alternative_taken",
        }
    }
}

/// An event with the time it was recorded, as the fold sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped {
    pub seq: u64,
    pub mode: Mode,
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub ts_ms: i64,
    pub operator: String,
    pub event: Event,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

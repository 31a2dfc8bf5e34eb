//! The events of a run: every change of state is one of these, appended to the timeline
//! (and synced) before it is applied or shown. Their JSON form is the timeline's format,
//! so fields are only ever added, never renamed.

use serde::{Deserialize, Serialize};

/// How a run treats commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Production: commands run for real.
    Live,
    /// A rehearsal on staging: commands run for real, the run is marked as practice.
    Rehearsal,
    /// Training: nothing is executed; each step's `simulate` block plays instead.
    Drill,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Rehearsal => "rehearsal",
            Mode::Drill => "drill",
        }
    }
    /// As shown in the header, so nobody mistakes a drill for production.
    pub fn banner(self) -> &'static str {
        match self {
            Mode::Live => "LIVE",
            Mode::Rehearsal => "REHEARSAL",
            Mode::Drill => "DRILL",
        }
    }
}

/// What started the rollback (a metric of the standard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// A person decided to roll back.
    #[default]
    Manual,
    /// An automatic trigger (alert, probe) started it.
    Auto,
}

/// The automatic trigger that started a run, as the watch saw it when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiredTrigger {
    /// The trigger's name in the plan.
    pub name: String,
    /// The catalogue trigger it uses, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses: Option<String>,
    pub severity: String,
    pub condition: String,
    pub explain: String,
    /// The value of the sample that fired it.
    pub value: serde_json::Value,
    /// When the first failing sample of the window was taken (UTC, ms).
    pub first_failure_ms: i64,
    /// When the trigger fired (UTC, ms).
    pub fired_ms: i64,
    /// The window's samples, oldest first.
    pub samples: Vec<serde_json::Value>,
    /// The operator who started it (an answer to a medium trigger, or a countdown cut
    /// short); none when the policy started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
}

/// How one attempt of a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Ok,
    Failed,
    TimedOut,
    /// Killed on the operator's request (abort, or terminate on quit).
    Killed,
}

impl StepOutcome {
    pub fn word(self) -> &'static str {
        match self {
            StepOutcome::Ok => "ok",
            StepOutcome::Failed => "failed",
            StepOutcome::TimedOut => "timed out",
            StepOutcome::Killed => "killed",
        }
    }
}

/// The run's context, recorded once at the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// `<UTC start>-<plan id>`; also the dedup key for notifications.
    pub run_id: String,
    pub plan: String,
    pub title: String,
    /// sha256 of the plan file as run (its copy in the run directory).
    pub plan_sha256: String,
    pub level: u8,
    /// The SLA for this run (per-region SLAs already multiplied out).
    pub sla_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Regions chosen at the start (`--region`) for a partial rollback; empty: all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Variable values, secrets redacted.
    #[serde(default)]
    pub vars: Vec<(String, String)>,
    /// Where each value came from: `given`, `var-file`, `environment`, `default` or `prompt`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub var_sources: Vec<(String, String)>,
    #[serde(default)]
    pub trigger: Trigger,
    /// The automatic trigger that started the run, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fired: Option<Box<FiredTrigger>>,
    /// Where the plan was loaded from; commands run relative to its directory.
    pub plan_path: String,
    pub host: String,
    pub pid: u32,
    pub version: String,
    /// A rehearsal's environment and participants (`rollback rehearse --env ...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<super::rehearsal::Rehearsal>,
    /// Drills only: the drill clock, the exercise and the trainee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<Box<DrillInfo>>,
}

impl RunInfo {
    /// How many times faster than real time the run's clock goes (1 but in drills).
    pub fn speed(&self) -> f64 {
        self.drill
            .as_ref()
            .map_or(1.0, |d| super::clock::sane_speed(d.speed))
    }
}

/// What a drill records at its start beside the run's context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillInfo {
    /// The drill clock's factor (`--speed`): the SLA, the escalation ladder, retry delays
    /// and simulated steps all run this many times faster. Timestamps stay real; each
    /// record's `elapsed_ms` is on the drill clock.
    pub speed: f64,
    /// The plan's exercise being played (`--exercise`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
    /// Who is being trained (`--trainee`, else the operator).
    pub trainee: String,
    /// Steps made to fail on purpose, and for how many attempts (the exercise's and `--fail`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail: Vec<(String, u32)>,
    /// Steps whose simulation plays slower, and by what factor (the exercise's and `--slow`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slow: Vec<(String, f64)>,
    /// The step during which the exercise cuts the session, and how long (real ms) its
    /// command goes on after the cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orphan: Option<(String, u64)>,
}

/// One entry of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    RunStarted(RunInfo),
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
    RunSealed(Box<crate::timeline::seal::Seal>),
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

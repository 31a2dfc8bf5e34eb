//! What a run is, as its first record says: its mode, what started it (a person, or a
//! trigger and the samples that fired it), its plan, values, clock and drill, and the
//! outcome words of a step. Part of the timeline's format: fields are only ever added.

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
    /// The plan's `team:`, whose store role ships the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
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

//! One step of a run as the fold sees it: where it stands and what each attempt did.

use crate::plan::StepKind;

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Running,
    Ok,
    /// The last attempt failed, timed out or was killed.
    Failed,
    Skipped,
    /// Started before a crash; its end was never recorded.
    Interrupted,
}

impl Status {
    /// Done for the purpose of moving on.
    pub fn settled(self) -> bool {
        matches!(self, Status::Ok | Status::Skipped)
    }
    pub fn word(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Interrupted => "interrupted",
        }
    }
}

/// How one attempt ended: what the runner reported, as recorded.
pub type AttemptEnd = super::input::ExitReport;

#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub n: u32,
    pub started_ms: i64,
    pub pid: Option<u32>,
    pub pgid: Option<i32>,
    pub log: String,
    pub end: Option<AttemptEnd>,
}

/// One step of the plan and what has happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    /// `phase.step`
    pub key: String,
    pub phase: usize,
    pub kind: StepKind,
    /// Part of this run (a scenario may leave steps out).
    pub selected: bool,
    /// Attempts the plan allows before asking the operator.
    pub attempts_allowed: u32,
    pub retry_delay_ms: u64,
    /// Entering this step needs the operator's confirmation.
    pub point_of_no_return: bool,
    pub status: Status,
    pub attempts: Vec<Attempt>,
    pub approved_by: Option<String>,
    pub confirmed_by: Option<String>,
    pub note: Option<String>,
    pub skipped: Option<(String, String)>,
    pub retry_requested: bool,
    /// When the step became the one the run is on (a gate starts waiting then).
    pub current_since_ms: Option<i64>,
    pub ended_ms: Option<i64>,
}

impl StepState {
    pub fn last_attempt(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
    pub fn attempts_used(&self) -> u32 {
        self.attempts.len() as u32
    }
    /// When work on the step started: its first attempt, or when it became current.
    pub fn started_ms(&self) -> Option<i64> {
        self.attempts
            .first()
            .map(|a| a.started_ms)
            .or(self.current_since_ms)
    }
}

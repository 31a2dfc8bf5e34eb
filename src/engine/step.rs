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
    /// Failed for good and replaced by an alternative path.
    Replaced,
}

impl Status {
    /// Done for the purpose of moving on.
    pub fn settled(self) -> bool {
        matches!(self, Status::Ok | Status::Skipped | Status::Replaced)
    }
    pub fn word(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Interrupted => "interrupted",
            Status::Replaced => "replaced",
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
    /// `phase.step`, `phase.step@region` in a lane, `phase.step+alternative.step` on a path.
    pub key: String,
    pub phase: usize,
    /// Where the step is written in the plan.
    pub src: super::expand::StepRef,
    /// The region of the lane this step belongs to, and the lane's index.
    pub region: Option<String>,
    pub lane: Option<usize>,
    /// The step this one is an alternative path for, and the alternative's id.
    pub alt_of: Option<(usize, String)>,
    /// The alternative taken after this step failed for good, and who took it.
    pub alternative: Option<(String, String)>,
    /// Under `on_region_failure: ask`, what the operator chose when this step failed.
    pub region_choice: Option<crate::plan::RegionFailure>,
    /// Elapsed time at which the next automatic attempt is due.
    pub retry_due_ms: Option<u64>,
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
    /// Automatic retries are for commands that failed or timed out, within the plan's
    /// attempts; a command the operator killed is theirs to decide about.
    pub fn retries_left(&self) -> bool {
        let last = self.last_attempt().and_then(|a| a.end.as_ref());
        matches!(
            last.map(|e| e.outcome),
            Some(super::event::StepOutcome::Failed | super::event::StepOutcome::TimedOut)
        ) && self.attempts_used() < self.attempts_allowed
    }
    /// Failed, with no attempt left, due or asked for: the operator must decide.
    pub fn failed_for_good(&self) -> bool {
        self.status == Status::Failed
            && !self.retry_requested
            && self.retry_due_ms.is_none()
            && !self.retries_left()
    }
    /// When work on the step started: its first attempt, or when it became current.
    pub fn started_ms(&self) -> Option<i64> {
        self.attempts
            .first()
            .map(|a| a.started_ms)
            .or(self.current_since_ms)
    }
}

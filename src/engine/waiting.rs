//! What a run waits for and how it ended: the questions every face asks of the state.

/// The outcome of a finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Failed,
    Aborted,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Failed => "failed",
            Outcome::Aborted => "aborted",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct End {
    pub outcome: Outcome,
    pub at_ms: i64,
    pub reason: Option<String>,
    pub by: Option<String>,
}

/// What the run waits for now: the one question every face asks of the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Waiting {
    NotStarted,
    /// A command (or its simulation) is running.
    Running(usize),
    /// The step's next attempt is due at `due_ms` (elapsed).
    Retry {
        step: usize,
        due_ms: u64,
    },
    /// The next command can start now.
    Ready(usize),
    PointOfNoReturn(usize),
    Approval(usize),
    Manual(usize),
    /// The plan's attempts are used up: retry, skip or abort.
    Failure(usize),
    /// A region failed for good under `on_region_failure: ask`: stop the other regions or
    /// let them continue.
    RegionFailure(usize),
    /// Started before a crash, outcome unknown: rerun, skip or abort.
    Interrupted(usize),
    /// An interrupted step's process group is still alive.
    Orphan {
        step: usize,
        pgid: i32,
    },
    /// Every selected step is settled; the run can complete.
    AllDone,
    Finished(Outcome),
}

impl Waiting {
    /// The step the run waits on, if it waits on one.
    pub fn step(&self) -> Option<usize> {
        match self {
            Waiting::Running(i)
            | Waiting::Ready(i)
            | Waiting::RegionFailure(i)
            | Waiting::Orphan { step: i, .. } => Some(*i),
            w => w.skippable(),
        }
    }

    /// The step the operator may skip now: the one the run waits on, never a running one.
    pub fn skippable(&self) -> Option<usize> {
        match self {
            Waiting::Failure(i)
            | Waiting::RegionFailure(i)
            | Waiting::Interrupted(i)
            | Waiting::Retry { step: i, .. }
            | Waiting::Approval(i)
            | Waiting::Manual(i)
            | Waiting::PointOfNoReturn(i) => Some(*i),
            _ => None,
        }
    }
}

//! Exit codes, the same for every subcommand.

use std::process::ExitCode;

/// What a command's exit status means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The rollback (or the check) succeeded.
    Ok = 0,
    /// The rollback (or the check) failed.
    Failed = 1,
    /// Bad input: an unreadable plan, a bad flag, a missing variable.
    BadInput = 2,
    /// The operator aborted.
    Aborted = 3,
    /// Something inside `rollback` went wrong (including a timeline that cannot be written).
    Internal = 4,
    /// `verify`: the run has no seal yet (open, or left or killed before it ended).
    Unsealed = 5,
    /// `verify`: records of the run are missing (lines removed, the end cut off).
    Truncated = 6,
    /// `verify`: plan.yaml no longer matches the plan recorded for the run.
    PlanChanged = 7,
}

impl Exit {
    /// The code of a run that ended as `outcome`, or that did not end (left, resumable: it
    /// needs an operator). The same for every face.
    pub fn of(outcome: Option<crate::engine::Outcome>) -> Exit {
        use crate::engine::Outcome;
        match outcome {
            Some(Outcome::Completed) => Exit::Ok,
            Some(Outcome::Failed) | None => Exit::Failed,
            Some(Outcome::Aborted) => Exit::Aborted,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

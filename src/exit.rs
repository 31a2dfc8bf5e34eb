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
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

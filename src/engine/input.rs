//! What goes into the engine (operator actions, runner reports, time) and what comes out
//! of it (events to record, effects for the shell to carry out).

use serde_json::Value;

use super::Mode;
use super::event::{Event, RunInfo, StepOutcome};

/// How a command ended, as the runner reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExitReport {
    pub outcome: StepOutcome,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration_ms: u64,
    pub lines: u64,
    pub bytes: u64,
    pub sha256: String,
    /// Output bytes left out of the log (it keeps a head and a tail).
    pub dropped: u64,
    /// Set when the command could not start at all.
    pub error: Option<String>,
    /// The output log could not be written: the tool must stop (fail-stop), whatever the
    /// command did.
    pub log_error: Option<String>,
}

/// Everything that can happen to a run: operator actions, runner reports, time.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Start(Box<RunInfo>, Mode),
    /// The clock moved; escalations, the SLA and retry delays are checked.
    Tick,
    Spawned {
        step: usize,
        attempt: u32,
        pid: Option<u32>,
        pgid: Option<i32>,
        log: String,
    },
    Exited {
        step: usize,
        attempt: u32,
        report: ExitReport,
    },
    Approve {
        by: String,
    },
    ConfirmManual {
        by: String,
        note: Option<String>,
    },
    ConfirmPointOfNoReturn {
        by: String,
    },
    /// Another attempt: after a failure, of an interrupted step, or now instead of after the delay.
    Retry {
        by: String,
    },
    Skip {
        by: String,
        reason: String,
    },
    Abort {
        by: String,
        reason: String,
    },
    Acknowledge {
        by: String,
    },
    Note {
        by: String,
        text: String,
    },
    StatusUpdate {
        by: String,
        text: String,
    },
    /// The operator leaves; the run stays resumable. `terminate` kills a running step first.
    Leave {
        reason: String,
        terminate: bool,
    },
    /// Nobody can decide (headless): the run fails.
    Fail {
        reason: String,
    },
    Resume {
        host: String,
        pid: u32,
        forced: bool,
        plan_sha256: String,
        /// Steps whose next attempt's log exists though its start was never recorded.
        unrecorded: Vec<(usize, String)>,
        /// Process groups of interrupted steps found still alive.
        orphans: Vec<(usize, i32)>,
    },
    KillOrphan {
        by: String,
    },
    WaitOrphan {
        by: String,
    },
    /// Under `on_region_failure: ask`: what a region's failure does to the others
    /// (`StopAll` or `Continue`).
    ChooseRegionPolicy {
        by: String,
        choice: crate::plan::RegionFailure,
    },
    /// Take the plan's alternative path `alternative` for the step that failed for good;
    /// `automatic` when the plan's `automatic: true` took it, not a person.
    TakeAlternative {
        by: String,
        alternative: String,
        automatic: bool,
    },
    OrphanGone {
        step: usize,
        pgid: i32,
        killed: bool,
    },
    NotifyDone {
        on: String,
        command: String,
        exit_code: Option<i32>,
        timed_out: bool,
        duration_ms: u64,
        stderr: String,
    },
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Start attempt `attempt` of step `step` (its simulation in a drill). The shell answers
    /// with `Spawned` before any other input, then `Exited` when it ends.
    Spawn { step: usize, attempt: u32 },
    /// Kill the running command's process group (it still reports `Exited`).
    Kill { step: usize },
    /// Kill an orphaned process group left by a killed run; answered by `OrphanGone`.
    KillGroup { step: usize, pgid: i32 },
    /// Wait for an orphaned process group to end; answered by `OrphanGone`.
    WatchGroup { step: usize, pgid: i32 },
    /// Run a notify command beside the rollback with `payload` as JSON on stdin.
    Notify {
        on: &'static str,
        command: String,
        payload: Value,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub events: Vec<Event>,
    pub effects: Vec<Effect>,
    /// Why the input was not acted on (shown to the operator); nothing was recorded.
    pub refused: Option<String>,
}

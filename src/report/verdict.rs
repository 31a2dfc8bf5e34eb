//! How a run went, in the words both the report and its metrics use: the outcome, the time
//! against the SLA, and the mode it ran in.

use serde::{Deserialize, Serialize};

use super::time::Timestamp;
use crate::engine::Record;
use crate::engine::{Event, Mode, RunState};

/// How the run's duration compares with its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaVerdict {
    /// Finished inside the SLA.
    Met,
    /// Took (or, unfinished, has already taken) longer than the SLA.
    Missed,
    /// Not finished and still inside the SLA at its last record.
    Open,
}

impl SlaVerdict {
    /// At exactly the SLA the run is over it, as the engine's breach rule has it.
    pub fn of(duration_ms: u64, sla_ms: u64, finished: bool) -> SlaVerdict {
        match (duration_ms >= sla_ms, finished) {
            (true, _) => SlaVerdict::Missed,
            (false, true) => SlaVerdict::Met,
            (false, false) => SlaVerdict::Open,
        }
    }
}

/// When the run started and ended, against its SLA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub started_at: Timestamp,
    /// Set once the run completed, failed or was aborted.
    pub ended_at: Option<Timestamp>,
    pub last_record_at: Timestamp,
    pub finished: bool,
    /// Start to end; for an unfinished run, start to the last record.
    pub duration_ms: u64,
    pub sla_ms: u64,
    pub sla: SlaVerdict,
    /// Time to spare (met, open) or over the SLA (missed).
    pub sla_margin_ms: u64,
    /// When the breach was recorded, if it was.
    pub sla_breached_at: Option<Timestamp>,
    pub sla_breached_elapsed_ms: Option<u64>,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Completed,
    Failed,
    Aborted,
    NotFinished,
}

impl RunOutcome {
    pub fn word(self) -> &'static str {
        match self {
            RunOutcome::Completed => "completed",
            RunOutcome::Failed => "failed",
            RunOutcome::Aborted => "aborted",
            RunOutcome::NotFinished => "not finished",
        }
    }
}

/// The mode the run was started in (each record carries one; they do not change).
pub(crate) fn run_mode(state: &RunState, records: &[Record]) -> Mode {
    records
        .iter()
        .find(|r| matches!(r.event, Event::RunStarted(_)))
        .map_or(state.mode, |r| r.mode)
}

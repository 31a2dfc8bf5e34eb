//! Attempts as the report shows them: how each ended, with the facts the fold does not keep
//! (who asked for an extra attempt, which attempts were interrupted) read back from the records.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::time::{Timestamp, between};
use crate::engine::Record;
use crate::engine::state::Attempt;
use crate::engine::{Event, StepOutcome};

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Ok,
    Failed,
    TimedOut,
    Killed,
    /// Still running at the last record.
    Running,
    /// Started before a crash; its end was never recorded.
    Interrupted,
    /// No end recorded, and the run moved on or ended.
    Unknown,
}

impl AttemptOutcome {
    pub fn word(self) -> &'static str {
        match self {
            AttemptOutcome::Ok => "ok",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::TimedOut => "timed out",
            AttemptOutcome::Killed => "killed",
            AttemptOutcome::Running => "running",
            AttemptOutcome::Interrupted => "interrupted",
            AttemptOutcome::Unknown => "unknown",
        }
    }
}

impl From<StepOutcome> for AttemptOutcome {
    fn from(o: StepOutcome) -> Self {
        match o {
            StepOutcome::Ok => AttemptOutcome::Ok,
            StepOutcome::Failed => AttemptOutcome::Failed,
            StepOutcome::TimedOut => AttemptOutcome::TimedOut,
            StepOutcome::Killed => AttemptOutcome::Killed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptReport {
    pub n: u32,
    pub started_at: Timestamp,
    pub start_elapsed_ms: u64,
    pub outcome: AttemptOutcome,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration_ms: Option<u64>,
    pub lines: Option<u64>,
    pub bytes: Option<u64>,
    /// Output log, relative to the run directory (unknown for an attempt whose start was
    /// never recorded and left no log).
    pub log: Option<String>,
    pub sha256: Option<String>,
    /// Why the command could not start.
    pub error: Option<String>,
    /// Who asked for this attempt after the plan's attempts ran out (or after an interruption).
    pub requested_by: Option<String>,
}

/// Facts about attempts that only the records hold.
#[derive(Default)]
pub(super) struct AttemptFacts {
    interrupted: HashSet<(String, u32)>,
    requested_by: HashMap<(String, u32), String>,
}

impl AttemptFacts {
    pub(super) fn read(records: &[Record]) -> AttemptFacts {
        let mut facts = AttemptFacts::default();
        let mut pending: HashMap<&str, &str> = HashMap::new();
        for r in records {
            match &r.event {
                Event::RetryRequested { step, by } => {
                    pending.insert(step, by);
                }
                Event::StepStarted { step, attempt, .. } => {
                    if let Some(by) = pending.remove(step.as_str()) {
                        facts
                            .requested_by
                            .insert((step.clone(), *attempt), by.to_string());
                    }
                }
                Event::StepSkipped { step, .. } => {
                    pending.remove(step.as_str());
                }
                Event::StepInterrupted { step, attempt, .. } => {
                    facts.interrupted.insert((step.clone(), *attempt));
                }
                _ => {}
            }
        }
        facts
    }
}
pub(super) fn attempt_report(
    key: &str,
    a: &Attempt,
    facts: &AttemptFacts,
    live: bool,
    start: i64,
) -> AttemptReport {
    let id = (key.to_string(), a.n);
    let outcome = match &a.end {
        Some(end) => end.outcome.into(),
        None if facts.interrupted.contains(&id) => AttemptOutcome::Interrupted,
        None if live => AttemptOutcome::Running,
        None => AttemptOutcome::Unknown,
    };
    let end = a.end.as_ref();
    AttemptReport {
        n: a.n,
        started_at: Timestamp(a.started_ms),
        start_elapsed_ms: between(start, a.started_ms),
        outcome,
        exit_code: end.and_then(|e| e.exit_code),
        signal: end.and_then(|e| e.signal),
        duration_ms: end.map(|e| e.duration_ms),
        lines: end.map(|e| e.lines),
        bytes: end.map(|e| e.bytes),
        log: Some(a.log.clone()).filter(|l| !l.is_empty()),
        sha256: end.map(|e| e.sha256.clone()),
        error: end.and_then(|e| e.error.clone()),
        requested_by: facts.requested_by.get(&id).cloned(),
    }
}

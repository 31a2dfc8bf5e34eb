//! The record of a run. `record` is the line format and hash chain (pure); `journal`
//! appends and syncs; `rundir` lays out and locks run directories; `seal` closes an ended
//! run's timeline; `verify` checks a run.

pub mod files;
pub mod follow;
pub mod journal;
pub mod lines;
pub mod rebuild;
pub mod record;
pub mod rundir;
pub mod seal;
pub mod segment;
pub mod standing;
pub mod verify;
pub mod waker;

pub use journal::{Journal, JournalError};
pub use record::Record;
pub use rundir::RunDir;

use crate::engine::RunState;
use crate::plan::Plan;

/// The state a timeline describes: a replay of its events over the plan it was run with.
pub fn replay(plan: &Plan, records: &[Record]) -> RunState {
    let info = records.iter().find_map(|r| match &r.event {
        crate::engine::Event::RunStarted(info) => Some(info),
        _ => None,
    });
    let scenario = info.and_then(|i| i.scenario.as_deref());
    let regions = info.map(|i| i.regions.as_slice()).unwrap_or_default();
    let mut state = RunState::for_run(plan, scenario, regions);
    for r in records {
        state.apply(&r.stamped());
    }
    state
}

/// The plan hash the run last recorded: at its start, or at a resume (which records the
/// plan it resumed with, changed or not).
pub fn recorded_plan_sha256(records: &[Record]) -> Option<&str> {
    records.iter().rev().find_map(|r| match &r.event {
        crate::engine::Event::RunStarted(info) => Some(info.plan_sha256.as_str()),
        crate::engine::Event::RunResumed { plan_sha256, .. }
        | crate::engine::Event::PlanChanged { plan_sha256, .. } => Some(plan_sha256.as_str()),
        _ => None,
    })
}

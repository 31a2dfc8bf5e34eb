//! The record of a run. `record` is the line format and hash chain (pure); `journal`
//! appends and syncs; `rundir` lays out and locks run directories; `verify` checks a run.

pub mod journal;
pub mod record;
pub mod rundir;
pub mod verify;

pub use journal::{Journal, JournalError};
pub use record::Record;
pub use rundir::RunDir;

use crate::engine::RunState;
use crate::plan::Plan;

/// The state a timeline describes: a replay of its events over the plan it was run with.
pub fn replay(plan: &Plan, records: &[Record]) -> RunState {
    let scenario = records.iter().find_map(|r| match &r.event {
        crate::engine::Event::RunStarted(info) => info.scenario.clone(),
        _ => None,
    });
    let mut state = RunState::new(plan, scenario.as_deref());
    for r in records {
        state.apply(&r.stamped());
    }
    state
}

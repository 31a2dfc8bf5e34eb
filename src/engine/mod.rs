//! The run as a state machine (PURE: no I/O, no async). `state = fold(events)`;
//! `decide(state, input) -> events + effects`; time comes in as a number. A `record` is an
//! event as one line of the timeline, in its hash chain.

mod apply;
pub mod clock;
pub mod decide;
pub mod describe;
pub mod event;
pub mod expand;
pub mod input;
mod inputs;
mod lanes;
pub mod notify;
pub mod record;
mod regions;
pub mod rehearsal;
pub mod run_info;
pub mod seal;
pub mod selection;
pub mod sla;
pub mod state;
pub mod step;
pub mod undo;
pub mod waiting;

pub use clock::{Clock, ManualClock, SystemClock};
pub use decide::{Decision, Effect, ExitReport, Input, decide, decide_in_place};
pub use event::{Event, FiredTrigger, Mode, RunInfo, Stamped, StepOutcome, Trigger};
pub use record::{Record, replay};
pub use state::{Outcome, RegionClock, RunState, Status, Waiting};

#[cfg(test)]
mod tests;

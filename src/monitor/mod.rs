//! Watching for the signals that should start a rollback (PURE: no tokio, no files, no
//! network). The catalogue of the standard's triggers is data; a trigger's window is a
//! state machine fed with samples and the time they were taken; conditions are CEL,
//! compiled once. Probes, which do the asking, live on the edge in `probe`.

pub mod board;
pub mod jsonpath;
pub mod judge;
pub mod played;
pub mod policy;
pub mod spec;
pub mod validation;
pub mod webhook;
pub mod window;

#[cfg(test)]
mod catalogue_tests;
#[cfg(test)]
mod tests;

pub use crate::plan::catalogue::Unit;
pub use crate::plan::condition::Condition;
pub use judge::Judge;
pub use played::check_plan;
pub use policy::{Action, Policy};
pub use spec::{ProbeSpec, Reads, Spec};
pub use window::{Limits, Outcome, Sample, Verdict, Window};

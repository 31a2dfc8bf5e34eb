//! The report of one run (PURE; `timeline::reports` reads a run directory into one): a
//! replay of the timeline over the plan copy, turned into data (`model`), markdown and JSON.
//! Nothing is stored twice: a report can always be rendered again from the same records.

pub mod checklist;
pub mod events;
pub mod followups;
pub mod impact;
mod impact_md;
pub mod json;
pub mod markdown;
mod md;
pub mod metrics;
pub mod model;
pub mod phases;
pub mod regions;
pub mod scorecard;
mod scorecard_md;
mod sections;
pub mod status;
pub mod summary;
pub mod time;
pub mod trend;
mod trend_md;
mod verdict;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use json::{TOP_LEVEL_KEYS, json_text};
pub use markdown::markdown_text;
pub use metrics::{Metrics, metrics};
pub use model::{Report, RunOutcome, SlaVerdict, build};
pub use time::Timestamp;

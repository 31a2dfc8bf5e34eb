//! The plan format's regional lanes and alternative paths: what a phase is repeated for,
//! what a region's failure does to the others, and another way to recover from a step.

use schemars::JsonSchema;
use serde::Deserialize;

use super::loc::Loc;
use super::model::{ID_PATTERN, Step};

/// What a phase is repeated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForEach {
    /// Once per region of the run.
    Region,
}

/// What one region failing for good (its attempts used up) does to the other regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionFailure {
    /// The other regions start nothing new; the operator decides (retry, skip, abort).
    StopAll,
    /// The other regions carry on; the failed one waits for the operator.
    Continue,
    /// The operator chooses between the two (headless: `--on-region-failure`, else stop_all).
    Ask,
}

impl RegionFailure {
    pub fn name(self) -> &'static str {
        match self {
            RegionFailure::StopAll => "stop_all",
            RegionFailure::Continue => "continue",
            RegionFailure::Ask => "ask",
        }
    }
}

/// Another way to recover when a step fails for good (e.g. restore from backup when the
/// down-migration fails): offered beside retry, skip and abort.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// Identifier, unique among the alternatives of its step or phase.
    #[schemars(pattern(ID_PATTERN))]
    pub id: Loc<String>,
    /// What the operator is offered, e.g. "Restore from last night's backup".
    pub title: String,
    /// Taken without asking when no person can decide (headless).
    #[serde(default)]
    pub automatic: bool,
    /// The steps of this path; when they all succeed the failed step counts as recovered.
    pub steps: Loc<Vec<Step>>,
}

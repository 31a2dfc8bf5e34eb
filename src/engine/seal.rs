//! `run_sealed`'s payload: the last record of an ended run. Its summary is the report's
//! (`report::summary::Summary`), kept here as JSON so the engine needs nothing above it.

use serde::{Deserialize, Serialize};

use super::{Event, Record};

/// The payload of `run_sealed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seal {
    /// Records before the seal (so the seal's own `seq`).
    pub records: u64,
    /// Hash of the record before the seal.
    pub chain_head: String,
    /// `report::summary::Summary` as JSON.
    pub summary: serde_json::Value,
}

/// The seal of `records`, if their last one is it.
pub fn seal_of(records: &[Record]) -> Option<&Seal> {
    match &records.last()?.event {
        Event::RunSealed(seal) => Some(seal),
        _ => None,
    }
}

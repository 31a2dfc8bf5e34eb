//! Time to restore, per team and plan: from detection (a watch's first bad sample, else the
//! run's start) to the end of the run, and to a passed immediate validation window. Live
//! rollbacks that completed only: the figure teams track as DORA's time to restore.

use serde::Serialize;

/// Median and 90th percentile (nearest rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    pub runs: u32,
    pub median_ms: u64,
    pub p90_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreTime {
    pub team: String,
    pub plan: String,
    /// To the end of the run.
    pub to_end: Percentiles,
    /// To a passed immediate window, over the runs that had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_validated: Option<Percentiles>,
}

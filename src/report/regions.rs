//! Each region of a regional run against its own SLA: when it started, how long its lanes
//! took, whether it met the SLA and how far it escalated. A regional run meets its SLA when
//! every region met its own (`RunState::regions_met`).

use serde::{Deserialize, Serialize};

use super::md::table;
use super::time::Timestamp;
use crate::engine::RunState;
use crate::engine::sla::{clock_text, region_sla_ms};
use crate::plan::Plan;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionReport {
    pub region: String,
    pub started_at: Option<Timestamp>,
    /// Set once every step of its lanes is settled.
    pub duration_ms: Option<u64>,
    pub sla_ms: u64,
    /// Unknown (null) while it has not finished and has not yet breached.
    pub met: Option<bool>,
    pub escalation: u8,
}

/// The regions of a run with lanes; empty for other runs.
pub fn regions(plan: &Plan, state: &RunState) -> Vec<RegionReport> {
    if !state.rules.iter().any(|r| r.lanes) {
        return Vec::new();
    }
    let sla_ms = region_sla_ms(plan);
    state
        .regions
        .iter()
        .map(|r| RegionReport {
            region: r.name.clone(),
            started_at: r.started_ms.map(Timestamp),
            duration_ms: r.finished.map(|(d, _)| d),
            sla_ms,
            met: match r.finished {
                Some((_, met)) => Some(met),
                None if r.sla_breached => Some(false),
                None => None,
            },
            escalation: r.escalation,
        })
        .collect()
}

/// The "Regions" section of the markdown report.
pub fn markdown(regions: &[RegionReport], out: &mut String) {
    if regions.is_empty() {
        return;
    }
    out.push_str("## Regions\n\n");
    let rows: Vec<Vec<String>> = regions
        .iter()
        .map(|r| {
            vec![
                r.region.clone(),
                r.started_at
                    .map(super::markdown::utc)
                    .unwrap_or_else(|| "not started".into()),
                r.duration_ms.map(clock_text).unwrap_or_else(|| "-".into()),
                clock_text(r.sla_ms),
                match r.met {
                    Some(true) => "met".into(),
                    Some(false) => "MISSED".into(),
                    None => "open".into(),
                },
                r.escalation.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "Region",
            "Started",
            "Duration",
            "SLA",
            "SLA met",
            "Escalation",
        ],
        &rows,
    ));
    out.push('\n');
}

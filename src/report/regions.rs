//! Each region of a regional run against its own SLA: when it started, how long its lanes
//! took, whether it met the SLA, how far it escalated, and how it ended (a region whose step
//! failed for good says what became of it). A regional run meets its SLA when every region
//! met its own (`RunState::regions_met`).

use serde::{Deserialize, Serialize};

use super::failures::FailureReport;
use super::md::table;
use super::time::Timestamp;
use crate::engine::RunState;
use crate::engine::sla::{clock_text, region_sla_ms};
use crate::engine::tally::Fate;
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
    #[serde(default)]
    pub status: RegionStatus,
}

/// How a region stands, its failures for good counted in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionStatus {
    #[default]
    NotStarted,
    Running,
    Ok,
    /// Done after a step failed for good and was retried to ok or replaced by a path.
    Recovered,
    /// Done, but a step that failed for good was skipped.
    FailedStepSkipped,
    /// A step failed for good and is still failed (the run waits, or ended there).
    Failed,
    /// The run ended before the region was done, without a failure of its own.
    Stopped,
}

impl RegionStatus {
    pub fn word(self) -> &'static str {
        match self {
            RegionStatus::NotStarted => "not started",
            RegionStatus::Running => "running",
            RegionStatus::Ok => "ok",
            RegionStatus::Recovered => "recovered",
            RegionStatus::FailedStepSkipped => "failed step skipped",
            RegionStatus::Failed => "failed",
            RegionStatus::Stopped => "stopped",
        }
    }

    fn of(state: &RunState, r: usize, failures: &[&FailureReport]) -> RegionStatus {
        let had = |f: Fate| failures.iter().any(|x| x.fate == f);
        if state.region_done(r) {
            if had(Fate::Skipped) {
                RegionStatus::FailedStepSkipped
            } else if failures.is_empty() {
                RegionStatus::Ok
            } else {
                RegionStatus::Recovered
            }
        } else if had(Fate::Stopped) || had(Fate::Open) {
            RegionStatus::Failed
        } else if state.end.is_some() {
            RegionStatus::Stopped
        } else if state.regions[r].started_ms.is_some() {
            RegionStatus::Running
        } else {
            RegionStatus::NotStarted
        }
    }
}

/// The regions of a run with lanes; empty for other runs.
pub fn regions(plan: &Plan, state: &RunState, failures: &[FailureReport]) -> Vec<RegionReport> {
    if !state.rules.iter().any(|r| r.lanes) {
        return Vec::new();
    }
    let sla_ms = region_sla_ms(plan);
    state
        .regions
        .iter()
        .enumerate()
        .map(|(n, r)| RegionReport {
            status: RegionStatus::of(
                state,
                n,
                &failures
                    .iter()
                    .filter(|f| f.region.as_ref() == Some(&r.name))
                    .collect::<Vec<_>>(),
            ),
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

/// The "Regions" section of the markdown report; `drill`: durations are on the drill clock.
pub fn markdown(
    regions: &[RegionReport],
    failures: &[FailureReport],
    drill: bool,
    out: &mut String,
) {
    if regions.is_empty() {
        return;
    }
    out.push_str("## Regions\n\n");
    let rows: Vec<Vec<String>> = regions
        .iter()
        .map(|r| {
            let mut status = match r.status {
                RegionStatus::NotStarted | RegionStatus::Running | RegionStatus::Ok => {
                    r.status.word().to_string()
                }
                s => format!("**{}**", s.word()),
            };
            for f in failures
                .iter()
                .filter(|f| f.region.as_ref() == Some(&r.region))
            {
                status.push_str(&format!(
                    "<br>{} {}",
                    super::md::cell_code(&f.step),
                    f.fate_md()
                ));
            }
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
                status,
            ]
        })
        .collect();
    let duration = if drill {
        "Duration (drill clock)"
    } else {
        "Duration"
    };
    out.push_str(&table(
        &[
            "Region",
            "Started",
            duration,
            "SLA",
            "SLA met",
            "Escalation",
            "Status",
        ],
        &rows,
    ));
    out.push('\n');
}

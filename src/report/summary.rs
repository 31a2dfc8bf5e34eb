//! One run in one record: the summary a seal carries, so stats over many runs read one
//! line per run.

use serde::{Deserialize, Serialize};

use super::model::{Report, SlaVerdict};
use super::phases::PhaseStatus;
use super::{Metrics, Timestamp};
use crate::engine::Mode;
use crate::engine::rehearsal::Rehearsal;
use crate::engine::seal::Seal;
use crate::plan::{Automation, Operation};

/// What stats over many runs need, taken from the run's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub plan: String,
    pub level: u8,
    pub operation: Operation,
    pub automation: Automation,
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub operator: String,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    pub sla: SlaVerdict,
    pub phases: Vec<PhaseTime>,
    pub escalations: Vec<EscalationAt>,
    pub resumes: u32,
    /// Outcome, duration, SLA, trigger, attempts, automation share: as the report has them.
    pub metrics: Metrics,
    /// A rehearsal's environment and participants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<Rehearsal>,
    /// The regions the run rolled back, in plan order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Each step of the run and how long it took, in plan order (to compare rehearsals).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepTime>,
    /// Drills only: the trainee's score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<crate::report::scorecard::DrillScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTime {
    /// `phase.step`
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseTime {
    pub id: String,
    pub status: PhaseStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationAt {
    pub level: u8,
    pub elapsed_ms: u64,
    pub acknowledged: bool,
}

impl Summary {
    pub fn of(report: &Report) -> Summary {
        let run = &report.run;
        Summary {
            plan: run.plan.clone(),
            level: run.level,
            operation: run.operation,
            automation: run.automation,
            mode: run.mode,
            scenario: run.scenario.as_ref().map(|s| s.id.clone()),
            operator: run.operator.clone(),
            started_at: report.timing.started_at,
            ended_at: report.timing.ended_at,
            sla: report.timing.sla,
            phases: report
                .phases
                .iter()
                .map(|p| PhaseTime {
                    id: p.id.clone(),
                    status: p.status,
                    duration_ms: p.duration_ms,
                })
                .collect(),
            escalations: report
                .escalations
                .iter()
                .map(|e| EscalationAt {
                    level: e.level,
                    elapsed_ms: e.elapsed_ms,
                    acknowledged: e.acknowledged_by.is_some(),
                })
                .collect(),
            resumes: report.interruptions.resumes.len() as u32,
            metrics: report.metrics.clone(),
            rehearsal: run.rehearsal.clone(),
            regions: run.regions.clone(),
            steps: report
                .phases
                .iter()
                .flat_map(|p| &p.steps)
                .map(|s| StepTime {
                    key: s.key.clone(),
                    duration_ms: s.duration_ms,
                })
                .collect(),
            drill: report.drill.as_ref().map(|c| c.score()),
        }
    }
}

impl Summary {
    /// The summary a seal carries.
    pub fn of_seal(seal: &Seal) -> Result<Summary, String> {
        Summary::deserialize(&seal.summary)
            .map_err(|e| format!("the seal's summary is unreadable: {e}"))
    }

    /// As a seal carries it.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a summary always serializes")
    }
}

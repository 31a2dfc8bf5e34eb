//! Records of many runs (PURE): one [`RunSummary`] per run, taken from its end seal (or from a
//! replay of a run that ended but was never sealed), and folds over them: the team's figures
//! and the standard's criteria (`stats`), readiness by level (`ready`), retention (`prune`).
//! Reading run directories is the commands' job; nothing here touches the filesystem.

pub mod board;
pub mod criteria;
pub mod figures;
pub mod ready;
pub mod restore;
pub mod retention;
pub mod trainee;

use serde::Serialize;

use crate::engine::rehearsal::Environment;
use crate::engine::tally::FailureCounts;
use crate::engine::{Mode, Trigger};
use crate::plan::Automation;
use crate::report::summary::Summary;
use crate::report::{RunOutcome, Timestamp};

/// What the folds need of one finished run: a compact copy of its sealed summary, so that
/// ten thousand of them stay small in memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// The run directory's name.
    pub id: String,
    pub plan: String,
    pub level: u8,
    pub mode: Mode,
    pub automation: Automation,
    pub trigger: Trigger,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub outcome: RunOutcome,
    /// On the run's clock: real time, the drill clock for a drill.
    pub duration_ms: u64,
    pub sla_ms: u64,
    /// `None` while an unfinished run is still inside its SLA.
    pub within_sla: Option<bool>,
    pub steps_selected: u32,
    pub steps_automated: u32,
    pub retries: u32,
    pub attempts: u32,
    /// Failed attempts and steps that failed for good (none in seals from before they were
    /// kept).
    pub failures: FailureCounts,
    /// Highest escalation level reached; 0 when none was.
    pub escalation: u8,
    /// Phase id and duration in real time, in plan order.
    pub phases: Vec<(String, Option<u64>)>,
    /// False for a run counted without a seal (one left after a failure): its summary comes
    /// from a replay.
    pub sealed: bool,
    /// Left unfinished after a step failed for good, its SLA passed: counted as a failure
    /// outside its SLA.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub left: bool,
    /// A rehearsal's environment; `None` for other runs and rehearsals from before it was
    /// recorded.
    pub environment: Option<Environment>,
    /// Participants named, and how many of them stakeholders.
    pub participants: u32,
    pub stakeholders: u32,
    /// Regions the run covered.
    pub regions: u32,
    /// Drills only: the trainee's score (boxed: most runs have none).
    pub drill: Option<Box<crate::report::scorecard::DrillScore>>,
}

impl RunSummary {
    pub fn of(id: &str, s: &Summary, sealed: bool) -> RunSummary {
        let exec = &s.metrics.execution;
        RunSummary {
            id: id.to_string(),
            plan: s.plan.clone(),
            level: s.level,
            mode: s.mode,
            automation: s.automation,
            trigger: exec.trigger,
            started_ms: s.started_at.ms(),
            ended_ms: s.ended_at.map(|t| t.ms()),
            outcome: exec.outcome,
            duration_ms: exec.duration_ms,
            sla_ms: exec.sla_ms,
            within_sla: exec.within_sla,
            steps_selected: s.metrics.quality.steps_selected,
            steps_automated: s.metrics.quality.steps_automated,
            retries: exec.retries,
            attempts: exec.attempts,
            failures: exec.failures,
            escalation: s.escalations.iter().map(|e| e.level).max().unwrap_or(0),
            phases: s
                .phases
                .iter()
                .map(|p| (p.id.clone(), p.duration_ms))
                .collect(),
            sealed,
            left: false,
            environment: s.rehearsal.as_ref().map(|r| r.environment),
            participants: s
                .rehearsal
                .as_ref()
                .map_or(0, |r| r.participants.len() as u32),
            stakeholders: s
                .rehearsal
                .as_ref()
                .map_or(0, |r| r.stakeholders().count() as u32),
            regions: s.regions.len() as u32,
            drill: s.drill.clone().map(Box::new),
        }
    }

    /// `real_ms` on the run's clock: times the drill's speed for a drill.
    pub fn on_its_clock(&self, real_ms: u64) -> u64 {
        match (self.mode, &self.drill) {
            (Mode::Drill, Some(d)) => crate::engine::clock::drill_ms(real_ms, d.speed),
            _ => real_ms,
        }
    }

    /// The end if recorded, else the start: how old the run is.
    pub fn last_ms(&self) -> i64 {
        self.ended_ms.unwrap_or(self.started_ms)
    }
}

/// Why a run is not counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Unread {
    /// Its lock is held: it is running now.
    Open { holder: String },
    /// Not ended, lock free: left or killed, resumable.
    Left,
    /// Ended, but killed before its seal: `rollback resume` seals it.
    Unsealed,
    /// Unreadable, damaged, or records missing at its end.
    Corrupt { why: String },
}

impl Unread {
    pub fn text(&self) -> String {
        match self {
            Unread::Open { holder } => format!("open ({holder})"),
            Unread::Left => "left or interrupted, not ended (resumable)".into(),
            Unread::Unsealed => {
                "ended but not sealed (killed before its seal; `rollback resume` seals it)".into()
            }
            Unread::Corrupt { why } => format!("corrupt: {why}"),
        }
    }
}

/// A run that is listed but not counted, with what could be read of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncounted {
    pub id: String,
    pub plan: Option<String>,
    pub mode: Option<Mode>,
    pub started_at: Option<Timestamp>,
    #[serde(flatten)]
    pub why: Unread,
}

/// Every run under a runs directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    /// Finished runs, in no particular order.
    pub runs: Vec<RunSummary>,
    pub uncounted: Vec<Uncounted>,
}

/// Which runs a fold looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Select {
    /// Runs started at or after this instant.
    pub since_ms: Option<i64>,
    pub plan: Option<String>,
    pub include_drills: bool,
}

impl Select {
    pub fn plan_matches(&self, plan: Option<&str>) -> bool {
        match (&self.plan, plan) {
            (None, _) => true,
            (Some(want), Some(p)) => want == p,
            (Some(_), None) => false,
        }
    }

    pub fn takes(&self, r: &RunSummary) -> bool {
        self.plan_matches(Some(&r.plan))
            && (self.include_drills || r.mode != Mode::Drill)
            && self.since_ms.is_none_or(|s| r.started_ms >= s)
    }
}

#[cfg(test)]
pub(crate) mod testkit;

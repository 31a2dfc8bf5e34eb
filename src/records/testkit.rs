//! Summaries for the folds' tests: a completed live run of plan `p`, 2 of 2 steps
//! automated, inside a 10-minute SLA, changed field by field.

use super::RunSummary;
use crate::engine::{Mode, Trigger};
use crate::plan::Automation;
use crate::report::RunOutcome;

pub const DAY: i64 = 86_400_000;
/// 2027-01-15T08:00:00Z.
pub const NOW: i64 = 1_800_000_000_000;

pub fn run(n: u32) -> RunSummary {
    let started_ms = NOW - DAY + i64::from(n) * 60_000;
    RunSummary {
        id: format!("run-{n}"),
        plan: "p".into(),
        level: 3,
        mode: Mode::Live,
        automation: Automation::Full,
        trigger: Trigger::Manual,
        started_ms,
        ended_ms: Some(started_ms + 120_000),
        outcome: RunOutcome::Completed,
        duration_ms: 120_000,
        sla_ms: 600_000,
        within_sla: Some(true),
        steps_selected: 2,
        steps_automated: 2,
        retries: 0,
        attempts: 2,
        failures: Default::default(),
        escalation: 0,
        phases: vec![
            ("capture".into(), Some(20_000)),
            ("execute".into(), Some(100_000)),
        ],
        sealed: true,
        left: false,
        environment: None,
        participants: 0,
        stakeholders: 0,
        regions: 0,
        drill: None,
    }
}

pub fn runs(n: u32) -> Vec<RunSummary> {
    (0..n).map(run).collect()
}

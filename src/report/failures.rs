//! Steps that failed for good, and what was done about each (retried, skipped, replaced by
//! an alternative path, or left failed when the run stopped), as the report tells them: in
//! its summary, on the phase and step rows, in the table of regions and in the metrics. The
//! words are those of `engine::tally`.

use serde::{Deserialize, Serialize};

use super::md::{cell, cell_code};
use super::model::RunOutcome;
use super::phases::PhaseReport;
use crate::engine::RunState;
use crate::engine::tally::{Fate, Tally};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureReport {
    /// `phase.step`, `phase.step@region` in a lane.
    pub step: String,
    pub region: Option<String>,
    /// Times it failed for good (a retry asked for may fail again).
    pub times: u32,
    pub fate: Fate,
    /// Who asked for the attempt that passed, skipped the step, or took the path.
    pub by: Option<String>,
    /// The alternative path taken in its place.
    pub alternative: Option<String>,
    /// Why it was skipped.
    pub reason: Option<String>,
}

/// The run's failures for good, in run order.
pub fn failures(state: &RunState, phases: &[PhaseReport]) -> Vec<FailureReport> {
    let steps = || phases.iter().flat_map(|p| &p.steps);
    Tally::of(state)
        .failures
        .into_iter()
        .map(|f| {
            let s = &state.steps[f.step];
            let report = steps().find(|r| r.key == f.key);
            let (by, alternative, reason) = match f.fate {
                Fate::Retried => (
                    report.and_then(|r| r.attempts.last()?.requested_by.clone()),
                    None,
                    None,
                ),
                Fate::Skipped => match &s.skipped {
                    Some((by, why)) => (Some(by.clone()), None, Some(why.clone())),
                    None => (None, None, None),
                },
                Fate::Replaced => match &s.alternative {
                    Some((alt, by)) => (Some(by.clone()), Some(alt.clone()), None),
                    None => (None, None, None),
                },
                Fate::Stopped | Fate::Open => (None, None, None),
            };
            FailureReport {
                step: f.key,
                region: f.region,
                times: f.times,
                fate: f.fate,
                by,
                alternative,
                reason,
            }
        })
        .collect()
}

impl FailureReport {
    /// What became of it, escaped for a table cell: `retried (asked by ci), then ok`.
    pub fn fate_md(&self) -> String {
        let by = |b: &Option<String>| {
            b.as_deref()
                .map(|b| format!(" by {}", cell(b)))
                .unwrap_or_default()
        };
        let times = match self.times {
            1 => String::new(),
            n => format!(" ({n} times)"),
        };
        let what = match self.fate {
            Fate::Retried => match &self.by {
                Some(b) => format!("retried (asked by {}), then ok", cell(b)),
                None => Fate::Retried.word().into(),
            },
            Fate::Skipped => format!(
                "skipped{}{}",
                by(&self.by),
                self.reason
                    .as_deref()
                    .map(|r| format!(": {}", cell(r)))
                    .unwrap_or_default()
            ),
            Fate::Replaced => format!(
                "replaced by the path {}{}",
                cell_code(self.alternative.as_deref().unwrap_or("?")),
                by(&self.by).replacen(" by", ", taken by", 1)
            ),
            f => f.word().into(),
        };
        format!("failed for good{times}, {what}")
    }

    /// `region us-east-1: `execute.undo@us-east-1` failed for good, retried ...`.
    pub fn md(&self) -> String {
        let region = self
            .region
            .as_deref()
            .map(|r| format!("region {}: ", cell(r)))
            .unwrap_or_default();
        format!("{region}{} {}", cell_code(&self.step), self.fate_md())
    }
}

/// The summary's line on failures: each failure for good, the failed attempts, and what
/// they make of the run. `None` when no attempt failed.
pub fn summary_md(failures: &[FailureReport], r: &super::Report) -> Option<String> {
    let e = &r.metrics.execution;
    if failures.is_empty() && e.failures.failed_attempts == 0 {
        return None;
    }
    let mut parts: Vec<String> = failures.iter().map(FailureReport::md).collect();
    let retries = match e.retries {
        1 => "1 retry".to_string(),
        n => format!("{n} retries"),
    };
    parts.push(format!(
        "{} of {} attempts failed, {retries}",
        e.failures.failed_attempts, e.attempts
    ));
    let mut text = parts.join("; ");
    if r.outcome.status == RunOutcome::Completed && !failures.is_empty() {
        text.push_str(". The rollback completed: counted as completed, with these failures");
    }
    Some(text)
}

#[cfg(test)]
#[path = "failures_tests.rs"]
mod tests;

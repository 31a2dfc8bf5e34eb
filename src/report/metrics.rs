//! The standard's rollback metrics for one run, ready for `stats` to aggregate: execution
//! (trigger, duration vs SLA, attempts, success), impact (not measured by the tool, so
//! explicitly "not recorded") and quality (tested beforehand, automated vs manual, plan
//! followed). Counts are kept beside percentages so that aggregates can be exact.

use serde::{Deserialize, Serialize};

use super::phases::StepKind;
use super::verdict::{RunOutcome, SlaVerdict, Timing, run_mode};
use crate::engine::tally::{FailureCounts, Tally};
use crate::engine::{FiredTrigger, Mode, Outcome, RunState, Trigger};
use crate::engine::{Record, replay};
use crate::plan::Plan;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub execution: ExecutionMetrics,
    pub impact: ImpactMetrics,
    pub quality: QualityMetrics,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionMetrics {
    /// `auto` or `manual`.
    pub trigger: Trigger,
    /// The automatic trigger that started the run: which, its condition, value and samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fired: Option<FiredTrigger>,
    /// Time to detect: from the trigger's first failing sample to its firing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_detect_ms: Option<u64>,
    /// From the trigger's firing to the start of the rollback (a cancel window, an answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_start_ms: Option<u64>,
    pub finished: bool,
    pub outcome: RunOutcome,
    /// The rollback completed.
    pub success: bool,
    /// Start to end (to the last record if unfinished).
    pub duration_ms: u64,
    pub sla_ms: u64,
    /// `null` while an unfinished run is still inside its SLA.
    pub within_sla: Option<bool>,
    /// Attempts of every command in the run.
    pub attempts: u32,
    /// Attempts beyond each command's first.
    pub retries: u32,
    /// Failed attempts, and steps that failed for good by what was done about them (see
    /// `engine::tally`): a run that completed after a failure is counted here, not as failed.
    #[serde(default)]
    pub failures: FailureCounts,
}

/// The standard's impact metrics. The tool does not see traffic or money: every value is
/// `null` until someone enters it (`rollback report RUN --set`, see `impact`), and a
/// report never invents these numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImpactMetrics {
    /// Something was entered.
    pub recorded: bool,
    pub downtime_ms: Option<u64>,
    pub affected_requests: Option<u64>,
    pub failed_requests: Option<u64>,
    pub revenue_impact: Option<f64>,
    #[serde(default)]
    pub users_affected: Option<u64>,
    /// What data was lost, in words (`none` when none was).
    #[serde(default)]
    pub data_loss: Option<String>,
    #[serde(default)]
    pub customer_complaints: Option<u64>,
    /// Who entered each value and when (the latest entry per metric).
    #[serde(default)]
    pub entries: Vec<super::impact::Entry>,
    /// The standard's metrics nobody has entered yet.
    #[serde(default)]
    pub missing: Vec<String>,
}

/// Whether the rollback was tested before this run, as far as the tool knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tested {
    /// This run is itself a rehearsal or a drill.
    Yes,
    /// A live run: earlier rehearsals are not linked to it.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityMetrics {
    pub tested_beforehand: Tested,
    /// Steps in this run (the scenario's subset).
    pub steps_selected: u32,
    /// `run` and `check` steps.
    pub steps_automated: u32,
    /// `approve` and `manual` steps.
    pub steps_manual: u32,
    /// Automated over selected, 0-100, one decimal; `null` when no step is selected.
    pub automated_pct: Option<f64>,
    pub steps_ok: u32,
    pub steps_skipped: u32,
    /// Failed for good and replaced by an alternative path.
    #[serde(default)]
    pub steps_replaced: u32,
    pub steps_failed: u32,
    /// Pending, running or interrupted when the record ends.
    pub steps_not_done: u32,
    /// Steps that ended ok over selected, 0-100, one decimal.
    pub plan_followed_pct: Option<f64>,
    /// Not known to the tool.
    pub documentation_accuracy_pct: Option<f64>,
}

/// The metrics of the run `records` describe, without building the rest of the report.
pub fn metrics(plan: &Plan, records: &[Record]) -> Metrics {
    let state = replay(plan, records);
    let last = records.last().map_or(state.started_ms, |r| r.ts_ms);
    let end = state.end.as_ref().map(|e| e.at_ms);
    let duration_ms = super::time::between(state.started_ms, end.unwrap_or(last));
    metrics_from(
        &state,
        run_mode(&state, records),
        duration_ms,
        end.is_some(),
    )
}

pub(crate) fn metrics_of(state: &RunState, mode: Mode, timing: &Timing) -> Metrics {
    metrics_from(state, mode, timing.duration_ms, timing.finished)
}

fn metrics_from(state: &RunState, mode: Mode, duration_ms: u64, finished: bool) -> Metrics {
    let sla_ms = state.sla_ms();
    let sla = SlaVerdict::of(duration_ms, sla_ms, finished);
    let outcome = match state.end.as_ref().map(|e| e.outcome) {
        Some(Outcome::Completed) => RunOutcome::Completed,
        Some(Outcome::Failed) => RunOutcome::Failed,
        Some(Outcome::Aborted) => RunOutcome::Aborted,
        None => RunOutcome::NotFinished,
    };
    let tally = Tally::of(state);
    let selected = state.steps.iter().filter(|s| s.selected);
    let steps_automated = selected
        .filter(|s| StepKind::from(s.kind).automated())
        .count() as u32;
    let fired = state
        .info
        .as_ref()
        .and_then(|i| i.fired.as_deref().cloned());
    let between = |from: i64, to: i64| u64::try_from(to - from).ok();
    Metrics {
        execution: ExecutionMetrics {
            trigger: state.info.as_ref().map(|i| i.trigger).unwrap_or_default(),
            time_to_detect_ms: fired
                .as_ref()
                .and_then(|f| between(f.first_failure_ms, f.fired_ms)),
            time_to_start_ms: fired
                .as_ref()
                .and_then(|f| between(f.fired_ms, state.started_ms)),
            fired,
            finished,
            outcome,
            success: outcome == RunOutcome::Completed,
            duration_ms,
            sla_ms,
            // A regional run meets its SLA when every region met its own.
            within_sla: match (state.regions_met(), sla) {
                (Some(met), _) => Some(met),
                (None, SlaVerdict::Met) => Some(true),
                (None, SlaVerdict::Missed) => Some(false),
                (None, SlaVerdict::Open) => None,
            },
            attempts: tally.attempts,
            retries: tally.retries,
            failures: tally.counts(),
        },
        impact: ImpactMetrics {
            missing: super::impact::STANDARD.map(String::from).to_vec(),
            ..ImpactMetrics::default()
        },
        quality: QualityMetrics {
            tested_beforehand: match mode {
                Mode::Rehearsal | Mode::Drill => Tested::Yes,
                Mode::Live => Tested::Unknown,
            },
            steps_selected: tally.steps,
            steps_automated,
            steps_manual: tally.steps - steps_automated,
            automated_pct: pct(steps_automated, tally.steps),
            steps_ok: tally.ok,
            steps_skipped: tally.skipped,
            steps_replaced: tally.replaced,
            steps_failed: tally.failed,
            steps_not_done: tally.not_done,
            plan_followed_pct: pct(tally.ok, tally.steps),
            documentation_accuracy_pct: None,
        },
    }
}

/// `part` of `whole` as a percentage with one decimal.
fn pct(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0)
}

/// `60%`, `66.7%`.
pub fn pct_text(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_have_one_decimal_and_no_zero_division() {
        assert_eq!(pct(3, 5), Some(60.0));
        assert_eq!(pct(2, 3), Some(66.7));
        assert_eq!(pct(0, 0), None);
        assert_eq!(pct_text(60.0), "60%");
        assert_eq!(pct_text(66.7), "66.7%");
    }
}

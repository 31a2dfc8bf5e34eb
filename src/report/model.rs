//! The report of one run as data: a pure function of the plan it ran and its timeline's
//! records (`build`), replayed through the engine's own fold so that the report and the
//! cockpit can never disagree about what happened. Rendering lives in `markdown` and `json`.

use serde::{Deserialize, Serialize};

use super::events::{self, Escalation, Interruptions, NoteEntry, Notification};
use super::followups::{self, FollowUps};
use super::metrics::{Metrics, metrics_of};
use super::phases::{self, PhaseRef, PhaseReport};
use super::time::{Timestamp, between};
use super::verdict::run_mode;
pub use super::verdict::{RunOutcome, SlaVerdict, Timing};
use crate::engine::rehearsal::Rehearsal;
use crate::engine::state::End;
use crate::engine::{Event, Mode, Outcome, RunState, Trigger, Waiting};
use crate::engine::{Record, replay};
use crate::plan::{Automation, Operation, Plan};

/// The shape version of the JSON form; raised only if a key is renamed or removed.
pub const REPORT_VERSION: u32 = 1;

/// Everything a report says about one run. See [`super::json`] for the JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub report_version: u32,
    pub generated_at: Timestamp,
    pub run: RunSection,
    pub timing: Timing,
    pub outcome: OutcomeSection,
    pub point_of_no_return: PointOfNoReturn,
    /// Phases with at least one step in this run, in plan order.
    pub phases: Vec<PhaseReport>,
    /// Phases the scenario left out entirely.
    pub phases_left_out: Vec<PhaseRef>,
    /// Each region against its own SLA (runs with `for_each: region` phases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<super::regions::RegionReport>,
    pub escalations: Vec<Escalation>,
    /// Notes and status updates, in order.
    pub notes: Vec<NoteEntry>,
    pub notifications: Vec<Notification>,
    pub interruptions: Interruptions,
    pub follow_ups: FollowUps,
    /// The standard's verification checklist, item by item (empty when the plan has none).
    #[serde(default)]
    pub checklist: Vec<super::checklist::ChecklistItem>,
    pub metrics: Metrics,
    pub record: RecordInfo,
    /// Problems with the run directory that do not stop the report (torn tail, plan changed).
    pub warnings: Vec<String>,
    /// A rehearsal compared with the earlier ones of its plan in the same runs directory;
    /// `null` for other runs (and when the report is built from the records alone).
    #[serde(default)]
    pub comparison: Option<crate::report::trend::Comparison>,
    /// Drills only: the drill clock and the trainee's score card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<super::scorecard::DrillCard>,
}

/// Who ran what, how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSection {
    pub run_id: Option<String>,
    pub plan: String,
    pub title: String,
    pub level: u8,
    pub operation: Operation,
    pub automation: Automation,
    pub mode: Mode,
    /// Who started the run.
    pub operator: String,
    /// The run's operator first, then every other operator named on a record.
    pub operators: Vec<String>,
    pub scenario: Option<ScenarioRef>,
    pub trigger: Trigger,
    pub host: Option<String>,
    /// `rollback` version that started the run.
    pub version: Option<String>,
    pub plan_sha256: Option<String>,
    /// Variable values as recorded (secrets already redacted).
    pub vars: Vec<Var>,
    /// A rehearsal's environment and participants; `null` for other runs.
    #[serde(default)]
    pub rehearsal: Option<Rehearsal>,
    /// The regions the run rolled back (the plan's, less those its scenario leaves out).
    #[serde(default)]
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRef {
    pub id: String,
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Var {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeSection {
    pub status: RunOutcome,
    pub at: Option<Timestamp>,
    /// Why it failed or was aborted; for an unfinished run, what its last record says.
    pub reason: Option<String>,
    /// Who aborted it.
    pub by: Option<String>,
    pub after_point_of_no_return: bool,
    /// An unfinished run left waiting on a step that failed for good: that step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
}

/// The first point of no return this run passed (a step-level one may follow; each step
/// says who confirmed it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointOfNoReturn {
    /// Steps of this run that need the confirmation, in order.
    pub steps: Vec<String>,
    pub passed: bool,
    pub at: Option<Timestamp>,
    pub elapsed_ms: Option<u64>,
    pub by: Option<String>,
    pub before_step: Option<String>,
}

/// The record the report was built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordInfo {
    pub records: usize,
    /// Hash of the last record: names exactly which timeline this report describes.
    pub last_hash: Option<String>,
}

/// Builds the report of the run `records` describe, over the plan it ran with. `now_ms`
/// is only the time of generation; everything else comes from the records.
pub fn build(plan: &Plan, records: &[Record], now_ms: i64) -> Report {
    let state = replay(plan, records);
    let start = if state.info.is_some() {
        state.started_ms
    } else {
        records.first().map_or(now_ms, |r| r.ts_ms)
    };
    let last = records.last().map_or(start, |r| r.ts_ms);
    let timing = timing(&state, records, start, last);
    let counted_from = timing.ended_at.unwrap_or(timing.last_record_at);
    let mut metrics = metrics_of(&state, run_mode(&state, records), &timing);
    let (written, warnings) = super::impact::from_outputs(records);
    super::impact::apply(&mut metrics.impact, &written);
    Report {
        report_version: REPORT_VERSION,
        generated_at: Timestamp(now_ms),
        run: run_section(plan, &state, records),
        outcome: outcome(&state, records),
        point_of_no_return: point_of_no_return(&state, start),
        phases: phases::phases(plan, &state, records, start),
        phases_left_out: phases::left_out(plan, &state),
        regions: super::regions::regions(plan, &state),
        escalations: events::escalations(records, start),
        notes: events::notes(records, start),
        notifications: events::notifications(records, start),
        interruptions: events::interruptions(records, start),
        follow_ups: followups::follow_ups(plan, counted_from, timing.finished),
        checklist: super::checklist::checklist(plan, &state),
        metrics,
        record: RecordInfo {
            records: records.len(),
            last_hash: records.last().map(|r| r.hash.clone()),
        },
        warnings,
        comparison: None,
        drill: super::scorecard::scorecard(plan, records),
        timing,
    }
}

fn run_section(plan: &Plan, state: &RunState, records: &[Record]) -> RunSection {
    let info = state.info.as_ref();
    let operator = Some(state.operator.clone())
        .filter(|o| info.is_some() && !o.is_empty())
        .or_else(|| records.first().map(|r| r.operator.clone()))
        .unwrap_or_else(|| "unknown".into());
    let mut operators = vec![operator.clone()];
    for r in records {
        if !r.operator.is_empty() && !operators.contains(&r.operator) {
            operators.push(r.operator.clone());
        }
    }
    let scenario = info.and_then(|i| i.scenario.clone()).map(|id| ScenarioRef {
        title: plan.scenarios.get(&id).and_then(|s| s.title.clone()),
        id,
    });
    RunSection {
        run_id: info.map(|i| i.run_id.clone()),
        plan: info.map_or_else(|| plan.plan.value.clone(), |i| i.plan.clone()),
        title: info.map_or_else(|| plan.title.value.clone(), |i| i.title.clone()),
        level: info.map_or(*plan.level, |i| i.level),
        operation: *plan.operation,
        automation: *plan.automation,
        mode: run_mode(state, records),
        operator,
        operators,
        scenario,
        trigger: info.map(|i| i.trigger).unwrap_or_default(),
        host: info.map(|i| i.host.clone()),
        version: info.map(|i| i.version.clone()),
        plan_sha256: info.map(|i| i.plan_sha256.clone()),
        vars: info
            .map(|i| {
                i.vars
                    .iter()
                    .map(|(name, value)| Var {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        rehearsal: info.and_then(|i| i.rehearsal.clone()),
        regions: crate::engine::selection::run_regions(
            plan,
            info.and_then(|i| i.scenario.as_deref()),
        ),
    }
}

fn timing(state: &RunState, records: &[Record], start: i64, last: i64) -> Timing {
    let ended = state.end.as_ref().map(|e| e.at_ms);
    // On the run's clock: a drill's SLA is kept on the drill clock (see `DrillCard`).
    let on_clock = |t: i64| crate::engine::clock::drill_ms(between(start, t), state.speed());
    let duration_ms = on_clock(ended.unwrap_or(last));
    let sla_ms = state.sla_ms();
    let sla = SlaVerdict::of(duration_ms, sla_ms, ended.is_some());
    let breach = records.iter().find_map(|r| match r.event {
        Event::SlaBreached { .. } => Some(r.ts_ms),
        _ => None,
    });
    Timing {
        started_at: Timestamp(start),
        ended_at: ended.map(Timestamp),
        last_record_at: Timestamp(last),
        finished: ended.is_some(),
        duration_ms,
        sla_ms,
        sla,
        sla_margin_ms: duration_ms.abs_diff(sla_ms),
        sla_breached_at: breach.map(Timestamp),
        sla_breached_elapsed_ms: breach.map(on_clock),
    }
}

impl Timing {
    /// `04:12 of 15:00: met (10:48 to spare)`, in the cockpit's clock style.
    pub fn sla_text(&self) -> String {
        use crate::engine::sla::clock_text;
        let (d, sla, margin) = (
            clock_text(self.duration_ms),
            clock_text(self.sla_ms),
            clock_text(self.sla_margin_ms),
        );
        match (self.finished, self.sla) {
            (true, SlaVerdict::Missed) => format!("{d} of {sla}: missed by {margin}"),
            (true, _) => format!("{d} of {sla}: met ({margin} to spare)"),
            (false, SlaVerdict::Missed) => {
                format!("in progress/interrupted: {d} so far of {sla}, already missed by {margin}")
            }
            (false, _) => format!(
                "in progress/interrupted: {d} so far of {sla} at the last record ({margin} left then)"
            ),
        }
    }
}

fn outcome(state: &RunState, records: &[Record]) -> OutcomeSection {
    let after_ponr = records.iter().any(|r| {
        matches!(
            r.event,
            Event::RunAborted {
                after_point_of_no_return: true,
                ..
            }
        )
    });
    match &state.end {
        Some(End {
            outcome,
            at_ms,
            reason,
            by,
        }) => OutcomeSection {
            status: match outcome {
                Outcome::Completed => RunOutcome::Completed,
                Outcome::Failed => RunOutcome::Failed,
                Outcome::Aborted => RunOutcome::Aborted,
            },
            at: Some(Timestamp(*at_ms)),
            reason: reason.clone(),
            by: by.clone(),
            after_point_of_no_return: after_ponr,
            failed_step: None,
        },
        None => OutcomeSection {
            status: RunOutcome::NotFinished,
            at: None,
            reason: Some(unfinished_reason(records)),
            by: None,
            after_point_of_no_return: false,
            failed_step: match state.waiting() {
                Waiting::Failure(i) | Waiting::RegionFailure(i) => {
                    state.steps.get(i).map(|s| s.key.clone())
                }
                _ => None,
            },
        },
    }
}

/// What an unfinished run's last record says about why it stopped.
fn unfinished_reason(records: &[Record]) -> String {
    match records.last().map(|r| &r.event) {
        Some(Event::OperatorLeft {
            reason,
            running: Some(step),
        }) => format!("operator left ({reason}) with {step} running; resumable"),
        Some(Event::OperatorLeft { reason, .. }) => {
            format!("operator left ({reason}); resumable")
        }
        Some(e) => format!(
            "in progress or interrupted; last record: {}",
            crate::engine::describe::describe(e)
        ),
        None => "the run never started".into(),
    }
}

fn point_of_no_return(state: &RunState, start: i64) -> PointOfNoReturn {
    let steps = state
        .steps
        .iter()
        .filter(|s| s.selected && s.point_of_no_return)
        .map(|s| s.key.clone())
        .collect();
    let passed = state.ponr_passed.as_ref();
    PointOfNoReturn {
        steps,
        passed: passed.is_some(),
        at: passed.map(|(_, _, t)| Timestamp(*t)),
        elapsed_ms: passed.map(|(_, _, t)| between(start, *t)),
        by: passed.map(|(_, by, _)| by.clone()),
        before_step: passed.map(|(step, _, _)| step.clone()),
    }
}

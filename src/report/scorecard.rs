//! A drill's score card, derived from its records alone (nothing extra is recorded): the SLA
//! on the drill clock, each decision the trainee took with its time to decide (from the
//! question appearing on screen to the answer, real and on the drill clock), escalations
//! acknowledged in time, and mistakes.

use serde::{Deserialize, Serialize};

use super::time::{Timestamp, between};
use crate::engine::Record;
use crate::engine::clock::drill_ms;
use crate::engine::{Event, RunState, Waiting};
use crate::plan::{Plan, StepKind};

/// The drill part of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillCard {
    pub trainee: String,
    pub exercise: Option<String>,
    /// The drill clock's factor.
    pub speed: f64,
    pub real_duration_ms: u64,
    pub drill_duration_ms: u64,
    pub sla_ms: u64,
    /// On the drill clock; `None` while the drill has not ended inside its SLA.
    pub sla_met: Option<bool>,
    pub decisions: Vec<Decision>,
    pub escalations: Vec<EscalationScore>,
    pub mistakes: Vec<String>,
}

/// One answer of the trainee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// start (a fired trigger decided), approve, confirm, point_of_no_return, retry, skip,
    /// abort, ack, wait_orphan, kill_orphan, resume (back after an exercise cut the
    /// session), regions_stop_all and regions_continue (what a region's failure does to the
    /// others), and alternative (a path taken in place of a failed step).
    pub kind: String,
    pub step: Option<String>,
    pub by: String,
    pub at: Timestamp,
    /// From the question appearing to the answer; `None` when nothing was asked (an abort
    /// while a step ran).
    pub real_ms: Option<u64>,
    pub drill_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationScore {
    pub level: u8,
    /// Drill-clock time of the rung.
    pub raised_drill_ms: u64,
    /// Drill-clock time from the rung to its acknowledgement.
    pub acknowledged_after_drill_ms: Option<u64>,
    /// Acknowledged before the next rung (or, for the last, before the drill ended).
    pub in_time: bool,
}

/// Compact form for the end seal and `stats --trainee`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillScore {
    pub trainee: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
    pub speed: f64,
    pub sla_met: Option<bool>,
    pub decisions: u32,
    /// Median time to decide on the drill clock.
    pub median_decide_drill_ms: Option<u64>,
    pub escalations: u32,
    pub acknowledged_in_time: u32,
    pub mistakes: u32,
}

impl DrillCard {
    pub fn score(&self) -> DrillScore {
        DrillScore {
            trainee: self.trainee.clone(),
            exercise: self.exercise.clone(),
            speed: self.speed,
            sla_met: self.sla_met,
            decisions: self.decisions.len() as u32,
            median_decide_drill_ms: median(self.decisions.iter().filter_map(|d| d.drill_ms)),
            escalations: self.escalations.len() as u32,
            acknowledged_in_time: self.escalations.iter().filter(|e| e.in_time).count() as u32,
            mistakes: self.mistakes.len() as u32,
        }
    }
}

pub fn median(values: impl Iterator<Item = u64>) -> Option<u64> {
    let mut v: Vec<u64> = values.collect();
    v.sort_unstable();
    v.get(v.len().checked_sub(1)? / 2).copied()
}

/// The question the run puts to its operator now, if any.
fn question(w: &Waiting) -> Option<Waiting> {
    matches!(
        w,
        Waiting::PointOfNoReturn(_)
            | Waiting::Approval(_)
            | Waiting::Manual(_)
            | Waiting::Failure(_)
            | Waiting::RegionFailure(_)
            | Waiting::Interrupted(_)
            | Waiting::Orphan { .. }
    )
    .then(|| w.clone())
}

/// A person's decision about a step: its kind, the step, who.
fn on_a_step(e: &Event) -> Option<(String, &String, &str)> {
    let (kind, step, by) = match e {
        Event::Approved { step, by } => ("approve".into(), step, by),
        Event::ManualConfirmed { step, by, .. } => ("confirm".into(), step, by),
        Event::PointOfNoReturnConfirmed { step, by } => ("point_of_no_return".into(), step, by),
        Event::RetryRequested { step, by } => ("retry".into(), step, by),
        Event::RegionPolicyChosen { step, choice, by } => {
            (format!("regions_{}", choice.name()), step, by)
        }
        // A path the plan takes by itself is no one's decision.
        Event::AlternativeTaken {
            step,
            by,
            automatic: false,
            ..
        } => ("alternative".into(), step, by),
        Event::OrphanDecided { step, by, kill, .. } => {
            let kind = if *kill { "kill_orphan" } else { "wait_orphan" };
            (kind.into(), step, by)
        }
        _ => return None,
    };
    Some((kind, step, by.as_str()))
}

/// The score card of a drill, `None` for other runs.
pub fn scorecard(plan: &Plan, records: &[Record]) -> Option<DrillCard> {
    let (info, drill) = records.iter().find_map(|r| match &r.event {
        Event::RunStarted(i) => i.drill.clone().map(|d| (i.clone(), d)),
        _ => None,
    })?;
    let speed = info.speed();
    let mut st = RunState::new(plan, info.scenario.as_deref());
    let mut asked: Option<(Waiting, i64)> = None;
    let mut card = DrillCard {
        trainee: drill.trainee.clone(),
        exercise: drill.exercise.clone(),
        speed,
        real_duration_ms: 0,
        drill_duration_ms: 0,
        sla_ms: info.sla_ms,
        sla_met: None,
        decisions: Vec::new(),
        escalations: Vec::new(),
        mistakes: Vec::new(),
    };
    let mut raised: Vec<(u8, i64)> = Vec::new();
    let (mut resumed, mut previous) = (false, None);
    for r in records {
        let since = asked.as_ref().map(|(_, t)| *t);
        let decided = |kind: &str, step: Option<&String>, by: &str| Decision {
            kind: kind.into(),
            step: step.cloned(),
            by: by.into(),
            at: Timestamp(r.ts_ms),
            real_ms: since.map(|t| between(t, r.ts_ms)),
            drill_ms: since.map(|t| drill_ms(between(t, r.ts_ms), speed)),
        };
        let d = match &r.event {
            // A fired trigger a person decided on: timed from the moment it fired.
            Event::RunStarted(i) => i.fired.as_ref().and_then(|f| {
                let by = f.started_by.clone()?;
                let real = between(f.fired_ms, r.ts_ms);
                Some(Decision {
                    kind: "start".into(),
                    step: None,
                    by,
                    at: Timestamp(r.ts_ms),
                    real_ms: Some(real),
                    drill_ms: Some(drill_ms(real, speed)),
                })
            }),
            e if on_a_step(e).is_some() => on_a_step(e).map(|(k, s, by)| decided(&k, Some(s), by)),
            // The exercise cut the session: how long the trainee took to come back.
            Event::RunResumed { .. } if drill.orphan.is_some() && !resumed => {
                resumed = true;
                let real = previous.map(|t| between(t, r.ts_ms));
                Some(Decision {
                    kind: "resume".into(),
                    step: None,
                    by: r.operator.clone(),
                    at: Timestamp(r.ts_ms),
                    real_ms: real,
                    drill_ms: real.map(|m| drill_ms(m, speed)),
                })
            }
            Event::StepSkipped { step, by, .. } => {
                card.mistakes.extend(skip_mistake(&st, step));
                Some(decided("skip", Some(step), by))
            }
            Event::RunAborted {
                by,
                after_point_of_no_return,
                ..
            } => {
                if *after_point_of_no_return {
                    card.mistakes.push(
                        "aborted after the point of no return: the system is left half rolled back"
                            .into(),
                    );
                }
                Some(decided("abort", None, by))
            }
            Event::EscalationRaised {
                level,
                reason: None,
                ..
            } => {
                raised.push((*level, r.ts_ms));
                None
            }
            Event::EscalationAcknowledged { level, by } => {
                let from = raised
                    .iter()
                    .filter(|(l, _)| l <= level)
                    .map(|(_, t)| *t)
                    .max();
                let real = from.map(|t| between(t, r.ts_ms));
                Some(Decision {
                    kind: "ack".into(),
                    step: None,
                    by: by.clone(),
                    at: Timestamp(r.ts_ms),
                    real_ms: real,
                    drill_ms: real.map(|m| drill_ms(m, speed)),
                })
            }
            _ => None,
        };
        card.decisions.extend(d);
        previous = Some(r.ts_ms);
        st.apply(&r.stamped());
        if matches!(r.event, Event::RunResumed { .. }) {
            // Time away from the run is not time spent deciding.
            asked = asked.map(|(w, _)| (w, r.ts_ms));
        }
        match question(&st.waiting()) {
            Some(q) if asked.as_ref().is_none_or(|(w, _)| *w != q) => asked = Some((q, r.ts_ms)),
            Some(_) => {}
            None => asked = None,
        }
    }
    finish(&mut card, &st, &raised, records);
    Some(card)
}

/// Durations, the SLA verdict and the escalations, once every record is read.
fn finish(card: &mut DrillCard, st: &RunState, raised: &[(u8, i64)], records: &[Record]) {
    let last = records.last().map_or(st.started_ms, |r| r.ts_ms);
    let end = st.end.as_ref().map(|e| e.at_ms);
    card.real_duration_ms = st.real_elapsed_ms(end.unwrap_or(last));
    card.drill_duration_ms = st.elapsed_ms(end.unwrap_or(last));
    card.sla_met = match (end, card.drill_duration_ms < card.sla_ms) {
        (_, false) => Some(false),
        (Some(_), true) => Some(true),
        (None, true) => None,
    };
    card.escalations = escalation_scores(st, raised, records, end.unwrap_or(last));
    for e in card.escalations.iter().filter(|e| !e.in_time) {
        card.mistakes.push(format!(
            "escalation level {} was not acknowledged in time (before the next level, or the end)",
            e.level
        ));
    }
}

/// What skipping `step` gets wrong, if anything: a check is how a rollback is known to
/// work, and a step that failed for good with an alternative path offered has another way
/// to recover (the standard's alternative recovery paths).
fn skip_mistake(st: &RunState, step: &str) -> Option<String> {
    let i = st.step_index(step)?;
    let s = &st.steps[i];
    if matches!(s.kind, StepKind::Check | StepKind::Manual) {
        return Some(format!(
            "skipped the verification `{step}`: checks are how a rollback is known to work"
        ));
    }
    let paths = st.alternatives_for(i);
    if !s.failed_for_good() || paths.is_empty() {
        return None;
    }
    let left = match &s.region {
        Some(r) => format!("region {r} is left without its rollback"),
        None => "the step's work is left undone".into(),
    };
    Some(format!(
        "skipped `{step}` after it failed for good while the plan offers another way to recover (`{}`): {left}",
        paths.join("`, `")
    ))
}

fn escalation_scores(
    st: &RunState,
    raised: &[(u8, i64)],
    records: &[Record],
    end_ms: i64,
) -> Vec<EscalationScore> {
    raised
        .iter()
        .enumerate()
        .map(|(n, &(level, at))| {
            let acked = records.iter().find_map(|r| match &r.event {
                Event::EscalationAcknowledged { level: l, .. } if *l >= level && r.ts_ms >= at => {
                    Some(r.ts_ms)
                }
                _ => None,
            });
            let deadline = raised.get(n + 1).map_or(end_ms, |(_, t)| *t);
            EscalationScore {
                level,
                raised_drill_ms: st.elapsed_ms(at),
                acknowledged_after_drill_ms: acked.map(|t| drill_ms(between(at, t), st.speed())),
                in_time: acked.is_some_and(|t| t <= deadline),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "scorecard_tests.rs"]
mod tests;

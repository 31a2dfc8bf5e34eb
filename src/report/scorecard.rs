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
            Event::Approved { step, by } => Some(decided("approve", Some(step), by)),
            Event::ManualConfirmed { step, by, .. } => Some(decided("confirm", Some(step), by)),
            Event::PointOfNoReturnConfirmed { step, by } => {
                Some(decided("point_of_no_return", Some(step), by))
            }
            Event::RetryRequested { step, by } => Some(decided("retry", Some(step), by)),
            Event::RegionPolicyChosen { step, choice, by } => {
                let kind = format!("regions_{}", choice.name());
                Some(decided(&kind, Some(step), by))
            }
            // A path the plan takes by itself is no one's decision.
            Event::AlternativeTaken {
                step,
                by,
                automatic: false,
                ..
            } => Some(decided("alternative", Some(step), by)),
            Event::OrphanDecided { step, by, kill, .. } => {
                let kind = if *kill { "kill_orphan" } else { "wait_orphan" };
                Some(decided(kind, Some(step), by))
            }
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
    let last = records.last().map_or(st.started_ms, |r| r.ts_ms);
    let end = st.end.as_ref().map(|e| e.at_ms);
    card.real_duration_ms = st.real_elapsed_ms(end.unwrap_or(last));
    card.drill_duration_ms = st.elapsed_ms(end.unwrap_or(last));
    card.sla_met = match (end, card.drill_duration_ms < card.sla_ms) {
        (_, false) => Some(false),
        (Some(_), true) => Some(true),
        (None, true) => None,
    };
    card.escalations = escalation_scores(&st, &raised, records, end.unwrap_or(last));
    for e in card.escalations.iter().filter(|e| !e.in_time) {
        card.mistakes.push(format!(
            "escalation level {} was not acknowledged in time (before the next level, or the end)",
            e.level
        ));
    }
    Some(card)
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
mod tests {
    use super::*;
    use crate::engine::{Input, StepOutcome};
    use crate::report::testkit::Drive;

    const PLAN: &str = "plan: sc\ntitle: t\nlevel: 2\noperation: application\nautomation: semi\nsla: 10m\nphases:\n  - id: capture\n    steps: [{id: save, run: 'true'}]\n  - id: prepare\n    steps: [{id: go, approve: Go?}]\n  - id: execute\n    point_of_no_return: true\n    steps: [{id: undo, run: 'true'}]\n  - id: verify\n    steps:\n      - {id: ready, check: 'true'}\n      - {id: eyeball, manual: Looks right}\n";

    #[test]
    fn decisions_are_timed_from_their_question_on_both_clocks() {
        let mut d = Drive::new(PLAN, None);
        d.start_drill(10.0).command(StepOutcome::Ok, 2);
        d.now += 30_000;
        d.feed(Input::Approve { by: "alice".into() });
        d.now += 6_000;
        d.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
        d.command(StepOutcome::Ok, 2)
            .command(StepOutcome::Failed, 2);
        // The approval came 32 s in, 5:20 on the drill clock: the 5-minute rung rose then,
        // and the acknowledgement is timed from it.
        d.at(42);
        d.now += 4_000;
        d.feed(Input::Acknowledge { by: "alice".into() });
        d.now += 8_000;
        d.feed(Input::Skip {
            by: "alice".into(),
            reason: "flaky".into(),
        });
        d.now += 1_000;
        d.feed(Input::ConfirmManual {
            by: "alice".into(),
            note: None,
        });
        let card = scorecard(&d.plan, &d.records).expect("a drill has a card");
        let got: Vec<(&str, Option<u64>, Option<u64>)> = card
            .decisions
            .iter()
            .map(|x| (x.kind.as_str(), x.real_ms, x.drill_ms))
            .collect();
        assert_eq!(
            got,
            [
                ("approve", Some(30_000), Some(300_000)),
                ("point_of_no_return", Some(6_000), Some(60_000)),
                ("ack", Some(14_000), Some(140_000)),
                ("skip", Some(12_000), Some(120_000)),
                ("confirm", Some(1_000), Some(10_000)),
            ]
        );
        assert_eq!(card.exercise.as_deref(), Some("lock"));
        assert_eq!(card.escalations.len(), 1);
        assert!(card.escalations[0].in_time);
        assert_eq!(card.escalations[0].raised_drill_ms, 320_000);
        assert_eq!(
            card.mistakes,
            ["skipped the verification `verify.ready`: checks are how a rollback is known to work"]
        );
        // 55 s real: 9:10 on the drill clock, inside the 10-minute SLA.
        assert_eq!(
            (card.real_duration_ms, card.drill_duration_ms),
            (55_000, 550_000)
        );
        assert_eq!(card.sla_met, Some(true));
        let score = card.score();
        assert_eq!((score.decisions, score.mistakes), (5, 1));
        assert_eq!(score.median_decide_drill_ms, Some(120_000));
    }

    #[test]
    fn a_fired_trigger_a_person_started_is_a_decision_timed_from_the_fire() {
        let fired = |by: Option<&str>| crate::engine::FiredTrigger {
            name: "errors".into(),
            uses: None,
            severity: "medium".into(),
            condition: "result > 1.0".into(),
            explain: "errors are up".into(),
            value: serde_json::json!(5),
            first_failure_ms: crate::report::testkit::T0 - 3_000,
            fired_ms: crate::report::testkit::T0 - 2_000,
            samples: vec![],
            started_by: by.map(str::to_string),
        };
        let mut d = Drive::new(PLAN, None);
        d.start_fired_drill(10.0, Some(fired(Some("alice"))));
        let card = scorecard(&d.plan, &d.records).unwrap();
        let first = &card.decisions[0];
        assert_eq!(
            (
                first.kind.as_str(),
                first.by.as_str(),
                first.real_ms,
                first.drill_ms
            ),
            ("start", "alice", Some(2_000), Some(20_000))
        );
        // The policy started it (critical, or a cancel window that ran out): nobody decided.
        let mut d = Drive::new(PLAN, None);
        d.start_fired_drill(10.0, Some(fired(None)));
        assert!(scorecard(&d.plan, &d.records).unwrap().decisions.is_empty());
    }

    #[test]
    fn an_abort_past_the_point_of_no_return_and_a_missed_escalation_are_mistakes() {
        let mut d = Drive::new(PLAN, None);
        d.start_drill(60.0).command(StepOutcome::Ok, 2);
        d.feed(Input::Approve { by: "alice".into() });
        d.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
        d.command(StepOutcome::Ok, 1);
        d.at(20);
        d.feed(Input::Abort {
            by: "alice".into(),
            reason: "panic".into(),
        });
        let card = scorecard(&d.plan, &d.records).unwrap();
        assert_eq!(card.sla_met, Some(false), "20 s at x60 is 20 minutes");
        assert!(card.mistakes[0].starts_with("aborted after the point of no return"));
        assert!(
            card.mistakes
                .iter()
                .any(|m| m.starts_with("escalation level 2 was not acknowledged")),
            "{:?}",
            card.mistakes
        );
        assert!(card.markdown().contains("| Drill clock | x60"));
        let mut live = Drive::new(PLAN, None);
        live.start(crate::engine::Mode::Live, None).all_ok();
        assert!(scorecard(&live.plan, &live.records).is_none());
    }
}

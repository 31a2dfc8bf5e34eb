//! The drill score card over drills played through the real engine.

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

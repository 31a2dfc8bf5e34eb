//! Alternative recovery paths: taken by the operator, or marked automatic by the plan (the
//! engine records which); the failed step is replaced and the path's steps run in its place.

use super::*;
use crate::engine::state::Status;

const PLAN: &str = "plan: a\ntitle: Alt\nlevel: 3\noperation: database\nautomation: full\nsla: 10m\n\
phases:\n  - id: execute\n    steps:\n      - id: down\n        run: 'false'\n        \
alternatives:\n          - id: restore\n            title: Restore from backup\n            \
automatic: true\n            steps:\n              - {id: fetch, run: 'true'}\n              \
- {id: load, run: 'true'}\n  - id: verify\n    steps:\n      - {id: rows, check: 'true'}\n";

const DOWN: usize = 0;
const FETCH: usize = 1;
const LOAD: usize = 2;
const ROWS: usize = 3;

fn failed() -> Harness {
    let mut h = Harness::with_plan(PLAN, None, &[]);
    let d = h.start(None);
    let d = h.run(&d, DOWN, StepOutcome::Failed);
    assert!(spawns(&d).is_empty());
    assert_eq!(h.state.waiting(), Waiting::Failure(DOWN));
    h
}

#[test]
fn the_path_is_left_out_until_taken() {
    let h = Harness::with_plan(PLAN, None, &[]);
    let keys: Vec<&str> = h.state.steps.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "execute.down",
            "execute.down+restore.fetch",
            "execute.down+restore.load",
            "verify.rows"
        ]
    );
    assert!(!h.state.steps[FETCH].selected);
}

#[test]
fn taken_by_hand_it_replaces_the_failed_step_and_runs_before_the_next_phase() {
    let mut h = failed();
    let d = h.feed(Input::TakeAlternative {
        by: "bob".into(),
        alternative: "nope".into(),
        automatic: false,
    });
    assert!(d.refused.unwrap().contains("no alternative `nope`"));
    let d = h.feed(Input::TakeAlternative {
        by: "bob".into(),
        alternative: "restore".into(),
        automatic: false,
    });
    assert_eq!(
        d.events[0],
        Event::AlternativeTaken {
            step: "execute.down".into(),
            alternative: "restore".into(),
            title: "Restore from backup".into(),
            by: "bob".into(),
            automatic: false,
        }
    );
    assert_eq!(h.state.steps[DOWN].status, Status::Replaced);
    let d = h.run(&d, FETCH, StepOutcome::Ok);
    let d = h.run(&d, LOAD, StepOutcome::Ok);
    let d = h.run(&d, ROWS, StepOutcome::Ok);
    assert_eq!(kinds(&d.events).last(), Some(&"run_completed"));
}

#[test]
fn taken_automatically_it_is_recorded_as_such() {
    let mut h = failed();
    let d = h.feed(Input::TakeAlternative {
        by: "pipeline".into(),
        alternative: "restore".into(),
        automatic: true,
    });
    assert!(matches!(
        &d.events[0],
        Event::AlternativeTaken {
            automatic: true,
            ..
        }
    ));
    assert_eq!(spawns(&d), vec![(FETCH, 1)]);
    // A failing path is a failure like any other: no second alternative for its steps.
    let d = h.run(&d, FETCH, StepOutcome::Failed);
    assert!(spawns(&d).is_empty());
    assert_eq!(h.state.waiting(), Waiting::Failure(FETCH));
    let d = h.feed(Input::TakeAlternative {
        by: "pipeline".into(),
        alternative: "restore".into(),
        automatic: true,
    });
    assert!(d.refused.is_some());
}

#[test]
fn it_is_offered_only_for_a_step_that_failed_for_good() {
    let mut h = Harness::with_plan(PLAN, None, &[]);
    h.start(None);
    let d = h.feed(Input::TakeAlternative {
        by: "bob".into(),
        alternative: "restore".into(),
        automatic: false,
    });
    assert!(d.refused.is_some());
}

#[test]
fn a_phase_offers_its_alternatives_after_each_steps_own_and_in_each_region() {
    let text = "plan: a\ntitle: Alt\nlevel: 4\noperation: database\nautomation: full\nsla: 10m\n\
        regions: [eu, us]\nphases:\n  - id: execute\n    for_each: region\n    \
        alternatives:\n      - {id: page, title: Page the DBA, steps: [{id: call, manual: Called}]}\n    \
        steps:\n      - id: down\n        run: 'false'\n        \
        alternatives:\n          - {id: restore, title: Restore, steps: [{id: load, run: 'true'}]}\n";
    let h = Harness::with_plan(text, None, &[]);
    let keys: Vec<&str> = h.state.steps.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "execute.down@eu",
            "execute.down+restore.load@eu",
            "execute.down+page.call@eu",
            "execute.down@us",
            "execute.down+restore.load@us",
            "execute.down+page.call@us",
        ]
    );
    assert_eq!(h.state.alternatives_for(0), ["restore", "page"]);
    assert_eq!(h.state.steps[4].region.as_deref(), Some("us"));
}

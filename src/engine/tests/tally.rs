//! What the tally makes of a step's attempts: retries the plan made are failed attempts, not
//! failures for good; a step whose attempts ran out is failed whatever became of it, and
//! what became of it follows the run.

use super::*;
use crate::engine::tally::{Fate, Tally};

#[test]
fn a_retry_the_plan_made_is_a_failed_attempt_not_a_failure_for_good() {
    let mut h = Harness::new(Some("exec-only"));
    h.start(Some("exec-only"));
    let d = h.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    h.run(&d, UNDO, StepOutcome::Failed);
    let d = h.at(5, 0).feed(Input::Tick);
    h.run(&d, UNDO, StepOutcome::Ok);
    let t = Tally::of(&h.state);
    assert_eq!((t.attempts, t.failed_attempts, t.retries), (2, 1, 1));
    assert!(t.failures.is_empty());
    assert_eq!(
        t.lines(),
        [
            "1 step ok, 0 skipped, 0 failed",
            "1 of 2 attempts failed, 1 retry"
        ]
    );
}

#[test]
fn a_step_whose_attempts_ran_out_stays_failed_after_it_is_retried_to_ok() {
    let mut h = Harness::new(Some("exec-only"));
    h.start(Some("exec-only"));
    let mut d = h.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    for n in 0..3 {
        h.run(&d, UNDO, StepOutcome::Failed);
        d = h.at(5 * (n + 1), 0).feed(Input::Tick);
    }
    let t = Tally::of(&h.state);
    assert_eq!(t.failures.len(), 1);
    assert_eq!(t.failures[0].fate, Fate::Open);
    assert_eq!(
        t.lines()[2],
        "execute.undo failed for good: waiting for a decision"
    );
    let d = h.feed(Input::Retry { by: "alice".into() });
    h.run(&d, UNDO, StepOutcome::Ok);
    assert!(h.state.end.is_some(), "the run completed");
    let t = Tally::of(&h.state);
    assert_eq!((t.ok, t.failed_attempts, t.retries), (1, 3, 3));
    assert_eq!(t.failures[0].fate, Fate::Retried);
    assert_eq!(t.counts().retried, 1);
    assert_eq!(
        t.lines(),
        [
            "1 step ok, 0 skipped, 1 failed",
            "3 of 4 attempts failed, 3 retries",
            "execute.undo failed for good: retried, then ok"
        ]
    );
}

//! A run step by step: gates, retries, skips, aborts.

use super::*;

#[test]
fn a_run_goes_step_by_step_and_stops_at_every_gate() {
    let mut h = Harness::new(None);
    assert_eq!(h.state.waiting(), Waiting::NotStarted);
    let d = h.start(None);
    assert_eq!(kinds(&d.events), ["run_started"]);
    assert_eq!(notified(&d), [("run_started", "./notify.sh".to_string())]);
    assert_eq!(spawns(&d), [(SAVE, 1)]);

    let d = h.run(&d, SAVE, StepOutcome::Ok);
    assert!(d.effects.is_empty(), "a gate waits: {d:?}");
    assert_eq!(h.state.waiting(), Waiting::Approval(GO));
    assert!(h.feed(Input::Approve { by: "  ".into() }).refused.is_some());

    let d = h.feed(Input::Approve { by: "Bob".into() });
    assert_eq!(
        d.events,
        [Event::Approved {
            step: "decide.go".into(),
            by: "Bob".into()
        }]
    );
    assert_eq!(h.state.waiting(), Waiting::PointOfNoReturn(UNDO));
    assert!(
        d.effects.is_empty(),
        "nothing runs past the point of no return unconfirmed"
    );

    let d = h.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    assert_eq!(kinds(&d.events), ["point_of_no_return_confirmed"]);
    let d = h.run(&d, UNDO, StepOutcome::Ok);
    let d = h.run(&d, READY, StepOutcome::Ok);
    assert!(d.effects.is_empty());
    assert!(matches!(h.state.waiting(), Waiting::Manual(4)));
    let d = h.feed(Input::ConfirmManual {
        by: "alice".into(),
        note: Some(" error rate flat ".into()),
    });
    assert_eq!(kinds(&d.events), ["manual_confirmed", "run_completed"]);
    assert_eq!(notified(&d), [("run_completed", "./notify.sh".to_string())]);
    assert_eq!(h.state.steps[4].note.as_deref(), Some("error rate flat"));
    assert_eq!(h.state.waiting(), Waiting::Finished(Outcome::Completed));
}

#[test]
fn a_log_that_cannot_be_written_is_recorded_and_nothing_more_is_decided() {
    let mut h = Harness::new(Some("exec-only"));
    h.start(Some("exec-only"));
    let d = h.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    assert_eq!(spawns(&d), [(UNDO, 1)]);
    h.feed(Input::Spawned {
        step: UNDO,
        attempt: 1,
        pid: Some(100),
        pgid: Some(100),
        log: "output/undo.1.log".into(),
    });
    let mut r = report(StepOutcome::Failed);
    r.log_error = Some("writing the output log: No space left on device".into());
    let d = h.feed(Input::Exited {
        step: UNDO,
        attempt: 1,
        report: r,
    });
    assert_eq!(kinds(&d.events), ["step_finished"], "no retry is scheduled");
    assert!(spawns(&d).is_empty(), "nothing starts");
}

#[test]
fn failed_steps_retry_after_their_delay_then_ask_the_operator() {
    let mut h = Harness::new(Some("exec-only"));
    let d = h.start(Some("exec-only"));
    assert!(d.effects.iter().all(|e| !matches!(e, Effect::Spawn { .. })));
    let d = h.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });

    let d = h.run(&d, UNDO, StepOutcome::Failed);
    assert_eq!(kinds(&d.events), ["step_finished", "retry_scheduled"]);
    assert_eq!(
        h.state.waiting(),
        Waiting::Retry {
            step: UNDO,
            due_ms: 5_000
        }
    );

    let d = h.at(4, 999).feed(Input::Tick);
    assert!(
        d.events.is_empty() && d.effects.is_empty(),
        "not due at 4.999 s"
    );
    let d = h.at(5, 0).feed(Input::Tick);
    assert_eq!(spawns(&d), [(UNDO, 2)]);

    let d = h.run(&d, UNDO, StepOutcome::TimedOut);
    assert_eq!(kinds(&d.events), ["step_finished", "retry_scheduled"]);
    let d = h.at(10, 0).feed(Input::Tick);
    let d = h.run(&d, UNDO, StepOutcome::Failed);
    assert_eq!(kinds(&d.events), ["step_finished"], "3 attempts used");
    assert_eq!(h.state.waiting(), Waiting::Failure(UNDO));

    let d = h.feed(Input::Retry { by: "alice".into() });
    assert_eq!(kinds(&d.events), ["retry_requested"]);
    assert_eq!(
        spawns(&d),
        [(UNDO, 4)],
        "the operator may go past the plan's attempts"
    );
    let d = h.run(&d, UNDO, StepOutcome::Ok);
    assert_eq!(
        kinds(&d.events),
        ["step_finished", "run_completed"],
        "scenario: only execute"
    );
}

#[test]
fn skipping_needs_a_reason_and_moves_on() {
    let mut h = Harness::new(None);
    let d = h.start(None);
    h.run(&d, SAVE, StepOutcome::Ok);
    let d = h.feed(Input::Skip {
        by: "alice".into(),
        reason: " ".into(),
    });
    assert_eq!(d.refused.as_deref(), Some("say why the step is skipped"));
    let d = h.feed(Input::Skip {
        by: "alice".into(),
        reason: "approved on the bridge call".into(),
    });
    assert_eq!(kinds(&d.events), ["step_skipped"]);
    assert_eq!(h.state.waiting(), Waiting::PointOfNoReturn(UNDO));
}

#[test]
fn abort_before_the_point_of_no_return_just_stops() {
    let mut h = Harness::new(None);
    let d = h.start(None);
    h.feed(Input::Spawned {
        step: SAVE,
        attempt: 1,
        pid: Some(7),
        pgid: Some(7),
        log: "l".into(),
    });
    let _ = d;
    let d = h.feed(Input::Abort {
        by: "alice".into(),
        reason: "wrong plan".into(),
    });
    assert_eq!(d.effects.first(), Some(&Effect::Kill { step: SAVE }));
    assert_eq!(
        d.events,
        [Event::RunAborted {
            by: "alice".into(),
            reason: "wrong plan".into(),
            after_point_of_no_return: false
        }]
    );
    assert_eq!(notified(&d), [("run_aborted", "./notify.sh".to_string())]);
    // The killed command still reports, and is recorded after the abort.
    let d = h.feed(Input::Exited {
        step: SAVE,
        attempt: 1,
        report: report(StepOutcome::Killed),
    });
    assert_eq!(kinds(&d.events), ["step_finished"]);
    assert!(d.effects.is_empty());
    assert_eq!(h.state.waiting(), Waiting::Finished(Outcome::Aborted));
    assert!(
        h.feed(Input::Abort {
            by: "a".into(),
            reason: "again".into()
        })
        .refused
        .is_some()
    );
}

#[test]
fn abort_after_the_point_of_no_return_escalates() {
    let mut h = Harness::new(Some("exec-only"));
    h.start(Some("exec-only"));
    h.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    let d = h.feed(Input::Abort {
        by: "alice".into(),
        reason: "undo hangs".into(),
    });
    assert_eq!(kinds(&d.events), ["escalation_raised", "run_aborted"]);
    assert_eq!(
        d.events[0],
        Event::EscalationRaised {
            level: 2,
            action: "Engage senior SRE".into(),
            reason: Some("aborted after the point of no return".into())
        }
    );
    assert!(matches!(
        d.events[1],
        Event::RunAborted {
            after_point_of_no_return: true,
            ..
        }
    ));
    assert_eq!(
        notified(&d),
        [
            ("escalation_raised", "./page.sh".to_string()),
            ("run_aborted", "./notify.sh".to_string())
        ]
    );
}

//! Runs that stop before the end: resume after a crash, leaving, headless failure.

use super::*;

#[test]
fn resume_marks_the_unfinished_step_interrupted_and_reruns_only_on_request() {
    let mut h = Harness::new(None);
    let d = h.start(None);
    let d = h.run(&d, SAVE, StepOutcome::Ok);
    let _ = d;
    h.feed(Input::Approve { by: "bob".into() });
    h.feed(Input::ConfirmPointOfNoReturn { by: "alice".into() });
    h.feed(Input::Spawned {
        step: UNDO,
        attempt: 1,
        pid: Some(9),
        pgid: Some(9),
        log: "l".into(),
    });

    // The process died here. A replay of what was recorded gives the same state.
    let mut replay = RunState::new(&h.plan, None);
    for (seq, e) in h.log.iter().enumerate() {
        replay.apply(&Stamped {
            seq: seq as u64,
            mode: Mode::Drill,
            ts_ms: T0,
            operator: "alice".into(),
            event: e.clone(),
        });
    }
    assert_eq!(replay.waiting(), Waiting::Running(UNDO));

    h.state = replay;
    let d = h.at(60, 0).feed(Input::Resume {
        host: "h".into(),
        pid: 2,
        forced: false,
        plan_sha256: "00".into(),
        unrecorded: vec![],
        orphans: vec![(UNDO, 9)],
    });
    assert_eq!(
        kinds(&d.events),
        ["run_resumed", "step_interrupted", "orphan_found"]
    );
    assert_eq!(
        h.state.waiting(),
        Waiting::Orphan {
            step: UNDO,
            pgid: 9
        }
    );
    assert!(d.effects.is_empty());

    let d = h.feed(Input::KillOrphan { by: "ana".into() });
    assert_eq!(
        d.effects,
        [Effect::KillGroup {
            step: UNDO,
            pgid: 9
        }]
    );
    let d = h.feed(Input::OrphanGone {
        step: UNDO,
        pgid: 9,
        killed: true,
    });
    assert_eq!(kinds(&d.events), ["orphan_gone"]);
    assert_eq!(h.state.waiting(), Waiting::Interrupted(UNDO));
    assert!(d.effects.is_empty(), "never rerun silently");
    let d = h.feed(Input::Retry { by: "alice".into() });
    assert_eq!(spawns(&d), [(UNDO, 2)]);
}

#[test]
fn leaving_can_keep_or_terminate_the_running_step() {
    let mut h = Harness::new(None);
    h.start(None);
    h.feed(Input::Spawned {
        step: SAVE,
        attempt: 1,
        pid: Some(7),
        pgid: Some(7),
        log: "l".into(),
    });
    let d = h.feed(Input::Leave {
        reason: "shift change".into(),
        terminate: false,
    });
    assert!(d.effects.is_empty());
    assert_eq!(
        d.events,
        [Event::OperatorLeft {
            reason: "shift change".into(),
            running: Some("capture.save".into())
        }]
    );
    let d = h.feed(Input::Leave {
        reason: "quit".into(),
        terminate: true,
    });
    assert_eq!(d.effects, [Effect::Kill { step: SAVE }]);
    let d = h.feed(Input::Exited {
        step: SAVE,
        attempt: 1,
        report: report(StepOutcome::Killed),
    });
    assert_eq!(
        kinds(&d.events),
        ["step_finished"],
        "a killed step is not retried by itself"
    );
    assert_eq!(h.state.waiting(), Waiting::Failure(SAVE));
}

#[test]
fn headless_failure_and_refusals() {
    let mut h = Harness::new(None);
    assert!(
        h.feed(Input::Approve { by: "x".into() }).refused.is_some(),
        "not started"
    );
    h.start(None);
    assert!(h.start(None).refused.is_some());
    assert!(
        h.feed(Input::ConfirmManual {
            by: "x".into(),
            note: None
        })
        .refused
        .is_some()
    );
    assert!(
        h.feed(Input::Note {
            by: "x".into(),
            text: "".into()
        })
        .refused
        .is_some()
    );
    let d = h.feed(Input::Note {
        by: "x".into(),
        text: "db team joined".into(),
    });
    assert_eq!(kinds(&d.events), ["note"]);
    let d = h.feed(Input::Fail {
        reason: "no operator for the approval gate".into(),
    });
    assert_eq!(kinds(&d.events), ["run_failed"]);
    assert_eq!(h.state.waiting(), Waiting::Finished(Outcome::Failed));
    let d = h.at(400, 0).feed(Input::Tick);
    assert!(d.events.is_empty(), "no escalation after the end");
}

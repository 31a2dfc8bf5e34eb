//! Engine tables: inputs in, events and effects out, with a manual clock and no I/O.

use super::decide::{Decision, Effect, ExitReport, Input, decide};
use super::event::{Event, Mode, RunInfo, Stamped, StepOutcome, Trigger};
use super::state::{Outcome, RunState, Waiting};
use crate::plan::{Plan, load::parse_str};

const PLAN: &str = "plan: t\ntitle: Test\nlevel: 3\noperation: application\nautomation: semi\nsla: 10m\n\
notify: ./notify.sh\nescalation:\n  - {after: 5m, level: 2, action: Engage senior SRE, notify: ./page.sh}\n  \
- {after: 15m, level: 3, action: Engage CTO/VP}\n  - {after: 30m, level: 4, action: Full incident response}\n\
scenarios:\n  exec-only: {phases: [execute]}\n\
phases:\n  - id: capture\n    steps:\n      - {id: save, run: 'true', timeout: 10s}\n  \
- id: decide\n    kind: prepare\n    steps:\n      - {id: go, approve: Go?}\n  \
- id: execute\n    point_of_no_return: true\n    steps:\n      \
- {id: undo, run: 'true', timeout: 10s, retry: {attempts: 3, delay: 5s}}\n  \
- id: verify\n    steps:\n      - {id: ready, check: 'true', timeout: 10s}\n      - {id: look, manual: Looks fine}\n";

const T0: i64 = 1_800_000_000_000;
const SAVE: usize = 0;
const GO: usize = 1;
const UNDO: usize = 2;
const READY: usize = 3;

struct Harness {
    plan: Plan,
    state: RunState,
    now: i64,
    log: Vec<Event>,
}

impl Harness {
    fn new(scenario: Option<&str>) -> Harness {
        let plan = parse_str(PLAN).expect("test plan parses");
        let state = RunState::new(&plan, scenario);
        Harness {
            plan,
            state,
            now: T0,
            log: Vec::new(),
        }
    }

    /// Decides and applies, as the shell does (minus the journal).
    fn feed(&mut self, input: Input) -> Decision {
        let d = decide(&self.plan, &self.state, input, self.now, "alice");
        for e in &d.events {
            let seq = self.state.last_seq.map_or(0, |s| s + 1);
            self.state.apply(&Stamped {
                seq,
                mode: Mode::Drill,
                ts_ms: self.now,
                operator: "alice".into(),
                event: e.clone(),
            });
            self.log.push(e.clone());
        }
        d
    }

    fn start(&mut self, scenario: Option<&str>) -> Decision {
        self.feed(Input::Start(
            Box::new(RunInfo {
                run_id: "2027-01-15T08-00-00Z-t".into(),
                plan: "t".into(),
                title: "Test".into(),
                plan_sha256: "00".into(),
                level: 3,
                sla_ms: 600_000,
                scenario: scenario.map(str::to_string),
                vars: vec![],
                trigger: Trigger::Manual,
                plan_path: "t.yaml".into(),
                host: "h".into(),
                pid: 1,
                version: "test".into(),
            }),
            Mode::Drill,
        ))
    }

    fn at(&mut self, secs: i64, ms: i64) -> &mut Self {
        self.now = T0 + secs * 1000 + ms;
        self
    }

    /// Plays the runner: the spawn the engine asked for, then its end.
    fn run(&mut self, d: &Decision, step: usize, outcome: StepOutcome) -> Decision {
        let attempt = match spawns(d).as_slice() {
            [(s, a)] if *s == step => *a,
            other => panic!("expected a spawn of step {step}, got {other:?} in {d:?}"),
        };
        self.feed(Input::Spawned {
            step,
            attempt,
            pid: Some(100),
            pgid: Some(100),
            log: format!("output/{step}.{attempt}.log"),
        });
        self.feed(Input::Exited {
            step,
            attempt,
            report: report(outcome),
        })
    }
}

fn report(outcome: StepOutcome) -> ExitReport {
    ExitReport {
        outcome,
        exit_code: Some(if outcome == StepOutcome::Ok { 0 } else { 1 }),
        signal: None,
        duration_ms: 10,
        lines: 1,
        bytes: 3,
        sha256: "ab".into(),
        error: None,
    }
}

fn spawns(d: &Decision) -> Vec<(usize, u32)> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Spawn { step, attempt } => Some((*step, *attempt)),
            _ => None,
        })
        .collect()
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::kind).collect()
}

fn notified(d: &Decision) -> Vec<(&'static str, String)> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify { on, command, .. } => Some((*on, command.clone())),
            _ => None,
        })
        .collect()
}

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

#[test]
fn escalation_rises_at_5_15_and_30_minutes_once_each() {
    let mut h = Harness::new(None);
    h.start(None);
    let table: [(i64, i64, &[&str]); 8] = [
        (299, 999, &[]),
        (300, 0, &["escalation_raised"]),
        (301, 0, &[]),
        (600, 0, &["sla_breached"]),
        (899, 999, &[]),
        (900, 0, &["escalation_raised"]),
        (1800, 0, &["escalation_raised"]),
        (3600, 0, &[]),
    ];
    for (s, ms, want) in table {
        let d = h.at(s, ms).feed(Input::Tick);
        assert_eq!(kinds(&d.events), want, "at {s}.{ms:03}s");
    }
    let levels: Vec<u8> = h
        .log
        .iter()
        .filter_map(|e| match e {
            Event::EscalationRaised { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(levels, [2, 3, 4]);
    assert_eq!(h.state.escalation_action, "Full incident response");
}

#[test]
fn a_late_tick_raises_every_rung_it_passed_and_notifies_each() {
    let mut h = Harness::new(None);
    h.start(None);
    let d = h.at(1900, 0).feed(Input::Tick);
    assert_eq!(
        kinds(&d.events),
        [
            "escalation_raised",
            "escalation_raised",
            "escalation_raised",
            "sla_breached"
        ]
    );
    let on: Vec<String> = notified(&d).into_iter().map(|(_, c)| c).collect();
    assert_eq!(
        on,
        ["./page.sh", "./notify.sh", "./notify.sh", "./notify.sh"]
    );
    let payload = d
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Notify {
                on: "escalation_raised",
                payload,
                ..
            } => Some(payload.clone()),
            _ => None,
        })
        .expect("a payload");
    assert_eq!(payload["dedup_key"], "2027-01-15T08-00-00Z-t");
    assert_eq!(payload["level"], 2);
    assert_eq!(payload["action"], "Engage senior SRE");
    assert_eq!(payload["operator"], "alice");
    assert_eq!(payload["elapsed_s"], 1900);
}

#[test]
fn escalations_wait_for_acknowledgement() {
    let mut h = Harness::new(None);
    h.start(None);
    assert!(
        h.feed(Input::Acknowledge { by: "alice".into() })
            .refused
            .is_some()
    );
    h.at(300, 0).feed(Input::Tick);
    assert_eq!(h.state.unacknowledged(), Some(2));
    let d = h.feed(Input::Acknowledge { by: "alice".into() });
    assert_eq!(
        d.events,
        [Event::EscalationAcknowledged {
            level: 2,
            by: "alice".into()
        }]
    );
    assert_eq!(h.state.unacknowledged(), None);
}

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

    let d = h.feed(Input::KillOrphan);
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

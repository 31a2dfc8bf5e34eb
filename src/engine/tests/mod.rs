//! Engine tables: inputs in, events and effects out, with a manual clock and no I/O.
//! This file holds the plan and the harness; the tables are in the modules below.

mod alternatives;
mod clock;
mod flow;
mod lanes;
mod stops;
mod tally;

use super::decide::{Decision, Effect, ExitReport, Input, decide, decide_in_place};
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
        Harness::with_plan(PLAN, scenario, &[])
    }

    /// A harness over another plan, for a run over the `regions` chosen at its start.
    fn with_plan(text: &str, scenario: Option<&str>, regions: &[&str]) -> Harness {
        let plan = parse_str(text).expect("test plan parses");
        let regions: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
        let state = RunState::for_run(&plan, scenario, &regions);
        Harness {
            plan,
            state,
            now: T0,
            log: Vec::new(),
        }
    }

    /// Decides and applies, as the shell does (minus the journal). Every input is also
    /// decided in place, which must decide the same and leave the state exactly as it was.
    fn feed(&mut self, input: Input) -> Decision {
        let mut scratch = self.state.clone();
        let in_place = decide_in_place(&self.plan, &mut scratch, input.clone(), self.now, "alice");
        assert_eq!(
            scratch, self.state,
            "deciding in place left the state changed"
        );
        let d = decide(&self.plan, &self.state, input, self.now, "alice");
        assert_eq!(in_place, d, "deciding in place decided otherwise");
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
            self.check_shortcuts();
        }
        d
    }

    /// The state's kept answers agree with a look at every step.
    fn check_shortcuts(&self) {
        let steps = &self.state.steps;
        let cursor = steps.iter().position(|s| s.selected && !s.status.settled());
        let running = steps
            .iter()
            .position(|s| s.status == super::state::Status::Running);
        assert_eq!(self.state.cursor(), cursor);
        assert_eq!(self.state.running(), running);
    }

    fn start(&mut self, scenario: Option<&str>) -> Decision {
        self.feed(Input::Start(
            Box::new(RunInfo {
                run_id: "2027-01-15T08-00-00Z-t".into(),
                plan: "t".into(),
                title: "Test".into(),
                team: None,
                plan_sha256: "00".into(),
                level: 3,
                sla_ms: 600_000,
                scenario: scenario.map(str::to_string),
                regions: vec![],
                vars: vec![],
                var_sources: vec![],
                trigger: Trigger::Manual,
                fired: None,
                plan_path: "t.yaml".into(),
                host: "h".into(),
                pid: 1,
                version: "test".into(),
                rehearsal: None,
                drill: None,
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
        dropped: 0,
        error: None,
        log_error: None,
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

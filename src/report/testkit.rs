//! Test driver for reports: the real engine (`decide` + `apply`) and the real journal (into
//! a discarding sink), with a clock that moves only when told. No sleeps, no files.

use std::io;

use crate::engine::Record;
use crate::engine::decide::{Decision, ExitReport, Input, decide};
use crate::engine::selection::regions_in_run;
use crate::engine::sla::run_sla_ms;
use crate::engine::{Mode, RunInfo, RunState, StepOutcome, Trigger, Waiting};
use crate::plan::{Plan, load::parse_str};
use crate::timeline::RunDir;
use crate::timeline::journal::{Journal, Sink};

pub const T0: i64 = 1_800_000_000_000;

struct Discard;

impl Sink for Discard {
    fn put(&mut self, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub struct Drive {
    pub plan: Plan,
    pub state: RunState,
    pub now: i64,
    pub records: Vec<Record>,
    pub operator: String,
    fired: Option<Box<crate::engine::FiredTrigger>>,
    journal: Journal,
}

impl Drive {
    pub fn new(plan_text: &str, scenario: Option<&str>) -> Drive {
        let plan = parse_str(plan_text).expect("test plan parses");
        let state = RunState::new(&plan, scenario);
        Drive {
            plan,
            state,
            now: T0,
            records: Vec::new(),
            operator: "alice".into(),
            fired: None,
            journal: Journal::with_sink(Box::new(Discard), &[]),
        }
    }

    pub fn start(&mut self, mode: Mode, scenario: Option<&str>) -> &mut Self {
        self.start_with(mode, scenario, None)
    }

    /// A drill on a clock `speed` times faster, its trainee the operator.
    pub fn start_drill(&mut self, speed: f64) -> &mut Self {
        self.start_fired_drill(speed, None)
    }

    /// A drill a trigger started, as its watch records it in `run_started`.
    pub fn start_fired_drill(
        &mut self,
        speed: f64,
        fired: Option<crate::engine::FiredTrigger>,
    ) -> &mut Self {
        self.fired = fired.map(Box::new);
        let drill = crate::engine::event::DrillInfo {
            speed,
            exercise: Some("lock".into()),
            trainee: self.operator.clone(),
            fail: vec![],
            slow: vec![],
            orphan: None,
        };
        self.start_with(Mode::Drill, None, Some(Box::new(drill)))
    }

    fn start_with(
        &mut self,
        mode: Mode,
        scenario: Option<&str>,
        drill: Option<Box<crate::engine::event::DrillInfo>>,
    ) -> &mut Self {
        let regions = regions_in_run(&self.plan, scenario);
        let info = RunInfo {
            run_id: format!("2027-01-15T08-00-00Z-{}", self.plan.plan.value),
            plan: self.plan.plan.value.clone(),
            title: self.plan.title.value.clone(),
            team: None,
            plan_sha256: "00".into(),
            level: *self.plan.level,
            sla_ms: run_sla_ms(&self.plan, regions),
            scenario: scenario.map(str::to_string),
            regions: vec![],
            vars: vec![("revision".into(), "41".into())],
            var_sources: vec![],
            trigger: Trigger::Manual,
            fired: self.fired.take(),
            plan_path: "plan.yaml".into(),
            host: "bastion".into(),
            pid: 1,
            version: "test".into(),
            rehearsal: None,
            drill,
        };
        self.feed(Input::Start(Box::new(info), mode));
        self
    }

    /// Decides and records, as the shell does; a refusal is a test bug.
    pub fn feed(&mut self, input: Input) -> Decision {
        let mode = match &input {
            Input::Start(_, mode) => *mode,
            _ => self.state.mode,
        };
        let d = decide(&self.plan, &self.state, input, self.now, &self.operator);
        assert!(d.refused.is_none(), "refused: {:?}", d.refused);
        for e in &d.events {
            let elapsed = if self.state.info.is_some() {
                self.state.elapsed_ms(self.now)
            } else {
                0
            };
            let r = self
                .journal
                .append(self.now, elapsed, mode, &self.operator, e.clone())
                .expect("the discarding journal never fails");
            self.state.apply(&r.stamped());
            self.records.push(r);
        }
        d
    }

    pub fn at(&mut self, secs: i64) -> &mut Self {
        self.now = T0 + secs * 1000;
        self.feed(Input::Tick);
        self
    }

    pub fn as_operator(&mut self, name: &str) -> &mut Self {
        self.operator = name.into();
        self
    }

    /// Starts the command the run is ready for and ends it `secs` later with `outcome`.
    pub fn command(&mut self, outcome: StepOutcome, secs: i64) -> &mut Self {
        let step = match self.state.waiting() {
            Waiting::Ready(i) => i,
            Waiting::Retry { step, due_ms } => {
                self.now = self.now.max(self.state.started_ms + due_ms as i64);
                self.feed(Input::Tick);
                step
            }
            w => panic!("no command is ready: {w:?}"),
        };
        let attempt = self.state.steps[step].attempts_used() + 1;
        let key = self.state.steps[step].key.clone();
        self.feed(Input::Spawned {
            step,
            attempt,
            pid: Some(4242),
            pgid: Some(4242),
            log: RunDir::log_name(&key, attempt),
        });
        self.now += secs * 1000;
        let ok = outcome == StepOutcome::Ok;
        self.feed(Input::Exited {
            step,
            attempt,
            report: ExitReport {
                outcome,
                exit_code: Some(if ok { 0 } else { 1 }),
                signal: None,
                duration_ms: (secs * 1000) as u64,
                lines: if ok { 3 } else { 1 },
                bytes: 42,
                sha256: "ab".repeat(32),
                dropped: 0,
                error: None,
                log_error: None,
            },
        });
        self
    }

    /// Plays every remaining step as a person would with everything going well, a few
    /// seconds apart, until the run ends.
    pub fn all_ok(&mut self) -> &mut Self {
        for _ in 0..10_000 {
            let who = self.operator.clone();
            match self.state.waiting() {
                Waiting::Finished(_) => return self,
                Waiting::Ready(_) | Waiting::Retry { .. } => {
                    self.command(StepOutcome::Ok, 2);
                }
                Waiting::PointOfNoReturn(_) => {
                    self.feed(Input::ConfirmPointOfNoReturn { by: who });
                }
                Waiting::Approval(_) => {
                    self.feed(Input::Approve { by: who });
                }
                Waiting::Manual(_) => {
                    self.feed(Input::ConfirmManual {
                        by: who,
                        note: None,
                    });
                }
                w => panic!("all_ok cannot continue from {w:?}"),
            }
            self.now += 3_000;
        }
        panic!("the run did not end");
    }
}

//! The run's state: a fold over its events. Built from the plan (what is to be done) and
//! then changed only by `apply`, so a replay of the timeline gives back the same state.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::event::{Mode, RunInfo, Stamped};
use super::expand::{Expanded, PhaseRule, expand};
pub use super::lanes::RegionClock;
pub use super::step::{Attempt, AttemptEnd, Status, StepState};
use super::undo::Undo;
pub use super::waiting::{End, Outcome, Waiting};
use crate::plan::Plan;

#[derive(Debug, Clone, PartialEq)]
pub struct RunState {
    pub info: Option<RunInfo>,
    pub mode: Mode,
    /// Who started the run.
    pub operator: String,
    pub started_ms: i64,
    /// Changed only by `apply`: the kept answers below follow it there.
    pub steps: Vec<StepState>,
    /// Step keys to indexes; fixed by the plan, so shared by every copy of the state.
    pub(super) index: Arc<HashMap<String, usize>>,
    /// How each phase treats regions; fixed by the plan.
    pub rules: Arc<Vec<PhaseRule>>,
    /// The run's regions, in order, each with its own clock.
    pub regions: Vec<RegionClock>,
    /// Every selected step before this index is settled: `cursor` looks from here.
    pub(super) first_open: usize,
    /// Steps whose status is `Running`, so `running` need not look at every step.
    pub(super) running: BTreeSet<usize>,
    /// Highest escalation level raised (1 until the first rung).
    pub escalation: u8,
    pub escalation_action: String,
    pub escalations: Vec<(u8, i64)>,
    pub acknowledged: u8,
    pub sla_breached: bool,
    pub ponr_passed: Option<(String, String, i64)>,
    /// Interrupted steps whose process group is still alive.
    pub orphans: BTreeMap<usize, i32>,
    /// Alternative paths taken so far (each adds steps to the run).
    pub paths_taken: u32,
    pub end: Option<End>,
    pub left: bool,
    pub resumes: u32,
    pub last_seq: Option<u64>,
    pub last_ts_ms: i64,
}

impl RunState {
    /// The state before any event: every step of the plan pending.
    pub fn new(plan: &Plan, scenario: Option<&str>) -> RunState {
        RunState::for_run(plan, scenario, &[])
    }

    /// The state before any event of a run over the `regions` chosen at its start (all of the
    /// run's when empty): the plan unrolled into lanes and alternative paths.
    pub fn for_run(plan: &Plan, scenario: Option<&str>, regions: &[String]) -> RunState {
        let Expanded {
            steps,
            rules,
            regions,
        } = expand(plan, scenario, regions);
        let index = Arc::new(
            steps
                .iter()
                .enumerate()
                .map(|(i, s)| (s.key.clone(), i))
                .collect(),
        );
        let mut state = RunState {
            info: None,
            mode: Mode::Live,
            operator: String::new(),
            started_ms: 0,
            steps,
            index,
            rules: Arc::new(rules),
            regions: regions.into_iter().map(RegionClock::new).collect(),
            first_open: 0,
            running: BTreeSet::new(),
            escalation: 1,
            escalation_action: crate::plan::levels::LEVEL_1_ACTION.to_string(),
            escalations: Vec::new(),
            acknowledged: 1,
            sla_breached: false,
            ponr_passed: None,
            orphans: BTreeMap::new(),
            paths_taken: 0,
            end: None,
            left: false,
            resumes: 0,
            last_seq: None,
            last_ts_ms: 0,
        };
        state.moved(0);
        state
    }

    pub fn step_index(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Time since the start on the run's clock: the drill clock in a drill (scaled by its
    /// speed), real time otherwise. The SLA and the escalation ladder read this.
    pub fn elapsed_ms(&self, now_ms: i64) -> u64 {
        self.on_clock(self.real_elapsed_ms(now_ms))
    }

    /// A real span of time as the run's clock counts it (`speed` times longer in a drill).
    pub fn on_clock(&self, real_ms: u64) -> u64 {
        super::clock::drill_ms(real_ms, self.speed())
    }

    /// Real time since the start.
    pub fn real_elapsed_ms(&self, now_ms: i64) -> u64 {
        u64::try_from(now_ms - self.started_ms).unwrap_or(0)
    }

    /// The run clock's factor: 1 but in a drill with `--speed`.
    pub fn speed(&self) -> f64 {
        self.info.as_ref().map_or(1.0, |i| i.speed())
    }

    /// The real time at which the run's clock reads `elapsed_ms`.
    pub fn real_at(&self, elapsed_ms: u64) -> i64 {
        let real = super::clock::real_ms(elapsed_ms, self.speed());
        self.started_ms
            .saturating_add(i64::try_from(real).unwrap_or(i64::MAX))
    }

    pub fn sla_ms(&self) -> u64 {
        self.info.as_ref().map(|i| i.sla_ms).unwrap_or(0)
    }

    /// The first selected step that is not settled.
    pub fn cursor(&self) -> Option<usize> {
        let from = self.first_open.min(self.steps.len());
        self.steps[from..]
            .iter()
            .position(|s| s.selected && !s.status.settled())
            .map(|i| i + from)
    }

    /// The first step whose command is running.
    pub fn running(&self) -> Option<usize> {
        self.running.first().copied()
    }

    /// Every step whose command is running (one per lane at most).
    pub fn running_steps(&self) -> impl Iterator<Item = usize> + '_ {
        self.running.iter().copied()
    }

    /// Keeps `first_open` and `running` true after step `i`'s status changed. Each input
    /// costs the same whatever the plan's size: no look at every step.
    pub(super) fn moved(&mut self, i: usize) {
        let Some(s) = self.steps.get(i) else { return };
        if s.status == Status::Running {
            self.running.insert(i);
        } else {
            self.running.remove(&i);
        }
        if s.selected && !s.status.settled() {
            self.first_open = self.first_open.min(i);
        }
        while self
            .steps
            .get(self.first_open)
            .is_some_and(|s| !s.selected || s.status.settled())
        {
            self.first_open += 1;
        }
    }

    /// An escalation raised and not yet acknowledged.
    pub fn unacknowledged(&self) -> Option<u8> {
        (self.escalation > self.acknowledged).then_some(self.escalation)
    }

    pub fn waiting(&self) -> Waiting {
        if let Some(end) = &self.end {
            return Waiting::Finished(end.outcome);
        }
        if self.info.is_none() {
            return Waiting::NotStarted;
        }
        if let Some((&step, &pgid)) = self.orphans.iter().next() {
            return Waiting::Orphan { step, pgid };
        }
        let Some(i) = self.cursor() else {
            return match self.running() {
                Some(i) => Waiting::Running(i),
                None => Waiting::AllDone,
            };
        };
        if self.steps[i].lane.is_some() {
            return self.lane_waiting(i);
        }
        if let Some(i) = self.running() {
            return Waiting::Running(i);
        }
        self.question(i)
    }

    /// The next automatic attempt due first, if any: (step, elapsed ms). Only the step the
    /// run is on can wait for one, or in a lane phase the steps of that phase.
    pub fn retry_due(&self) -> Option<(usize, u64)> {
        let first = self.steps.get(self.first_open)?;
        let (phase, lanes) = (first.phase, first.lane.is_some());
        self.steps
            .iter()
            .enumerate()
            .skip(self.first_open)
            .take_while(|(i, s)| s.phase == phase && (lanes || *i == self.first_open))
            .filter_map(|(i, s)| s.retry_due_ms.map(|d| (i, d)))
            .min_by_key(|(_, d)| *d)
    }

    /// Applies one recorded event. Unknown steps are ignored: a timeline is replayed
    /// against the plan copy it was written with.
    pub fn apply(&mut self, s: &Stamped) {
        self.apply_saving(s, None);
    }

    /// `apply`, first keeping in `undo` what it changes, so that `restore` can put the state
    /// back as it was: a decision tries events out without copying every step.
    pub fn apply_undoable(&mut self, s: &Stamped, undo: &mut Undo) {
        self.apply_saving(s, Some(undo));
    }

    pub(super) fn step_mut(&mut self, key: &str) -> Option<&mut StepState> {
        let i = self.step_index(key)?;
        self.steps.get_mut(i)
    }
}

//! The run's state: a fold over its events. Built from the plan (what is to be done) and
//! then changed only by `apply`, so a replay of the timeline gives back the same state.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::event::{Event, Mode, RunInfo, Stamped, StepOutcome};
use super::selection::selected_steps;
pub use super::step::{Attempt, AttemptEnd, Status, StepState};
use super::undo::Undo;
pub use super::waiting::{End, Outcome, Waiting};
use crate::plan::{Plan, StepKind};

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
    pub retry_due: Option<(usize, u64)>,
    pub orphan: Option<(usize, i32)>,
    pub end: Option<End>,
    pub left: bool,
    pub resumes: u32,
    pub last_seq: Option<u64>,
    pub last_ts_ms: i64,
}

impl RunState {
    /// The state before any event: every step of the plan pending.
    pub fn new(plan: &Plan, scenario: Option<&str>) -> RunState {
        let selected = selected_steps(plan, scenario);
        let mut steps = Vec::new();
        for (pi, phase) in plan.phases.iter().enumerate() {
            let mut first_selected_in_phase = true;
            for step in phase.steps.iter() {
                let i = steps.len();
                let is_selected = selected.get(i).copied().unwrap_or(false);
                let ponr = step.point_of_no_return.set
                    || (phase.point_of_no_return.set && is_selected && first_selected_in_phase);
                if is_selected {
                    first_selected_in_phase = false;
                }
                steps.push(StepState {
                    key: format!("{}.{}", phase.id.value, step.id.value),
                    phase: pi,
                    kind: step.kind(),
                    selected: is_selected,
                    attempts_allowed: step.attempts(),
                    retry_delay_ms: step
                        .retry
                        .as_ref()
                        .and_then(|r| r.delay.as_ref())
                        .map(|d| d.as_millis())
                        .unwrap_or(0),
                    point_of_no_return: ponr,
                    status: Status::Pending,
                    attempts: Vec::new(),
                    approved_by: None,
                    confirmed_by: None,
                    note: None,
                    skipped: None,
                    retry_requested: false,
                    current_since_ms: None,
                    ended_ms: None,
                });
            }
        }
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
            first_open: 0,
            running: BTreeSet::new(),
            escalation: 1,
            escalation_action: crate::plan::levels::LEVEL_1_ACTION.to_string(),
            escalations: Vec::new(),
            acknowledged: 1,
            sla_breached: false,
            ponr_passed: None,
            retry_due: None,
            orphan: None,
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
        super::clock::drill_ms(self.real_elapsed_ms(now_ms), self.speed())
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

    /// Keeps `first_open` and `running` true after step `i`'s status changed. Each input
    /// costs the same whatever the plan's size: no look at every step.
    fn moved(&mut self, i: usize) {
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
        if let Some((step, pgid)) = self.orphan {
            return Waiting::Orphan { step, pgid };
        }
        if let Some(i) = self.running() {
            return Waiting::Running(i);
        }
        let Some(i) = self.cursor() else {
            return Waiting::AllDone;
        };
        let s = &self.steps[i];
        match s.status {
            Status::Interrupted if !s.retry_requested => Waiting::Interrupted(i),
            Status::Failed if s.retry_requested => Waiting::Ready(i),
            Status::Failed => match self.retry_due {
                Some((step, due_ms)) if step == i => Waiting::Retry { step, due_ms },
                _ => Waiting::Failure(i),
            },
            _ if s.point_of_no_return && s.attempts.is_empty() && s.confirmed_by.is_none() => {
                Waiting::PointOfNoReturn(i)
            }
            _ => match s.kind {
                StepKind::Approve => Waiting::Approval(i),
                StepKind::Manual => Waiting::Manual(i),
                StepKind::Run | StepKind::Check => Waiting::Ready(i),
            },
        }
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

    fn apply_saving(&mut self, s: &Stamped, mut undo: Option<&mut Undo>) {
        let touched = s.event.step().and_then(|k| self.step_index(k));
        if let Some(u) = undo.as_deref_mut() {
            u.save(self, touched);
        }
        self.last_seq = Some(s.seq);
        self.mode = s.mode;
        self.last_ts_ms = s.ts_ms;
        let before = self.info.as_ref().and(self.cursor());
        match &s.event {
            Event::RunStarted(info) => {
                self.operator = s.operator.clone();
                self.info = Some(info.clone());
                self.started_ms = s.ts_ms;
            }
            Event::StepStarted {
                step,
                attempt,
                pid,
                pgid,
                log,
            } => {
                if let Some(st) = self.step_mut(step) {
                    st.status = Status::Running;
                    st.retry_requested = false;
                    st.attempts.push(Attempt {
                        n: *attempt,
                        started_ms: s.ts_ms,
                        pid: *pid,
                        pgid: *pgid,
                        log: log.clone(),
                        end: None,
                    });
                }
                if self
                    .retry_due
                    .is_some_and(|(i, _)| Some(i) == self.step_index(step))
                {
                    self.retry_due = None;
                }
            }
            Event::StepFinished {
                step,
                attempt,
                outcome,
                exit_code,
                signal,
                duration_ms,
                lines,
                bytes,
                sha256,
                dropped,
                error,
                log_error,
            } => {
                if let Some(st) = self.step_mut(step) {
                    let end = AttemptEnd {
                        outcome: *outcome,
                        exit_code: *exit_code,
                        signal: *signal,
                        duration_ms: *duration_ms,
                        lines: *lines,
                        bytes: *bytes,
                        sha256: sha256.clone(),
                        dropped: *dropped,
                        error: error.clone(),
                        log_error: log_error.clone(),
                    };
                    if let Some(a) = st.attempts.iter_mut().rev().find(|a| a.n == *attempt) {
                        a.end = Some(end);
                    }
                    st.status = if *outcome == StepOutcome::Ok {
                        Status::Ok
                    } else {
                        Status::Failed
                    };
                    st.ended_ms = Some(s.ts_ms);
                }
            }
            Event::RetryScheduled { step, due_ms, .. } => {
                self.retry_due = self.step_index(step).map(|i| (i, *due_ms));
            }
            Event::RetryRequested { step, .. } => {
                if let Some(st) = self.step_mut(step) {
                    st.retry_requested = true;
                }
            }
            Event::Approved { step, by } => {
                if let Some(st) = self.step_mut(step) {
                    st.status = Status::Ok;
                    st.approved_by = Some(by.clone());
                    st.ended_ms = Some(s.ts_ms);
                }
            }
            Event::ManualConfirmed { step, by, note } => {
                if let Some(st) = self.step_mut(step) {
                    st.status = Status::Ok;
                    st.approved_by = Some(by.clone());
                    st.note = note.clone();
                    st.ended_ms = Some(s.ts_ms);
                }
            }
            Event::StepSkipped { step, by, reason } => {
                if let Some(st) = self.step_mut(step) {
                    st.status = Status::Skipped;
                    st.skipped = Some((by.clone(), reason.clone()));
                    st.ended_ms = Some(s.ts_ms);
                }
                if self
                    .retry_due
                    .is_some_and(|(i, _)| Some(i) == self.step_index(step))
                {
                    self.retry_due = None;
                }
            }
            Event::PointOfNoReturnConfirmed { step, by } => {
                if let Some(st) = self.step_mut(step) {
                    st.confirmed_by = Some(by.clone());
                }
                self.ponr_passed
                    .get_or_insert((step.clone(), by.clone(), s.ts_ms));
            }
            Event::EscalationRaised { level, action, .. } => {
                if *level > self.escalation {
                    self.escalation = *level;
                    self.escalation_action = action.clone();
                }
                self.escalations.push((*level, s.ts_ms));
            }
            Event::EscalationAcknowledged { level, .. } => {
                self.acknowledged = self.acknowledged.max(*level);
            }
            Event::SlaBreached { .. } => self.sla_breached = true,
            Event::OperatorLeft { .. } => self.left = true,
            Event::RunResumed { .. } => {
                self.left = false;
                self.resumes += 1;
            }
            Event::StepInterrupted { step, attempt, log } => {
                if let Some(st) = self.step_mut(step) {
                    st.status = Status::Interrupted;
                    if !st.attempts.iter().any(|a| a.n == *attempt) {
                        st.attempts.push(Attempt {
                            n: *attempt,
                            started_ms: s.ts_ms,
                            pid: None,
                            pgid: None,
                            log: log.clone().unwrap_or_default(),
                            end: None,
                        });
                    }
                }
            }
            Event::OrphanFound { step, pgid } => {
                self.orphan = self.step_index(step).map(|i| (i, *pgid));
            }
            Event::OrphanGone { .. } => self.orphan = None,
            Event::RunCompleted => self.finish(Outcome::Completed, s.ts_ms, None, None),
            Event::RunFailed { reason } => {
                self.finish(Outcome::Failed, s.ts_ms, Some(reason.clone()), None)
            }
            Event::RunAborted { by, reason, .. } => self.finish(
                Outcome::Aborted,
                s.ts_ms,
                Some(reason.clone()),
                Some(by.clone()),
            ),
            Event::Note { .. }
            | Event::StatusUpdate { .. }
            | Event::NotifyFinished { .. }
            | Event::PlanChanged { .. }
            | Event::RunSealed(_) => {}
        }
        if let Some(i) = touched {
            self.moved(i);
        }
        let after = self.cursor();
        if after != before
            && let Some(i) = after
            && self.steps[i].current_since_ms.is_none()
        {
            if let Some(u) = undo {
                u.save(self, Some(i));
            }
            self.steps[i].current_since_ms = Some(s.ts_ms);
        }
    }

    fn finish(&mut self, outcome: Outcome, at_ms: i64, reason: Option<String>, by: Option<String>) {
        if self.end.is_none() {
            self.end = Some(End {
                outcome,
                at_ms,
                reason,
                by,
            });
        }
    }

    fn step_mut(&mut self, key: &str) -> Option<&mut StepState> {
        let i = self.step_index(key)?;
        self.steps.get_mut(i)
    }
}

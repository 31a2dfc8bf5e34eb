//! `decide(plan, state, input, now) -> events + effects`: every rollback decision, with no
//! I/O. The shell appends the events to the timeline, applies them, and carries out the
//! effects (start a command, kill one, run a notifier), feeding the results back as inputs.

use super::event::{Event, Mode, Stamped};
pub use super::input::{Decision, Effect, ExitReport, Input};
use super::notify::notify_payload;
use super::sla::level_at;
use super::state::{RunState, Waiting};
use super::undo::Undo;
use crate::plan::{Plan, Rung};

/// Decides what `input` means for the run at `now_ms`.
pub fn decide(
    plan: &Plan,
    state: &RunState,
    input: Input,
    now_ms: i64,
    operator: &str,
) -> Decision {
    decide_in_place(plan, &mut state.clone(), input, now_ms, operator)
}

/// `decide` without a copy of the state: the decision's events are applied to `state` as it
/// is made (each later choice sees them) and taken back before it returns, so `state` ends
/// as it began and the cost of an input does not grow with the plan.
pub fn decide_in_place(
    plan: &Plan,
    state: &mut RunState,
    input: Input,
    now_ms: i64,
    operator: &str,
) -> Decision {
    let mode = match &input {
        Input::Start(_, mode) => *mode,
        _ => state.mode,
    };
    let mut w = Work {
        mode,
        plan,
        ladder: plan.ladder(),
        st: state,
        undo: Undo::default(),
        d: Decision::default(),
        now_ms,
        operator,
    };
    // A step whose log could not be written stops the run where it is (fail-stop): it is
    // recorded, and nothing more is decided.
    let halts = matches!(&input, Input::Exited { report, .. } if report.log_error.is_some());
    w.input(input);
    if w.d.refused.is_none() && !halts {
        w.advance();
    }
    let Work { st, undo, d, .. } = w;
    st.restore(undo);
    d
}

pub(super) struct Work<'a> {
    mode: Mode,
    pub(super) plan: &'a Plan,
    pub(super) ladder: Vec<Rung>,
    pub(super) st: &'a mut RunState,
    /// What the decision's events changed in `st`, to put back.
    undo: Undo,
    pub(super) d: Decision,
    now_ms: i64,
    operator: &'a str,
}

impl Work<'_> {
    pub(super) fn refuse(&mut self, why: impl Into<String>) {
        self.d.refused = Some(why.into());
    }

    pub(super) fn key(&self, i: usize) -> String {
        self.st.steps[i].key.clone()
    }

    pub(super) fn now(&self) -> i64 {
        self.now_ms
    }

    fn elapsed(&self) -> u64 {
        self.st.elapsed_ms(self.now_ms)
    }

    /// Records an event: it joins the decision and is applied to the working state, so the
    /// rest of the decision sees its effect.
    pub(super) fn emit(&mut self, event: Event) {
        let stamped = Stamped {
            seq: self.st.last_seq.map_or(0, |s| s + 1),
            mode: self.mode,
            ts_ms: self.now_ms,
            operator: self.operator.to_string(),
            event,
        };
        self.st.apply_undoable(&stamped, &mut self.undo);
        self.notify_for(&stamped.event);
        self.d.events.push(stamped.event);
    }

    /// Each kind of input has its home in `inputs`.
    fn input(&mut self, input: Input) {
        match input {
            Input::Start(..) | Input::Tick | Input::Resume { .. } => self.lifecycle(input),
            Input::Spawned { .. }
            | Input::Exited { .. }
            | Input::OrphanGone { .. }
            | Input::NotifyDone { .. } => self.report(input),
            Input::Approve { .. }
            | Input::ConfirmManual { .. }
            | Input::ConfirmPointOfNoReturn { .. }
            | Input::Retry { .. }
            | Input::Skip { .. }
            | Input::KillOrphan { .. }
            | Input::WaitOrphan { .. } => self.answer(input),
            Input::ChooseRegionPolicy { .. } | Input::TakeAlternative { .. } => {
                self.answer_lane(input)
            }
            Input::Abort { .. } | Input::Fail { .. } | Input::Leave { .. } => self.stop(input),
            Input::Acknowledge { .. } | Input::Note { .. } | Input::StatusUpdate { .. } => {
                self.remark(input)
            }
        }
    }

    /// Moves the run on as far as it can go without a person or a command.
    fn advance(&mut self) {
        if self.st.info.is_none() || self.st.end.is_some() {
            return;
        }
        self.check_clock();
        self.region_clocks();
        // Once the operator has left (or the terminal hung up) nothing new starts until a
        // resume; a run whose last step just ended still completes.
        if self.st.left {
            if self.st.waiting() == Waiting::AllDone {
                self.emit(Event::RunCompleted);
            }
            return;
        }
        loop {
            let waiting = self.st.waiting();
            if let Some(i) = waiting.step() {
                self.start_region(i);
            }
            match waiting {
                Waiting::Ready(i) => {
                    let attempt = self.st.steps[i].attempts_used() + 1;
                    self.d.effects.push(Effect::Spawn { step: i, attempt });
                    // Nothing else may happen until the shell reports the spawn.
                    return;
                }
                Waiting::Retry { step, due_ms } if self.elapsed() >= due_ms => {
                    let attempt = self.st.steps[step].attempts_used() + 1;
                    self.d.effects.push(Effect::Spawn { step, attempt });
                    return;
                }
                Waiting::Failure(i) if self.retries_left(i) => {
                    let s = &self.st.steps[i];
                    let (step, attempt) = (s.key.clone(), s.attempts_used() + 1);
                    let due_ms = self.elapsed() + s.retry_delay_ms;
                    self.emit(Event::RetryScheduled {
                        step,
                        attempt,
                        due_ms,
                    });
                }
                Waiting::AllDone => {
                    self.emit(Event::RunCompleted);
                    return;
                }
                _ => return,
            }
        }
    }

    pub(super) fn retries_left(&self, i: usize) -> bool {
        self.st.steps[i].retries_left()
    }

    fn check_clock(&mut self) {
        let elapsed = self.elapsed();
        let (level, _) = level_at(&self.ladder, elapsed);
        if level > self.st.escalation {
            let rungs: Vec<(u8, String)> = self
                .ladder
                .iter()
                .filter(|r| *r.level > self.st.escalation && *r.level <= level)
                .map(|r| (*r.level, r.action.clone()))
                .collect();
            for (level, action) in rungs {
                self.emit(Event::EscalationRaised {
                    level,
                    action,
                    reason: None,
                });
            }
        }
        let sla_ms = self.st.sla_ms();
        if !self.st.sla_breached && elapsed >= sla_ms {
            self.emit(Event::SlaBreached { sla_ms });
        }
    }

    /// The notify hook fires at start, on each escalation, on breach and at the end; in a
    /// regional run also on each region's escalation and breach.
    fn notify_for(&mut self, event: &Event) {
        let on = event.kind();
        let command = match event {
            Event::EscalationRaised { level, .. } | Event::RegionEscalated { level, .. } => self
                .ladder
                .iter()
                .find(|r| *r.level == *level)
                .and_then(|r| r.notify.clone())
                .or_else(|| self.plan.notify.as_ref().map(|n| n.value.clone())),
            Event::RunStarted(_)
            | Event::SlaBreached { .. }
            | Event::RegionSlaBreached { .. }
            | Event::RunCompleted
            | Event::RunFailed { .. }
            | Event::RunAborted { .. } => self.plan.notify.as_ref().map(|n| n.value.clone()),
            _ => None,
        };
        let Some(command) = command else {
            return;
        };
        let payload = notify_payload(self.st, event, self.now_ms, self.operator);
        self.d.effects.push(Effect::Notify {
            on,
            command,
            payload,
        });
    }
}

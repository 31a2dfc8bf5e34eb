//! `decide(plan, state, input, now) -> events + effects`: every rollback decision, with no
//! I/O. The shell appends the events to the timeline, applies them, and carries out the
//! effects (start a command, kill one, run a notifier), feeding the results back as inputs.

use super::event::{Event, Mode, Stamped, StepOutcome};
pub use super::input::{Decision, Effect, ExitReport, Input};
use super::notify::notify_payload;
use super::sla::{action_for, level_at};
use super::state::{RunState, Status, Waiting};
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

struct Work<'a> {
    mode: Mode,
    plan: &'a Plan,
    ladder: Vec<Rung>,
    st: &'a mut RunState,
    /// What the decision's events changed in `st`, to put back.
    undo: Undo,
    d: Decision,
    now_ms: i64,
    operator: &'a str,
}

impl Work<'_> {
    fn refuse(&mut self, why: impl Into<String>) {
        self.d.refused = Some(why.into());
    }

    fn key(&self, i: usize) -> String {
        self.st.steps[i].key.clone()
    }

    fn elapsed(&self) -> u64 {
        self.st.elapsed_ms(self.now_ms)
    }

    /// Records an event: it joins the decision and is applied to the working state, so the
    /// rest of the decision sees its effect.
    fn emit(&mut self, event: Event) {
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

    fn input(&mut self, input: Input) {
        let finished = self.st.end.is_some();
        let waiting = self.st.waiting();
        match input {
            Input::Start(info, _) => {
                if self.st.info.is_some() {
                    return self.refuse("the run has already started");
                }
                self.emit(Event::RunStarted(*info));
            }
            Input::Tick => {}
            Input::Spawned {
                step,
                attempt,
                pid,
                pgid,
                log,
            } => {
                let key = self.key(step);
                self.emit(Event::StepStarted {
                    step: key,
                    attempt,
                    pid,
                    pgid,
                    log,
                });
            }
            Input::Exited {
                step,
                attempt,
                report,
            } => {
                let key = self.key(step);
                self.emit(Event::StepFinished {
                    step: key,
                    attempt,
                    outcome: report.outcome,
                    exit_code: report.exit_code,
                    signal: report.signal,
                    duration_ms: report.duration_ms,
                    lines: report.lines,
                    bytes: report.bytes,
                    sha256: report.sha256,
                    dropped: report.dropped,
                    error: report.error,
                    log_error: report.log_error,
                });
            }
            Input::Approve { by } => match waiting {
                Waiting::Approval(i) if !by.trim().is_empty() => {
                    let step = self.key(i);
                    self.emit(Event::Approved {
                        step,
                        by: by.trim().to_string(),
                    });
                }
                Waiting::Approval(_) => self.refuse("type the approver's name"),
                _ => self.refuse("no approval gate is waiting"),
            },
            Input::ConfirmManual { by, note } => match waiting {
                Waiting::Manual(i) => {
                    let step = self.key(i);
                    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
                    self.emit(Event::ManualConfirmed { step, by, note });
                }
                _ => self.refuse("no manual check is waiting"),
            },
            Input::ConfirmPointOfNoReturn { by } => match waiting {
                Waiting::PointOfNoReturn(i) => {
                    let step = self.key(i);
                    self.emit(Event::PointOfNoReturnConfirmed { step, by });
                }
                _ => self.refuse("the point of no return is not next"),
            },
            Input::Retry { by } => match waiting {
                Waiting::Failure(i) | Waiting::Interrupted(i) | Waiting::Retry { step: i, .. } => {
                    let step = self.key(i);
                    self.emit(Event::RetryRequested { step, by });
                }
                _ => self.refuse("there is nothing to retry"),
            },
            Input::Skip { by, reason } => {
                let reason = reason.trim().to_string();
                match waiting.skippable() {
                    Some(_) if reason.is_empty() => self.refuse("say why the step is skipped"),
                    Some(i) => {
                        let step = self.key(i);
                        self.emit(Event::StepSkipped { step, by, reason });
                    }
                    None => self.refuse("no step can be skipped now"),
                }
            }
            Input::Abort { by, reason } => {
                if finished {
                    return self.refuse("the run has already ended");
                }
                let after = self.st.ponr_passed.is_some();
                if let Some(i) = self.st.running() {
                    self.d.effects.push(Effect::Kill { step: i });
                }
                // A command left from before the restart is stopped like a running one.
                if let Waiting::Orphan { step, pgid } = waiting {
                    self.d.effects.push(Effect::KillGroup { step, pgid });
                }
                if after {
                    // Past the point of no return, stopping leaves the system half rolled
                    // back: that needs more people now, not at the next rung.
                    let level = (self.st.escalation + 1).clamp(2, 4);
                    if level > self.st.escalation {
                        let action = action_for(&self.ladder, level);
                        self.emit(Event::EscalationRaised {
                            level,
                            action,
                            reason: Some("aborted after the point of no return".into()),
                        });
                    }
                }
                self.emit(Event::RunAborted {
                    by,
                    reason,
                    after_point_of_no_return: after,
                });
            }
            Input::Acknowledge { by } => match self.st.unacknowledged() {
                Some(level) => self.emit(Event::EscalationAcknowledged { level, by }),
                None => self.refuse("no escalation to acknowledge"),
            },
            Input::Note { by, text } => {
                if text.trim().is_empty() {
                    return self.refuse("the note is empty");
                }
                self.emit(Event::Note { by, text });
            }
            Input::StatusUpdate { by, text } => self.emit(Event::StatusUpdate { by, text }),
            Input::Leave { reason, terminate } => {
                let running = self.st.running();
                if terminate && let Some(i) = running {
                    self.d.effects.push(Effect::Kill { step: i });
                }
                let orphan = match waiting {
                    Waiting::Orphan { step, .. } => Some(step),
                    _ => None,
                };
                let left_running = running
                    .filter(|_| !terminate)
                    .or(orphan)
                    .map(|i| self.key(i));
                self.emit(Event::OperatorLeft {
                    reason,
                    running: left_running,
                });
            }
            Input::Fail { reason } => {
                if finished {
                    return self.refuse("the run has already ended");
                }
                if let Some(i) = self.st.running() {
                    self.d.effects.push(Effect::Kill { step: i });
                }
                self.emit(Event::RunFailed { reason });
            }
            Input::Resume {
                host,
                pid,
                forced,
                plan_sha256,
                unrecorded,
                orphans,
            } => {
                self.emit(Event::RunResumed {
                    host,
                    pid,
                    forced,
                    plan_sha256,
                });
                let interrupted: Vec<(String, u32)> = self
                    .st
                    .steps
                    .iter()
                    .filter(|s| s.status == Status::Running)
                    .map(|s| (s.key.clone(), s.attempts_used()))
                    .collect();
                for (step, attempt) in interrupted {
                    self.emit(Event::StepInterrupted {
                        step,
                        attempt,
                        log: None,
                    });
                }
                for (i, log) in unrecorded {
                    let s = &self.st.steps[i];
                    if s.status == Status::Interrupted || s.status.settled() {
                        continue;
                    }
                    let (step, attempt) = (s.key.clone(), s.attempts_used() + 1);
                    self.emit(Event::StepInterrupted {
                        step,
                        attempt,
                        log: Some(log),
                    });
                }
                for (i, pgid) in orphans {
                    let step = self.key(i);
                    // A command can be found running that was never recorded as started
                    // (killed between spawn and record): it is interrupted all the same.
                    if self.st.steps[i].status != Status::Interrupted {
                        let attempt = self.st.steps[i].attempts_used() + 1;
                        self.emit(Event::StepInterrupted {
                            step: step.clone(),
                            attempt,
                            log: None,
                        });
                    }
                    self.emit(Event::OrphanFound { step, pgid });
                }
            }
            Input::KillOrphan | Input::WaitOrphan => match waiting {
                Waiting::Orphan { step, pgid } => {
                    self.d.effects.push(if input == Input::KillOrphan {
                        Effect::KillGroup { step, pgid }
                    } else {
                        Effect::WatchGroup { step, pgid }
                    })
                }
                _ => self.refuse("no orphaned command is running"),
            },
            Input::OrphanGone { step, pgid, killed } => {
                let step = self.key(step);
                self.emit(Event::OrphanGone { step, pgid, killed });
            }
            Input::NotifyDone {
                on,
                command,
                exit_code,
                timed_out,
                duration_ms,
                stderr,
            } => self.emit(Event::NotifyFinished {
                on,
                command,
                exit_code,
                timed_out,
                duration_ms,
                stderr,
            }),
        }
    }

    /// Moves the run on as far as it can go without a person or a command.
    fn advance(&mut self) {
        if self.st.info.is_none() || self.st.end.is_some() {
            return;
        }
        self.check_clock();
        // Once the operator has left (or the terminal hung up) nothing new starts until a
        // resume; a run whose last step just ended still completes.
        if self.st.left {
            if self.st.waiting() == Waiting::AllDone {
                self.emit(Event::RunCompleted);
            }
            return;
        }
        loop {
            match self.st.waiting() {
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

    /// Automatic retries are for commands that failed or timed out, within the plan's
    /// attempts; a command the operator killed is theirs to decide about.
    fn retries_left(&self, i: usize) -> bool {
        let s = &self.st.steps[i];
        let last = s.last_attempt().and_then(|a| a.end.as_ref());
        matches!(
            last.map(|e| e.outcome),
            Some(StepOutcome::Failed | StepOutcome::TimedOut)
        ) && s.attempts_used() < s.attempts_allowed
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

    /// The notify hook fires at start, on each escalation, on breach and at the end.
    fn notify_for(&mut self, event: &Event) {
        let on = event.kind();
        let command = match event {
            Event::EscalationRaised { level, .. } => self
                .ladder
                .iter()
                .find(|r| *r.level == *level)
                .and_then(|r| r.notify.clone())
                .or_else(|| self.plan.notify.as_ref().map(|n| n.value.clone())),
            Event::RunStarted(_)
            | Event::SlaBreached { .. }
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

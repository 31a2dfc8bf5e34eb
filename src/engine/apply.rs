//! How each recorded event changes the run's state: the fold of `state = fold(events)`.
//! Step events change one step; the others the run as a whole.

use super::event::{Event, Stamped, StepOutcome};
use super::state::RunState;
use super::step::{Attempt, AttemptEnd, Status};
use super::undo::Undo;
use super::waiting::{End, Outcome};

impl RunState {
    pub(super) fn apply_saving(&mut self, s: &Stamped, mut undo: Option<&mut Undo>) {
        let touched = s.event.step().and_then(|k| self.step_index(k));
        if let Some(u) = undo.as_deref_mut() {
            u.save(self, touched);
        }
        self.last_seq = Some(s.seq);
        self.mode = s.mode;
        self.last_ts_ms = s.ts_ms;
        let before = self.info.as_ref().and(self.cursor());
        if !self.apply_step_event(s) {
            self.apply_run_event(s, undo.as_deref_mut());
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

    /// A step's own event; `false` for any other.
    fn apply_step_event(&mut self, s: &Stamped) -> bool {
        match &s.event {
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
                    st.retry_due_ms = None;
                    st.region_choice = None;
                    st.attempts.push(Attempt {
                        n: *attempt,
                        started_ms: s.ts_ms,
                        pid: *pid,
                        pgid: *pgid,
                        log: log.clone(),
                        end: None,
                    });
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
                if let Some(st) = self.step_mut(step) {
                    st.retry_due_ms = Some(*due_ms);
                }
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
                    st.retry_due_ms = None;
                }
            }
            _ => return false,
        }
        true
    }

    fn apply_run_event(&mut self, s: &Stamped, undo: Option<&mut Undo>) {
        match &s.event {
            Event::RunStarted(info) => {
                self.operator = s.operator.clone();
                self.info = Some((**info).clone());
                self.started_ms = s.ts_ms;
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
                if let Some(i) = self.step_index(step) {
                    self.orphans.insert(i, *pgid);
                }
            }
            Event::OrphanGone { step, .. } => {
                if let Some(i) = self.step_index(step) {
                    self.orphans.remove(&i);
                }
            }
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
            Event::RegionStarted { .. }
            | Event::RegionFinished { .. }
            | Event::RegionEscalated { .. }
            | Event::RegionSlaBreached { .. }
            | Event::RegionPolicyChosen { .. }
            | Event::AlternativeTaken { .. } => self.apply_lane_event(&s.event, s.ts_ms, undo),
            Event::Note { .. }
            | Event::OrphanDecided { .. }
            | Event::RegionFailed { .. }
            | Event::StatusUpdate { .. }
            | Event::NotifyFinished { .. }
            | Event::PlanChanged { .. }
            | Event::StepOutputs { .. }
            | Event::RunSealed(_)
            | Event::ValidationStarted { .. }
            | Event::ValidationSample { .. }
            | Event::ValidationWindow { .. }
            | Event::ValidationLeft { .. }
            | Event::ValidationEnded { .. } => {}
            _ => {}
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
}

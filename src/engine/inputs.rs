//! Every input, each kind in its own place: the run's life (start, resume, time), the
//! runner's reports, the operator's answers to what the run waits on, stopping it, and remarks
//! for the record. Each method only records events and asks for effects; `decide` then moves
//! the run on.

use super::decide::Work;
use super::event::Event;
use super::input::{Effect, Input};
use super::sla::action_for;
use super::state::{Status, Waiting};

impl Work<'_> {
    /// The run starts, resumes, or time passes.
    pub(super) fn lifecycle(&mut self, input: Input) {
        match input {
            Input::Start(info, _) => {
                if self.st.info.is_some() {
                    return self.refuse("the run has already started");
                }
                self.emit(Event::RunStarted(info));
            }
            Input::Tick => {}
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
            _ => unreachable!("lifecycle is given only its own inputs"),
        }
    }

    /// The runner reports what a command or notifier did.
    pub(super) fn report(&mut self, input: Input) {
        match input {
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
                let failed = report.outcome != crate::engine::event::StepOutcome::Ok;
                let item = crate::plan::checklist::escalates_on_failure(self.plan, &key);
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
                // The plan's checklist may say a failed check calls for more people now.
                if failed
                    && !self.retries_left(step)
                    && let Some(words) = item
                {
                    self.escalate_now(&format!("verification check failed: {words}"));
                }
                self.region_failure(step);
            }
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
            _ => unreachable!("report is given only its own inputs"),
        }
    }

    /// The operator answers the question the run waits on.
    pub(super) fn answer(&mut self, input: Input) {
        let waiting = self.st.waiting();
        match input {
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
                Waiting::Failure(i)
                | Waiting::RegionFailure(i)
                | Waiting::Interrupted(i)
                | Waiting::Retry { step: i, .. } => {
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
            Input::KillOrphan { ref by } | Input::WaitOrphan { ref by } => match waiting {
                Waiting::Orphan { step, pgid } => {
                    let kill = matches!(input, Input::KillOrphan { .. });
                    let by = by.clone();
                    let key = self.key(step);
                    self.emit(Event::OrphanDecided {
                        step: key,
                        pgid,
                        by,
                        kill,
                    });
                    self.d.effects.push(if kill {
                        Effect::KillGroup { step, pgid }
                    } else {
                        Effect::WatchGroup { step, pgid }
                    })
                }
                _ => self.refuse("no orphaned command is running"),
            },
            _ => unreachable!("answer is given only its own inputs"),
        }
    }

    /// The run is stopped: aborted, failed, or left resumable.
    pub(super) fn stop(&mut self, input: Input) {
        let finished = self.st.end.is_some();
        let waiting = self.st.waiting();
        match input {
            Input::Abort { by, reason } => {
                if finished {
                    return self.refuse("the run has already ended");
                }
                let after = self.st.ponr_passed.is_some();
                self.kill_running();
                // A command left from before the restart is stopped like a running one.
                let orphans: Vec<(usize, i32)> =
                    self.st.orphans.iter().map(|(s, p)| (*s, *p)).collect();
                for (step, pgid) in orphans {
                    self.d.effects.push(Effect::KillGroup { step, pgid });
                }
                if after {
                    // Past the point of no return, stopping leaves the system half rolled
                    // back: that needs more people now, not at the next rung.
                    self.escalate_now("aborted after the point of no return");
                }
                self.emit(Event::RunAborted {
                    by,
                    reason,
                    after_point_of_no_return: after,
                });
            }
            Input::Fail { reason } => {
                if finished {
                    return self.refuse("the run has already ended");
                }
                self.kill_running();
                self.emit(Event::RunFailed { reason });
            }
            Input::Leave { reason, terminate } => {
                let running = self.st.running();
                if terminate {
                    self.kill_running();
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
            _ => unreachable!("stop is given only its own inputs"),
        }
    }

    /// Every running command (one per lane) is asked to stop.
    fn kill_running(&mut self) {
        let running: Vec<usize> = self.st.running.iter().copied().collect();
        for step in running {
            self.d.effects.push(Effect::Kill { step });
        }
    }

    /// The operator adds to the record without changing the run's course.
    pub(super) fn remark(&mut self, input: Input) {
        match input {
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
            _ => unreachable!("remark is given only its own inputs"),
        }
    }

    /// Raises the next escalation level at once (at least level 2), for `reason`.
    fn escalate_now(&mut self, reason: &str) {
        let level = (self.st.escalation + 1).clamp(2, 4);
        if level > self.st.escalation {
            let action = action_for(&self.ladder, level);
            self.emit(Event::EscalationRaised {
                level,
                action,
                reason: Some(reason.into()),
            });
        }
    }
}

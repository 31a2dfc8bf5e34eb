//! The parts of a report that are lists of recorded events rather than step state:
//! escalations (with who acknowledged them), notes and status updates, notify results, and
//! the run's interruptions (operators leaving, resumes, steps whose end was never recorded).

use serde::{Deserialize, Serialize};

use super::time::{Timestamp, between};
use crate::engine::Event;
use crate::engine::Record;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub level: u8,
    pub action: String,
    /// Set when raised for a reason other than time (an abort past the point of no return).
    pub reason: Option<String>,
    pub at: Timestamp,
    pub elapsed_ms: u64,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_elapsed_ms: Option<u64>,
}

/// Escalations in the order raised. Acknowledging a level acknowledges every lower one
/// raised before it, as the cockpit's banner does.
pub fn escalations(records: &[Record], start: i64) -> Vec<Escalation> {
    let mut out: Vec<Escalation> = Vec::new();
    for r in records {
        match &r.event {
            Event::EscalationRaised {
                level,
                action,
                reason,
            } => out.push(Escalation {
                level: *level,
                action: action.clone(),
                reason: reason.clone(),
                at: Timestamp(r.ts_ms),
                elapsed_ms: between(start, r.ts_ms),
                acknowledged_by: None,
                acknowledged_at: None,
                acknowledged_elapsed_ms: None,
            }),
            Event::EscalationAcknowledged { level, by } => {
                for e in out
                    .iter_mut()
                    .filter(|e| e.level <= *level && e.acknowledged_by.is_none())
                {
                    e.acknowledged_by = Some(by.clone());
                    e.acknowledged_at = Some(Timestamp(r.ts_ms));
                    e.acknowledged_elapsed_ms = Some(between(start, r.ts_ms));
                }
            }
            _ => {}
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    Note,
    StatusUpdate,
}

impl NoteKind {
    pub fn word(self) -> &'static str {
        match self {
            NoteKind::Note => "note",
            NoteKind::StatusUpdate => "status update",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteEntry {
    pub kind: NoteKind,
    pub by: String,
    pub text: String,
    pub at: Timestamp,
    pub elapsed_ms: u64,
}

pub fn notes(records: &[Record], start: i64) -> Vec<NoteEntry> {
    records
        .iter()
        .filter_map(|r| {
            let (kind, by, text) = match &r.event {
                Event::Note { by, text } => (NoteKind::Note, by, text),
                Event::StatusUpdate { by, text } => (NoteKind::StatusUpdate, by, text),
                _ => return None,
            };
            Some(NoteEntry {
                kind,
                by: by.clone(),
                text: text.clone(),
                at: Timestamp(r.ts_ms),
                elapsed_ms: between(start, r.ts_ms),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The event type that fired it (`run_started`, `escalation_raised`, ...).
    pub on: String,
    pub command: String,
    /// Exited 0 within its time.
    pub ok: bool,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    pub stderr: String,
    /// When its end was recorded.
    pub at: Timestamp,
    pub elapsed_ms: u64,
}

pub fn notifications(records: &[Record], start: i64) -> Vec<Notification> {
    records
        .iter()
        .filter_map(|r| match &r.event {
            Event::NotifyFinished {
                on,
                command,
                exit_code,
                timed_out,
                duration_ms,
                stderr,
            } => Some(Notification {
                on: on.clone(),
                command: command.clone(),
                ok: !timed_out && *exit_code == Some(0),
                exit_code: *exit_code,
                timed_out: *timed_out,
                duration_ms: *duration_ms,
                stderr: stderr.clone(),
                at: Timestamp(r.ts_ms),
                elapsed_ms: between(start, r.ts_ms),
            }),
            _ => None,
        })
        .collect()
}

/// Everything that broke the run's continuity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interruptions {
    pub left: Vec<Departure>,
    pub resumes: Vec<Resume>,
    /// Steps found started but never ended when the run was resumed.
    pub interrupted_steps: Vec<InterruptedStep>,
}

impl Interruptions {
    pub fn is_empty(&self) -> bool {
        self.left.is_empty() && self.resumes.is_empty() && self.interrupted_steps.is_empty()
    }
}

/// The operator left; the run stayed resumable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Departure {
    pub by: String,
    pub reason: String,
    /// A step left running on purpose.
    pub running: Option<String>,
    pub at: Timestamp,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    pub by: String,
    pub host: String,
    pub pid: u32,
    /// Resumed although the plan file had changed.
    pub forced: bool,
    pub at: Timestamp,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterruptedStep {
    pub step: String,
    pub attempt: u32,
    /// The attempt's start was never recorded (its log or process was found at resume).
    pub unrecorded_start: bool,
    pub at: Timestamp,
    pub elapsed_ms: u64,
    /// Its process group, when found still running at resume.
    pub orphan_pgid: Option<i32>,
    /// Whether that group was killed (true) or waited for (false), once gone.
    pub orphan_killed: Option<bool>,
}

pub fn interruptions(records: &[Record], start: i64) -> Interruptions {
    let mut out = Interruptions::default();
    for r in records {
        let (at, elapsed_ms) = (Timestamp(r.ts_ms), between(start, r.ts_ms));
        match &r.event {
            Event::OperatorLeft { reason, running } => out.left.push(Departure {
                by: r.operator.clone(),
                reason: reason.clone(),
                running: running.clone(),
                at,
                elapsed_ms,
            }),
            Event::RunResumed {
                host, pid, forced, ..
            } => out.resumes.push(Resume {
                by: r.operator.clone(),
                host: host.clone(),
                pid: *pid,
                forced: *forced,
                at,
                elapsed_ms,
            }),
            Event::StepInterrupted { step, attempt, log } => {
                out.interrupted_steps.push(InterruptedStep {
                    step: step.clone(),
                    attempt: *attempt,
                    unrecorded_start: log.is_some(),
                    at,
                    elapsed_ms,
                    orphan_pgid: None,
                    orphan_killed: None,
                })
            }
            Event::OrphanFound { step, pgid } => {
                if let Some(i) = last_for(&mut out.interrupted_steps, step) {
                    i.orphan_pgid = Some(*pgid);
                }
            }
            Event::OrphanGone { step, killed, .. } => {
                if let Some(i) = last_for(&mut out.interrupted_steps, step) {
                    i.orphan_killed = Some(*killed);
                }
            }
            _ => {}
        }
    }
    out
}

fn last_for<'a>(list: &'a mut [InterruptedStep], step: &str) -> Option<&'a mut InterruptedStep> {
    list.iter_mut().rev().find(|i| i.step == step)
}

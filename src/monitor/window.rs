//! A trigger's evaluation window as a state machine, with Argo Rollouts' analysis
//! semantics. Time is an input (offsets from the start of watching), so every outcome is
//! tested without a clock. A trigger whose probe keeps failing is *blind*, never healthy;
//! an inconclusive sample waits for a person; a fired trigger stays fired.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value as Json;

/// What one sample says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The condition does not hold: all is well.
    Success,
    /// The condition holds: a bad sample.
    Failure,
    /// The probe failed, timed out, or answered something the condition cannot judge.
    Error,
    /// The `inconclusive` condition holds: a person must judge.
    Inconclusive,
}

/// One sample: when it was taken, its outcome, the value seen and why, for errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    #[serde(serialize_with = "as_secs")]
    pub at: Duration,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// The numbers that shape a window (defaults as the plan format documents them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub interval: Duration,
    pub count: u32,
    pub initial_delay: Duration,
    pub failure_limit: u32,
    pub consecutive_error_limit: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            interval: Duration::from_secs(30),
            count: 5,
            initial_delay: Duration::ZERO,
            failure_limit: 0,
            consecutive_error_limit: 4,
        }
    }
}

/// Where a trigger stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Verdict {
    /// No conclusive sample yet.
    Waiting,
    /// The window holds no bad sample.
    Healthy,
    /// Some bad samples, not more than `failure_limit`.
    Failing { failures: u32, count: u32 },
    /// More than `consecutive_error_limit` probe errors in a row: the trigger cannot see.
    Blind { errors: u32 },
    /// An inconclusive sample waits for a person's answer.
    Ask,
    /// More than `failure_limit` bad samples: the rollback should start.
    Fired {
        #[serde(serialize_with = "as_secs")]
        first_failure: Duration,
    },
}

impl Verdict {
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Waiting => "waiting",
            Verdict::Healthy => "healthy",
            Verdict::Failing { .. } => "failing",
            Verdict::Blind { .. } => "blind",
            Verdict::Ask => "ask",
            Verdict::Fired { .. } => "fired",
        }
    }
}

/// The state of one trigger's window.
#[derive(Debug, Clone)]
pub struct Window {
    limits: Limits,
    samples: VecDeque<Sample>,
    consecutive_errors: u32,
    next_due: Duration,
    verdict: Verdict,
}

impl Window {
    /// A window that starts watching at `start` and takes its first sample after the delay.
    pub fn new(limits: Limits, start: Duration) -> Window {
        Window {
            limits,
            samples: VecDeque::new(),
            consecutive_errors: 0,
            next_due: start + limits.initial_delay,
            verdict: Verdict::Waiting,
        }
    }

    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Probe errors since the last conclusive sample (0 when the last sample was one).
    pub fn errors_in_a_row(&self) -> u32 {
        self.consecutive_errors
    }

    /// When the next sample is due; a fired trigger takes no more.
    pub fn next_due(&self) -> Option<Duration> {
        (!matches!(self.verdict, Verdict::Fired { .. })).then_some(self.next_due)
    }

    pub fn is_due(&self, now: Duration) -> bool {
        self.next_due().is_some_and(|due| now >= due)
    }

    /// The samples of the window, oldest first (errors are not kept: they are counted).
    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter()
    }

    /// Takes a sample in; returns the new verdict when it changed.
    pub fn record(&mut self, sample: Sample) -> Option<Verdict> {
        if matches!(self.verdict, Verdict::Fired { .. }) {
            return None;
        }
        self.next_due = sample.at.max(self.next_due) + self.limits.interval;
        if sample.outcome == Outcome::Error {
            self.consecutive_errors += 1;
            // Blind is one state however long it lasts: reported once, with the errors
            // that made it so.
            if self.consecutive_errors > self.limits.consecutive_error_limit
                && !matches!(self.verdict, Verdict::Blind { .. })
            {
                return self.set(Verdict::Blind {
                    errors: self.consecutive_errors,
                });
            }
            return None;
        }
        self.consecutive_errors = 0;
        self.samples.push_back(sample);
        while self.samples.len() > self.limits.count.max(1) as usize {
            self.samples.pop_front();
        }
        self.judge()
    }

    /// A person's answer to an inconclusive sample: fire, or count it as good.
    pub fn answer(&mut self, fire: bool, now: Duration) -> Option<Verdict> {
        if self.verdict != Verdict::Ask {
            return None;
        }
        if fire {
            return self.set(Verdict::Fired { first_failure: now });
        }
        for s in self.samples.iter_mut() {
            if s.outcome == Outcome::Inconclusive {
                s.outcome = Outcome::Success;
            }
        }
        self.verdict = Verdict::Waiting;
        self.judge()
    }

    fn judge(&mut self) -> Option<Verdict> {
        let failures: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.outcome == Outcome::Failure)
            .collect();
        let verdict = if failures.len() as u32 > self.limits.failure_limit {
            Verdict::Fired {
                first_failure: failures[0].at,
            }
        } else if self.verdict == Verdict::Ask
            || self
                .samples
                .iter()
                .any(|s| s.outcome == Outcome::Inconclusive)
        {
            Verdict::Ask
        } else if failures.is_empty() {
            Verdict::Healthy
        } else {
            Verdict::Failing {
                failures: failures.len() as u32,
                count: self.limits.count,
            }
        };
        self.set(verdict)
    }

    fn set(&mut self, verdict: Verdict) -> Option<Verdict> {
        if verdict == self.verdict {
            return None;
        }
        self.verdict = verdict.clone();
        Some(verdict)
    }
}

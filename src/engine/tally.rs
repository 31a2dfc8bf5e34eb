//! What became of a run's steps, counted once for every face that tells it: the end screen,
//! headless, the report and the seal's summary.
//!
//! The words, as everything that counts them uses them:
//! - an *attempt failed* when it ended other than ok (failed, timed out, killed);
//! - a step *failed for good* when one of its attempts failed and no attempt was left or
//!   due: a person then decided (retry, skip, another path, or stop the run);
//! - a step *is failed* only while it stays so (it was not retried to ok, skipped or
//!   replaced).
//!
//! A run that completed is a completed rollback however many attempts failed on the way:
//! its failures are counted as failed attempts, retries and failures for good, each with
//! what was done about it, never as a failed run.

use serde::{Deserialize, Serialize};

use super::event::StepOutcome;
use super::state::{RunState, Status, StepState};

/// What was done about a step that failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Another attempt was asked for, and the step ended ok.
    Retried,
    /// Skipped by a person.
    Skipped,
    /// An alternative path was taken in its place.
    Replaced,
    /// Still failed when the run ended: the run stopped there.
    Stopped,
    /// The run has not ended: a decision (or the attempt asked for) is pending.
    Open,
}

impl Fate {
    pub fn word(self) -> &'static str {
        match self {
            Fate::Retried => "retried, then ok",
            Fate::Skipped => "skipped",
            Fate::Replaced => "replaced by another path",
            Fate::Stopped => "still failed when the run ended",
            Fate::Open => "waiting for a decision",
        }
    }
}

/// One step that failed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub step: usize,
    pub key: String,
    pub region: Option<String>,
    /// Times it failed for good (a retry asked for may fail again).
    pub times: u32,
    pub fate: Fate,
}

impl Failure {
    /// `Region us-east-1 failed at execute.undo@us-east-1: retried, then ok`.
    pub fn text(&self) -> String {
        let times = match self.times {
            1 => String::new(),
            n => format!(" ({n} times)"),
        };
        match &self.region {
            Some(r) => format!(
                "Region {r} failed at {}{times}: {}",
                self.key,
                self.fate.word()
            ),
            None => format!("{} failed for good{times}: {}", self.key, self.fate.word()),
        }
    }
}

/// Failures for good by what was done about them, and attempts: the figures kept per run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureCounts {
    /// Attempts that ended other than ok.
    pub failed_attempts: u32,
    pub retried: u32,
    pub skipped: u32,
    pub replaced: u32,
    pub stopped: u32,
    pub open: u32,
    /// Regions in which a step failed for good.
    pub regions: u32,
}

impl FailureCounts {
    /// Steps that failed for good, whatever was done about them.
    pub fn steps(&self) -> u32 {
        self.retried + self.skipped + self.replaced + self.stopped + self.open
    }

    /// `1 retried, then ok`, `2 skipped`, ...: each fate that happened, in the words of
    /// `Fate::word`.
    pub fn by_fate(&self) -> Vec<String> {
        [
            (self.retried, Fate::Retried),
            (self.skipped, Fate::Skipped),
            (self.replaced, Fate::Replaced),
            (self.stopped, Fate::Stopped),
            (self.open, Fate::Open),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, fate)| format!("{n} {}", fate.word()))
        .collect()
    }

    pub fn add(&mut self, o: &FailureCounts) {
        self.failed_attempts += o.failed_attempts;
        self.retried += o.retried;
        self.skipped += o.skipped;
        self.replaced += o.replaced;
        self.stopped += o.stopped;
        self.open += o.open;
        self.regions += o.regions;
    }
}

/// Failures told one by one at the end of a run; the report has them all.
pub const MAX_TOLD: usize = 3;

/// The run's steps and attempts, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Steps in this run (a scenario's subset, and the alternative paths taken).
    pub steps: u32,
    pub ok: u32,
    pub skipped: u32,
    /// Failed for good and replaced by an alternative path.
    pub replaced: u32,
    /// Failed, and still so.
    pub failed: u32,
    /// Pending, running, or interrupted (its outcome unknown).
    pub not_done: u32,
    pub attempts: u32,
    pub failed_attempts: u32,
    /// Attempts beyond each step's first.
    pub retries: u32,
    /// Steps that failed for good, in run order.
    pub failures: Vec<Failure>,
}

impl StepState {
    /// Times the step failed for good: attempts that failed with none left after them
    /// (by the same rule as `retries_left`), or that were killed.
    pub fn failed_for_good_times(&self) -> u32 {
        let mut n = 0;
        for (i, a) in self.attempts.iter().enumerate() {
            let Some(end) = &a.end else { continue };
            let retried_by_plan =
                matches!(end.outcome, StepOutcome::Failed | StepOutcome::TimedOut)
                    && (i as u32 + 1) < self.attempts_allowed;
            if end.outcome != StepOutcome::Ok && !retried_by_plan {
                n += 1;
            }
        }
        n
    }
}

impl Tally {
    pub fn of(st: &RunState) -> Tally {
        let mut t = Tally::default();
        let ended = st.end.is_some();
        for (i, s) in st.steps.iter().enumerate().filter(|(_, s)| s.selected) {
            t.steps += 1;
            match s.status {
                Status::Ok => t.ok += 1,
                Status::Skipped => t.skipped += 1,
                Status::Replaced => t.replaced += 1,
                Status::Failed => t.failed += 1,
                Status::Pending | Status::Running | Status::Interrupted => t.not_done += 1,
            }
            let used = s.attempts_used();
            t.attempts += used;
            t.retries += used.saturating_sub(1);
            t.failed_attempts += s
                .attempts
                .iter()
                .filter(|a| a.end.as_ref().is_some_and(|e| e.outcome != StepOutcome::Ok))
                .count() as u32;
            let times = s.failed_for_good_times();
            if times == 0 {
                continue;
            }
            let fate = match s.status {
                Status::Ok => Fate::Retried,
                Status::Skipped => Fate::Skipped,
                Status::Replaced => Fate::Replaced,
                _ if ended => Fate::Stopped,
                _ => Fate::Open,
            };
            t.failures.push(Failure {
                step: i,
                key: s.key.clone(),
                region: s.region.clone(),
                times,
                fate,
            });
        }
        t
    }

    pub fn counts(&self) -> FailureCounts {
        let mut c = FailureCounts {
            failed_attempts: self.failed_attempts,
            ..FailureCounts::default()
        };
        for f in &self.failures {
            match f.fate {
                Fate::Retried => c.retried += 1,
                Fate::Skipped => c.skipped += 1,
                Fate::Replaced => c.replaced += 1,
                Fate::Stopped => c.stopped += 1,
                Fate::Open => c.open += 1,
            }
        }
        let mut regions: Vec<&str> = self
            .failures
            .iter()
            .filter_map(|f| f.region.as_deref())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        c.regions = regions.len() as u32;
        c
    }

    /// The end of a run in a few short lines, on the screen and headless: the steps, the
    /// attempts, then each step that failed for good (at most `MAX_TOLD`, then how many
    /// more). A step that failed for good counts as failed whatever became of it.
    pub fn lines(&self) -> Vec<String> {
        let steps = if self.ok == 1 { "step" } else { "steps" };
        let mut first = format!("{} {steps} ok, {} skipped", self.ok, self.skipped);
        if self.replaced > 0 {
            first.push_str(&format!(", {} replaced by another path", self.replaced));
        }
        first.push_str(&format!(", {} failed", self.failures.len()));
        if self.not_done > 0 {
            first.push_str(&format!(", {} not done", self.not_done));
        }
        let retries = match self.retries {
            1 => "1 retry".to_string(),
            n => format!("{n} retries"),
        };
        let mut out = vec![
            first,
            format!(
                "{} of {} attempts failed, {retries}",
                self.failed_attempts, self.attempts
            ),
        ];
        out.extend(self.failures.iter().take(MAX_TOLD).map(Failure::text));
        if self.failures.len() > MAX_TOLD {
            out.push(format!(
                "and {} more (see the report)",
                self.failures.len() - MAX_TOLD
            ));
        }
        out
    }
}

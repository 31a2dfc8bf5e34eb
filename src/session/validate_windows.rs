//! The validation windows of one ended run, on the edge: opens (or continues) the run's
//! validation segment (`timeline::segment`), replays what it holds into the pure
//! `Validation`, and records every window verdict and sample, synced, before it is shown.
//! The validation clock is real time since validation began, times the drill speed.

pub use super::validate_open::{OpenError, open, pending};

use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use crate::engine::Record;
use crate::engine::{Event, Mode, RunInfo};
use crate::monitor::validation::{Changed, RunVerdict, Validation, WindowVerdict};
use crate::monitor::{Outcome, Sample, Spec, Verdict};
use crate::plan::{Plan, Window};
use crate::timeline::Journal;

/// Why a drill's windows are recorded as not run when it was not asked to practise them.
pub const DRILL_SKIP: &str = "a drill: pass --validate to practise the windows too";

/// A run's validation, open for sampling.
pub struct Validating {
    pub dir: PathBuf,
    pub plan: Plan,
    pub info: RunInfo,
    pub mode: Mode,
    pub operator: String,
    /// The sources, in the order of `validation.sources()`.
    pub specs: Vec<Spec>,
    pub validation: Validation,
    /// What each command sees: the run's variables and `ROLLBACK_*` context.
    pub env: Vec<(String, String)>,
    pub workdir: PathBuf,
    /// The run's secrets (as given again, or from the environment): every sample, message
    /// and notifier's answer is masked of them before it is shown or recorded.
    pub mask: crate::mask::Mask,
    pub speed: f64,
    /// Wall-clock time the windows count from (the run's end); `None` until `start`.
    pub(super) started_ms: Option<i64>,
    /// When the run completed: windows follow the rollback, however late they are watched.
    pub(super) origin_ms: i64,
    /// Validation clock of the last record, for an interrupted validation.
    pub(super) last_at: Option<Duration>,
    pub(super) journal: Journal,
    pub(super) _lock: File,
}

impl Validating {
    /// The validation clock at wall-clock `now_ms`.
    pub fn clock(&self, now_ms: i64) -> Duration {
        let since = now_ms - self.started_ms.unwrap_or(now_ms);
        Duration::from_millis((since.max(0) as f64 * self.speed) as u64)
    }

    /// Wall-clock milliseconds at which the validation clock reads `at`.
    pub fn wall_ms(&self, at: Duration) -> i64 {
        self.started_ms.unwrap_or_default() + (at.as_millis() as f64 / self.speed) as i64
    }

    pub fn ended(&self) -> Option<RunVerdict> {
        let v = self.validation.verdict();
        (v != RunVerdict::Validating && self.started_ms.is_some()).then_some(v)
    }

    pub fn window_index(&self, w: Window) -> Option<usize> {
        self.validation.spans().iter().position(|s| s.window == w)
    }

    /// Replays what an earlier process recorded.
    pub(super) fn replay(&mut self, records: &[Record]) {
        for r in records {
            match &r.event {
                Event::ValidationStarted {
                    speed,
                    resumed_at_ms,
                    ..
                } => {
                    if self.started_ms.is_none() {
                        self.started_ms = Some(self.origin_ms.min(r.ts_ms));
                        self.speed = *speed;
                    }
                    if let Some(at) = resumed_at_ms {
                        let now = Duration::from_millis(*at);
                        self.validation.resumed(self.last_at.unwrap_or(now), now);
                    }
                }
                Event::ValidationSample {
                    window,
                    source,
                    at_ms,
                    outcome,
                    value,
                    message,
                } => {
                    let at = Duration::from_millis(*at_ms);
                    self.validation.tick(at);
                    let k = self.specs.iter().position(|s| &s.name == source);
                    if let (Some(w), Some(k)) = (self.window_index(*window), k) {
                        let sample = Sample {
                            at,
                            outcome: *outcome,
                            value: value.clone(),
                            message: message.clone(),
                        };
                        self.validation.record(w, k, sample);
                    }
                    self.last_at = Some(at);
                }
                Event::ValidationWindow { at_ms, .. } | Event::ValidationLeft { at_ms, .. } => {
                    self.validation.tick(Duration::from_millis(*at_ms));
                    self.last_at = Some(Duration::from_millis(*at_ms));
                }
                _ => {}
            }
        }
    }

    /// Begins (or goes on with) the windows; `skipped` records them all as not run.
    pub fn start(
        &mut self,
        now_ms: i64,
        skipped: Option<&str>,
    ) -> Result<Vec<(usize, WindowVerdict)>, String> {
        let resumed = self.started_ms.is_some();
        if !resumed {
            self.started_ms = Some(self.origin_ms.min(now_ms));
        }
        let now = self.clock(now_ms);
        let event = Event::ValidationStarted {
            windows: self
                .validation
                .spans()
                .iter()
                .map(|s| (s.window, s.until.as_millis() as u64))
                .collect(),
            sources: self.specs.iter().map(|s| s.name.clone()).collect(),
            speed: self.speed,
            resumed_at_ms: resumed.then_some(now.as_millis() as u64),
            skipped: skipped.map(str::to_string),
        };
        self.append(now_ms, event)?;
        let changed = match skipped {
            Some(why) => self.validation.stop(why),
            None if resumed => self.validation.resumed(self.last_at.unwrap_or(now), now),
            None => self.validation.tick(now),
        };
        self.settle(now_ms, changed)
    }

    /// Brings the windows up to now.
    pub fn tick(&mut self, now_ms: i64) -> Result<Vec<(usize, WindowVerdict)>, String> {
        let changed = self.validation.tick(self.clock(now_ms));
        self.settle(now_ms, changed)
    }

    /// Records a sample of source `k` taken in window `w`; returns the source's new verdict
    /// and the windows that changed, for the caller to `settle` once it has recorded what
    /// the sample led to (a re-alert).
    pub fn sample(
        &mut self,
        now_ms: i64,
        w: usize,
        k: usize,
        sample: Sample,
    ) -> Result<(Option<Verdict>, Changed), String> {
        if self.validation.current() != Some(w) {
            return Ok((None, Vec::new()));
        }
        self.append(
            now_ms,
            Event::ValidationSample {
                window: self.validation.spans()[w].window,
                source: self.specs[k].name.clone(),
                at_ms: sample.at.as_millis() as u64,
                outcome: sample.outcome,
                value: sample.value.clone(),
                message: sample.message.clone(),
            },
        )?;
        Ok(self.validation.record(w, k, sample))
    }

    /// The operator leaves with windows open.
    pub fn leave(&mut self, now_ms: i64, reason: &str) -> Result<(), String> {
        let at_ms = self.clock(now_ms).as_millis() as u64;
        self.append(
            now_ms,
            Event::ValidationLeft {
                at_ms,
                reason: reason.into(),
            },
        )
    }

    /// Records a notifier's end, like the run does.
    pub fn record(&mut self, now_ms: i64, event: Event) -> Result<(), String> {
        self.append(now_ms, event)
    }

    /// Records window verdicts, and the end once every window is judged.
    pub fn settle(
        &mut self,
        now_ms: i64,
        changed: Vec<(usize, WindowVerdict)>,
    ) -> Result<Vec<(usize, WindowVerdict)>, String> {
        let at_ms = self.clock(now_ms).as_millis() as u64;
        for (w, verdict) in &changed {
            let window = self.validation.spans()[*w].window;
            self.append(
                now_ms,
                Event::ValidationWindow {
                    window,
                    at_ms,
                    verdict: verdict.clone(),
                },
            )?;
        }
        if !changed.is_empty()
            && let Some(verdict) = self.ended()
        {
            self.append(now_ms, Event::ValidationEnded { verdict })?;
        }
        Ok(changed)
    }

    fn append(&mut self, now_ms: i64, event: Event) -> Result<(), String> {
        let event = self.mask.masked(event);
        let elapsed = (now_ms - self.started_ms.unwrap_or(now_ms)).max(0) as u64;
        self.journal
            .append(now_ms, elapsed, self.mode, &self.operator, event)
            .map(|_| ())
            .map_err(|e| e.0)
    }
}

/// A sample of a drill: nothing is run, the window plays out on the drill clock.
pub fn simulated(at: Duration) -> Sample {
    Sample {
        at,
        outcome: Outcome::Success,
        value: None,
        message: Some("simulated in a drill: nothing is run".into()),
    }
}

//! Post-rollback validation windows (PURE). The windows follow each other from the run's
//! end; in each, every source (a post-check of that window, or one of the plan's triggers,
//! re-evaluated afresh) is a trigger window of its own (`window::Window`). Time is an input:
//! offsets on the validation clock (drill time when scaled). A window passes only if it
//! reached its end watched, and every source in it gave conclusive samples, ended on one
//! (not on a probe error) and never fired; a window that could not run, or ran blind, is
//! *not run*, never passed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::window::{Limits, Sample, Verdict, Window as Samples};
use crate::plan::Window;

/// One window's stretch of the validation clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub window: Window,
    pub from: Duration,
    pub until: Duration,
}

/// The spans of consecutive windows ending at `ends`.
pub fn spans(ends: &[(Window, Duration)]) -> Vec<Span> {
    let mut from = Duration::ZERO;
    ends.iter()
        .map(|&(window, until)| {
            let s = Span {
                window,
                from,
                until,
            };
            from = until;
            s
        })
        .collect()
}

/// Something sampled: in one window (a post-check) or in every window (a trigger).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    pub only: Option<Window>,
    pub limits: Limits,
}

/// Where one window stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WindowVerdict {
    Pending,
    Running,
    Passed,
    /// A check failed or a trigger fired: the rollback did not hold.
    Regressed {
        source: String,
    },
    /// The window could not be judged: why.
    NotRun {
        why: String,
    },
}

impl WindowVerdict {
    pub fn word(&self) -> &'static str {
        match self {
            WindowVerdict::Pending => "pending",
            WindowVerdict::Running => "running",
            WindowVerdict::Passed => "passed",
            WindowVerdict::Regressed { .. } => "regressed",
            WindowVerdict::NotRun { .. } => "not run",
        }
    }
    pub fn closed(&self) -> bool {
        !matches!(self, WindowVerdict::Pending | WindowVerdict::Running)
    }
}

/// The run's validation as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunVerdict {
    Validating,
    Validated,
    Regressed,
    NotValidated,
}

impl RunVerdict {
    pub fn word(self) -> &'static str {
        match self {
            RunVerdict::Validating => "validating",
            RunVerdict::Validated => "validated",
            RunVerdict::Regressed => "regressed",
            RunVerdict::NotValidated => "not validated",
        }
    }
}

/// The run's verdict from its windows' verdicts.
pub fn run_verdict<'a>(verdicts: impl IntoIterator<Item = &'a WindowVerdict>) -> RunVerdict {
    let (mut open, mut all_passed, mut any) = (false, true, false);
    for v in verdicts {
        any = true;
        match v {
            WindowVerdict::Regressed { .. } => return RunVerdict::Regressed,
            WindowVerdict::Pending | WindowVerdict::Running => open = true,
            WindowVerdict::NotRun { .. } => all_passed = false,
            WindowVerdict::Passed => {}
        }
    }
    match (open, all_passed) {
        (true, _) => RunVerdict::Validating,
        (false, true) if any => RunVerdict::Validated,
        (false, _) => RunVerdict::NotValidated,
    }
}

/// Windows whose verdict changed, by index.
pub type Changed = Vec<(usize, WindowVerdict)>;

/// The validation state machine.
#[derive(Debug, Clone)]
pub struct Validation {
    spans: Vec<Span>,
    sources: Vec<Source>,
    verdicts: Vec<WindowVerdict>,
    /// The window being sampled, and its sources' trigger windows.
    current: usize,
    open: Vec<(usize, Samples)>,
}

impl Validation {
    pub fn new(spans: Vec<Span>, sources: Vec<Source>) -> Validation {
        let verdicts = vec![WindowVerdict::Pending; spans.len()];
        Validation {
            spans,
            sources,
            verdicts,
            current: 0,
            open: Vec::new(),
        }
    }

    pub fn spans(&self) -> &[Span] {
        &self.spans
    }
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }
    pub fn verdicts(&self) -> &[WindowVerdict] {
        &self.verdicts
    }
    pub fn verdict(&self) -> RunVerdict {
        run_verdict(&self.verdicts)
    }
    /// The window being sampled, if one is.
    pub fn current(&self) -> Option<usize> {
        (self.verdicts.get(self.current) == Some(&WindowVerdict::Running)).then_some(self.current)
    }

    /// Brings the windows up to `now`: closes those whose end passed, opens the one `now`
    /// falls in. Returns the windows whose verdict changed.
    pub fn tick(&mut self, now: Duration) -> Vec<(usize, WindowVerdict)> {
        let mut changed = Vec::new();
        while self.current < self.spans.len() {
            let i = self.current;
            let span = self.spans[i];
            if self.verdicts[i].closed() {
                self.current += 1;
                continue;
            }
            if self.verdicts[i] == WindowVerdict::Pending {
                if now >= span.until {
                    // Its whole stretch passed unwatched (validation was not running).
                    let why =
                        "nobody was watching while it ran (validation was stopped or interrupted)";
                    changed.extend(self.close(i, not_run(why)));
                    continue;
                }
                self.open = self
                    .sources
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.only.is_none_or(|w| w == span.window))
                    .map(|(k, s)| (k, Samples::new(s.limits, span.from.max(now))))
                    .collect();
                self.verdicts[i] = WindowVerdict::Running;
                changed.push((i, WindowVerdict::Running));
            }
            if now < span.until {
                break;
            }
            let verdict = self.judge();
            changed.extend(self.close(i, verdict));
        }
        changed
    }

    /// Sources of the current window whose sample is due at `now`.
    pub fn due(&self, now: Duration) -> Vec<usize> {
        match self.current() {
            Some(_) => self
                .open
                .iter()
                .filter(|(_, w)| w.is_due(now))
                .map(|(k, _)| *k)
                .collect(),
            None => Vec::new(),
        }
    }

    /// When something next happens: a sample falls due or the current window ends.
    pub fn next_wake(&self) -> Option<Duration> {
        let i = self.current()?;
        let end = self.spans[i].until;
        let due = self.open.iter().filter_map(|(_, w)| w.next_due()).min();
        Some(due.map_or(end, |d| d.min(end)))
    }

    /// A sample of `source` taken in window `window`. Returns the source's new verdict and
    /// the window's, when either changed. Late samples (their window closed) are dropped.
    pub fn record(
        &mut self,
        window: usize,
        source: usize,
        sample: Sample,
    ) -> (Option<Verdict>, Changed) {
        if self.current() != Some(window) {
            return (None, Vec::new());
        }
        let Some((_, w)) = self.open.iter_mut().find(|(k, _)| *k == source) else {
            return (None, Vec::new());
        };
        let changed = w.record(sample);
        if matches!(changed, Some(Verdict::Fired { .. })) {
            let name = self.sources[source].name.clone();
            let closed = self.close(window, WindowVerdict::Regressed { source: name });
            return (changed, closed);
        }
        (changed, Vec::new())
    }

    /// Validation went on after an interruption (the process was stopped at `left` and
    /// continues at `now`): a window whose end passed meanwhile is not run; the one still
    /// open samples again from `now`.
    pub fn resumed(&mut self, left: Duration, now: Duration) -> Vec<(usize, WindowVerdict)> {
        let Some(i) = self.current() else {
            return self.tick(now);
        };
        if now >= self.spans[i].until {
            let why = format!(
                "validation was interrupted at {} and the window ended unwatched",
                crate::plan::duration::format(left)
            );
            let mut changed = self.close(i, not_run(&why));
            changed.extend(self.tick(now));
            return changed;
        }
        for (k, w) in self.open.iter_mut() {
            let mut fresh = Samples::new(self.sources[*k].limits, now);
            for s in w.samples() {
                fresh.record(s.clone());
            }
            *w = fresh;
        }
        self.tick(now)
    }

    /// Validation stops (the operator skipped it, or a window regressed): every window not
    /// yet judged is not run.
    pub fn stop(&mut self, why: &str) -> Vec<(usize, WindowVerdict)> {
        let open: Vec<usize> = (0..self.spans.len())
            .filter(|&i| !self.verdicts[i].closed())
            .collect();
        open.into_iter()
            .flat_map(|i| self.close(i, not_run(why)))
            .collect()
    }

    /// The sources of the current window, with their verdicts, for display.
    pub fn watching(&self) -> impl Iterator<Item = (&Source, &Verdict)> {
        self.open
            .iter()
            .map(|(k, w)| (&self.sources[*k], w.verdict()))
    }

    fn close(&mut self, i: usize, verdict: WindowVerdict) -> Vec<(usize, WindowVerdict)> {
        let mut changed = vec![(i, verdict.clone())];
        self.verdicts[i] = verdict.clone();
        if i == self.current {
            self.open.clear();
            self.current += 1;
        }
        if matches!(verdict, WindowVerdict::Regressed { .. }) {
            // Later windows are not run: a regression needs a person, not more samples.
            let why = format!(
                "validation stopped: the {} window regressed",
                self.spans[i].window.name()
            );
            for j in i + 1..self.spans.len() {
                if !self.verdicts[j].closed() {
                    self.verdicts[j] = not_run(&why);
                    changed.push((j, self.verdicts[j].clone()));
                }
            }
            self.current = self.spans.len();
        }
        changed
    }

    /// The current window at its end.
    fn judge(&self) -> WindowVerdict {
        if self.open.is_empty() {
            return not_run("nothing to sample in this window");
        }
        for (k, w) in &self.open {
            let name = &self.sources[*k].name;
            let why = match w.verdict() {
                // What it saw was well, but its last word was an error: it cannot vouch for
                // the window's end.
                Verdict::Healthy | Verdict::Failing { .. } if w.errors_in_a_row() > 0 => {
                    let last = match w.errors_in_a_row() {
                        1 => "its last sample was a probe error".to_string(),
                        n => format!("its last {n} samples were probe errors"),
                    };
                    format!("`{name}` could not see at the window's end ({last})")
                }
                Verdict::Healthy | Verdict::Failing { .. } => continue,
                Verdict::Fired { .. } => {
                    return WindowVerdict::Regressed {
                        source: name.clone(),
                    };
                }
                Verdict::Waiting => format!("`{name}` gave no conclusive sample"),
                Verdict::Blind { errors } => {
                    format!("`{name}` was blind ({errors} probe errors in a row)")
                }
                Verdict::Ask => format!("`{name}` was inconclusive and nobody judged it"),
            };
            return not_run(&why);
        }
        WindowVerdict::Passed
    }
}

fn not_run(why: &str) -> WindowVerdict {
    WindowVerdict::NotRun { why: why.into() }
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;

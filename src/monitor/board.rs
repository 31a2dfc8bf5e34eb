//! Every trigger of a watch with its window, recent values and pause switch, and the
//! severity policy over them: the state the watch screen and the headless lines show. PURE:
//! samples and time come in, changes come out; the watch loop asks the probes.

use std::collections::VecDeque;
use std::time::Duration;

use super::policy::{Action, Pending, Policy};
use super::spec::Spec;
use super::window::{Sample, Verdict, Window};

/// Values kept per trigger for its sparkline.
pub const HISTORY: usize = 40;

/// One trigger as the watch shows it.
#[derive(Debug)]
pub struct Row {
    pub spec: Spec,
    pub window: Window,
    pub paused: bool,
    /// A probe is out asking.
    pub busy: bool,
    pub last: Option<Sample>,
    /// When its window fired.
    pub fired_at: Option<Duration>,
    /// Recent numeric values, oldest first.
    pub history: VecDeque<f64>,
}

impl Row {
    /// The state word the screen shows.
    pub fn state(&self) -> String {
        if self.paused {
            return "paused".into();
        }
        match self.window.verdict() {
            Verdict::Waiting => "waiting".into(),
            Verdict::Healthy => "ok".into(),
            Verdict::Failing { failures, count } => format!("failing {failures} of {count}"),
            Verdict::Blind { .. } => "error".into(),
            Verdict::Ask => "inconclusive".into(),
            Verdict::Fired { .. } => "fired".into(),
        }
    }
}

/// What changed, for the faces to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A trigger's verdict changed with this sample.
    Verdict {
        trigger: usize,
        verdict: Verdict,
        sample: Sample,
    },
    /// The policy acted.
    Policy(Action),
}

#[derive(Debug)]
pub struct Board {
    pub rows: Vec<Row>,
    pub policy: Policy,
}

impl Board {
    pub fn new(specs: Vec<Spec>, start: Duration) -> Board {
        let rows = specs
            .into_iter()
            .map(|spec| Row {
                window: Window::new(spec.limits, start),
                spec,
                paused: false,
                busy: false,
                last: None,
                fired_at: None,
                history: VecDeque::new(),
            })
            .collect();
        Board {
            rows,
            policy: Policy::default(),
        }
    }

    /// The next sample to take: when and for which trigger (paused and busy ones wait).
    pub fn next_due(&self) -> Option<(Duration, usize)> {
        if self.policy.started().is_some() {
            return None;
        }
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.paused && !r.busy)
            .filter_map(|(i, r)| r.window.next_due().map(|due| (due, i)))
            .min()
    }

    /// Takes a sample's answer in, judged at `now`.
    pub fn record(
        &mut self,
        trigger: usize,
        answer: Result<serde_json::Value, String>,
        now: Duration,
    ) -> Vec<Change> {
        let row = &mut self.rows[trigger];
        row.busy = false;
        let sample = row.spec.judge(now, answer);
        if let Some(v) = sample.value.as_ref().and_then(number) {
            if row.history.len() == HISTORY {
                row.history.pop_front();
            }
            row.history.push_back(v);
        }
        row.last = Some(sample.clone());
        if row.paused {
            return vec![];
        }
        let Some(verdict) = row.window.record(sample.clone()) else {
            return vec![];
        };
        let mut changes = vec![Change::Verdict {
            trigger,
            verdict: verdict.clone(),
            sample,
        }];
        if matches!(verdict, Verdict::Fired { .. }) {
            self.rows[trigger].fired_at = Some(now);
            let spec = &self.rows[trigger].spec;
            let actions = self
                .policy
                .fired(trigger, spec.severity, spec.cancel_window, now);
            changes.extend(actions.into_iter().map(Change::Policy));
        }
        changes
    }

    /// Time passed: a cancel window may have ended.
    pub fn tick(&mut self, now: Duration) -> Vec<Change> {
        self.policy
            .tick(now)
            .into_iter()
            .map(Change::Policy)
            .collect()
    }

    /// Pauses or resumes a trigger; a resumed one starts a fresh window.
    pub fn toggle_pause(&mut self, trigger: usize, now: Duration) {
        let row = &mut self.rows[trigger];
        row.paused = !row.paused;
        if !row.paused {
            row.window = Window::new(
                row.spec.limits,
                now.saturating_sub(row.spec.limits.initial_delay),
            );
        }
    }

    /// An operator cancels what a trigger is waiting on; it watches again with a fresh window.
    pub fn cancel(
        &mut self,
        trigger: usize,
        who: &str,
        why: &str,
        now: Duration,
    ) -> Result<Vec<Change>, String> {
        let actions = self.policy.cancel(trigger, who, why)?;
        let row = &mut self.rows[trigger];
        row.window = Window::new(
            row.spec.limits,
            now.saturating_sub(row.spec.limits.initial_delay),
        );
        row.fired_at = None;
        Ok(actions.into_iter().map(Change::Policy).collect())
    }

    /// An operator starts the rollback for a trigger (an answer, or by hand).
    pub fn start_by(&mut self, trigger: usize, who: &str) -> Vec<Change> {
        self.policy
            .start_by(trigger, who)
            .into_iter()
            .map(Change::Policy)
            .collect()
    }

    /// The first trigger waiting on an operator, if any.
    pub fn waiting(&self) -> Option<&Pending> {
        self.policy.pending().first()
    }
}

/// A sample's value as one number: the number itself, or the first series' value of a
/// Prometheus vector, or the size of a list (firing alerts).
pub fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::Array(items) => match items.first() {
            Some(first) if first.get("value").is_some() => first["value"].as_f64(),
            _ => Some(items.len() as f64),
        },
        _ => None,
    }
}

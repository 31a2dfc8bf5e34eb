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

    /// Takes a sample's answer in, judged here at `now` (a played answer: the plan's own).
    pub fn record(
        &mut self,
        trigger: usize,
        answer: Result<serde_json::Value, String>,
        now: Duration,
    ) -> Vec<Change> {
        let sample = self.rows[trigger].spec.judge(now, answer);
        self.record_sample(trigger, sample, now)
    }

    /// Takes in a sample judged apart (`Spec::judging`), as taken at `now`.
    pub fn record_sample(
        &mut self,
        trigger: usize,
        mut sample: Sample,
        now: Duration,
    ) -> Vec<Change> {
        sample.at = now;
        let row = &mut self.rows[trigger];
        row.busy = false;
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

    /// The first trigger whose inconclusive sample waits for a person's judgement.
    pub fn inconclusive(&self) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| !r.paused && *r.window.verdict() == Verdict::Ask)
    }

    /// Answers as `who` whatever waits on a person (a medium trigger's question, an
    /// inconclusive sample): roll back. A headless drill's trainee answers this way.
    pub fn answer_start(&mut self, who: &str, now: Duration) -> Vec<Change> {
        match (self.waiting(), self.inconclusive()) {
            (Some(Pending::Asking { trigger }), _) => {
                let trigger = *trigger;
                self.start_by(trigger, who)
            }
            (None, Some(t)) => self.judge(t, true, who, now),
            _ => vec![],
        }
    }

    /// A person judges an inconclusive trigger: bad starts the rollback in their name; good
    /// counts the sample as a success and the trigger watches on.
    pub fn judge(&mut self, trigger: usize, bad: bool, who: &str, now: Duration) -> Vec<Change> {
        let row = &mut self.rows[trigger];
        if *row.window.verdict() != Verdict::Ask {
            return vec![];
        }
        if bad {
            row.window.answer(true, now);
            row.fired_at = Some(now);
            return self.start_by(trigger, who);
        }
        match row.window.answer(false, now) {
            Some(verdict) => vec![Change::Verdict {
                trigger,
                verdict,
                sample: row.last.clone().unwrap_or(Sample {
                    at: now,
                    outcome: super::window::Outcome::Success,
                    value: None,
                    message: None,
                }),
            }],
            None => vec![],
        }
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

/// For tests here and in the faces: the board of the test plan with these triggers (YAML
/// list items).
#[cfg(test)]
pub(crate) fn test_board(triggers: &str) -> Board {
    let base = include_str!("../../tests/plans/base.yaml");
    let head = base.split("triggers:").next().unwrap();
    let text = format!("{head}triggers:\n{triggers}");
    let loaded = crate::plan::load::load_bytes("t.yaml", text.into_bytes()).unwrap();
    let specs = loaded
        .plan
        .triggers
        .iter()
        .map(|t| Spec::resolve(t).unwrap())
        .collect();
    Board::new(specs, Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::test_board as board;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    const TWO: &str = "  - name: a\n    command: x\n    interval: 10s\n    condition: result > 1.0\n    severity: critical\n  - name: b\n    command: y\n    interval: 10s\n    condition: result > 1.0\n    severity: high\n    cancel_window: 30s\n";

    #[test]
    fn a_critical_fire_is_a_start_and_nothing_is_sampled_after_it() {
        let mut b = board(TWO);
        assert_eq!(b.next_due(), Some((s(0), 0)));
        assert!(b.record(0, Ok(json!(0)), s(0)).len() == 1, "healthy");
        let changes = b.record(0, Ok(json!(5)), s(10));
        assert!(matches!(
            changes[0],
            Change::Verdict {
                verdict: Verdict::Fired { .. },
                ..
            }
        ));
        assert_eq!(
            changes[1],
            Change::Policy(Action::Start {
                trigger: 0,
                by: None
            })
        );
        assert_eq!(b.rows[0].state(), "fired");
        assert_eq!(b.next_due(), None);
        assert_eq!(b.rows[0].history, [0.0, 5.0]);
    }

    #[test]
    fn a_high_fire_counts_down_and_a_cancel_gives_a_fresh_window() {
        let mut b = board(TWO);
        let changes = b.record(1, Ok(json!(5)), s(0));
        assert_eq!(
            changes[1],
            Change::Policy(Action::Countdown {
                trigger: 1,
                ends: s(30)
            })
        );
        assert_eq!(b.tick(s(29)), vec![]);
        assert!(b.cancel(1, "ann", "", s(29)).is_err());
        assert_eq!(b.cancel(1, "ann", "noise", s(29)).unwrap().len(), 1);
        assert_eq!(b.tick(s(31)), vec![]);
        assert_eq!(b.rows[1].state(), "waiting");
        assert_eq!(b.rows[1].window.next_due(), Some(s(29)));
    }

    #[test]
    fn an_inconclusive_trigger_waits_for_a_person_either_way() {
        let t = "  - name: i\n    command: x\n    condition: result > 1.0\n    inconclusive: result < 0.0\n";
        let mut b = board(t);
        b.record(0, Ok(json!(-1)), s(0));
        assert_eq!(b.rows[0].state(), "inconclusive");
        assert_eq!(b.inconclusive(), Some(0));
        assert_eq!(b.tick(s(3600)), vec![], "never on its own");
        let good = b.judge(0, false, "ann", s(5));
        assert!(
            matches!(
                &good[0],
                Change::Verdict {
                    verdict: Verdict::Healthy,
                    ..
                }
            ),
            "{good:?}"
        );
        assert_eq!(b.inconclusive(), None);
        b.record(0, Ok(json!(-1)), s(10));
        assert_eq!(
            b.judge(0, true, "ann", s(12)),
            vec![Change::Policy(Action::Start {
                trigger: 0,
                by: Some("ann".into())
            })]
        );
        assert_eq!(b.rows[0].state(), "fired");
    }

    #[test]
    fn a_paused_trigger_is_not_sampled_and_ignores_a_late_answer() {
        let mut b = board(TWO);
        b.rows[0].busy = true;
        b.toggle_pause(0, s(0));
        assert_eq!(b.next_due(), Some((s(0), 1)), "the paused one waits");
        assert_eq!(b.record(0, Ok(json!(9)), s(1)), vec![]);
        assert_eq!(b.rows[0].state(), "paused");
        b.toggle_pause(0, s(40));
        assert_eq!(b.rows[0].window.next_due(), Some(s(40)));
        assert_eq!(b.rows[0].state(), "waiting");
    }

    #[test]
    fn an_error_shows_as_error_once_blind_and_numbers_come_from_lists_too() {
        let mut b = board(
            "  - name: e\n    command: x\n    consecutive_error_limit: 0\n    condition: result > 1.0\n",
        );
        b.record(0, Err("down".into()), s(0));
        assert_eq!(b.rows[0].state(), "error");
        assert_eq!(number(&json!([{"labels": {}, "value": 0.5}])), Some(0.5));
        assert_eq!(number(&json!([{"labels": {"a": "b"}}, {}])), Some(2.0));
        assert_eq!(number(&json!("x")), None);
    }
}

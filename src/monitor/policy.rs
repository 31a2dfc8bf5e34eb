//! The severity policy: what a fired trigger does. Critical starts the rollback at once;
//! high starts it when its cancel window ends unless an operator cancels (who and why are
//! kept); medium alerts and asks, and never starts on its own. Time is an input, so every
//! path is a table test; the watch carries out the actions.

use std::time::Duration;

use crate::plan::trigger::TriggerSeverity;

/// How long a high trigger waits for a cancel unless the trigger says otherwise.
pub const DEFAULT_CANCEL_WINDOW: Duration = Duration::from_secs(60);

/// A fired trigger waiting on the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// A high trigger's cancel window, running until `ends`.
    Countdown { trigger: usize, ends: Duration },
    /// A medium trigger: an operator is asked.
    Asking { trigger: usize },
}

impl Pending {
    pub fn trigger(&self) -> usize {
        match self {
            Pending::Countdown { trigger, .. } | Pending::Asking { trigger } => *trigger,
        }
    }
}

/// What the watch must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start the rollback for `trigger`; `by` is the operator who started it, `None` when
    /// the policy did.
    Start { trigger: usize, by: Option<String> },
    /// A cancel window opened: show its countdown.
    Countdown { trigger: usize, ends: Duration },
    /// Alert through the notify hooks and ask an operator.
    Ask { trigger: usize },
    /// An operator cancelled the countdown or declined: the trigger watches again.
    Cancelled {
        trigger: usize,
        who: String,
        why: String,
    },
}

/// Fired triggers waiting, and whether the rollback has started.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pending: Vec<Pending>,
    started: Option<usize>,
}

impl Policy {
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// The trigger that started the rollback, once one has.
    pub fn started(&self) -> Option<usize> {
        self.started
    }

    /// A trigger fired at `now`.
    pub fn fired(
        &mut self,
        trigger: usize,
        severity: TriggerSeverity,
        cancel_window: Duration,
        now: Duration,
    ) -> Vec<Action> {
        if self.started.is_some() || self.pending.iter().any(|p| p.trigger() == trigger) {
            return vec![];
        }
        match severity {
            TriggerSeverity::Critical => self.start(trigger, None),
            TriggerSeverity::High if cancel_window.is_zero() => self.start(trigger, None),
            TriggerSeverity::High => {
                let ends = now + cancel_window;
                self.pending.push(Pending::Countdown { trigger, ends });
                vec![Action::Countdown { trigger, ends }]
            }
            TriggerSeverity::Medium => {
                self.pending.push(Pending::Asking { trigger });
                vec![Action::Ask { trigger }]
            }
        }
    }

    /// Time passed: a cancel window that has ended starts the rollback.
    pub fn tick(&mut self, now: Duration) -> Vec<Action> {
        if self.started.is_some() {
            return vec![];
        }
        let expired = self
            .pending
            .iter()
            .filter_map(|p| match p {
                Pending::Countdown { trigger, ends } if *ends <= now => Some((*ends, *trigger)),
                _ => None,
            })
            .min();
        match expired {
            Some((_, trigger)) => self.start(trigger, None),
            None => vec![],
        }
    }

    /// The cancel window closest to its end: which trigger and the time left.
    pub fn countdown(&self, now: Duration) -> Option<(usize, Duration)> {
        self.pending
            .iter()
            .filter_map(|p| match p {
                Pending::Countdown { trigger, ends } => {
                    Some((*ends, *trigger, ends.saturating_sub(now)))
                }
                _ => None,
            })
            .min()
            .map(|(_, t, left)| (t, left))
    }

    /// An operator cancels a countdown or declines a question. Who and why are required:
    /// a cancel nobody can account for is refused.
    pub fn cancel(&mut self, trigger: usize, who: &str, why: &str) -> Result<Vec<Action>, String> {
        let (who, why) = (who.trim(), why.trim());
        if who.is_empty() || why.is_empty() {
            return Err("a cancel needs who cancels and why".into());
        }
        if self.started.is_some() {
            return Err("the rollback has already started".into());
        }
        let before = self.pending.len();
        self.pending.retain(|p| p.trigger() != trigger);
        if self.pending.len() == before {
            return Err("that trigger is not waiting on anyone".into());
        }
        Ok(vec![Action::Cancelled {
            trigger,
            who: who.to_string(),
            why: why.to_string(),
        }])
    }

    /// An operator starts the rollback: answering a question, cutting a countdown short, or
    /// by hand for any trigger.
    pub fn start_by(&mut self, trigger: usize, who: &str) -> Vec<Action> {
        if self.started.is_some() {
            return vec![];
        }
        self.start(trigger, Some(who.to_string()))
    }

    fn start(&mut self, trigger: usize, by: Option<String>) -> Vec<Action> {
        self.started = Some(trigger);
        self.pending.clear();
        vec![Action::Start { trigger, by }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TriggerSeverity::{Critical, High, Medium};

    const MIN: Duration = Duration::from_secs(60);

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn start(trigger: usize) -> Vec<Action> {
        vec![Action::Start { trigger, by: None }]
    }

    #[test]
    fn each_severity_does_what_the_standard_says() {
        // (severity, cancel window, actions when it fires at 10 s)
        let table: Vec<(TriggerSeverity, Duration, Vec<Action>)> = vec![
            (Critical, MIN, start(0)),
            (
                High,
                MIN,
                vec![Action::Countdown {
                    trigger: 0,
                    ends: s(70),
                }],
            ),
            (High, Duration::ZERO, start(0)),
            (Medium, MIN, vec![Action::Ask { trigger: 0 }]),
        ];
        for (severity, window, expected) in table {
            let mut p = Policy::default();
            assert_eq!(
                p.fired(0, severity, window, s(10)),
                expected,
                "{severity:?}"
            );
        }
    }

    #[test]
    fn a_high_trigger_starts_when_its_window_expires() {
        let mut p = Policy::default();
        p.fired(2, High, MIN, s(10));
        assert_eq!(p.countdown(s(40)), Some((2, s(30))));
        assert_eq!(p.tick(s(69)), vec![]);
        assert_eq!(p.tick(s(70)), start(2));
        assert_eq!(p.started(), Some(2));
        assert_eq!(p.countdown(s(71)), None);
        assert_eq!(p.tick(s(80)), vec![], "started once");
    }

    #[test]
    fn a_cancelled_window_never_starts_and_records_who_and_why() {
        let mut p = Policy::default();
        p.fired(1, High, MIN, s(0));
        assert!(p.cancel(1, "", "flaky").is_err(), "who is required");
        assert!(p.cancel(1, "alice", " ").is_err(), "why is required");
        assert_eq!(
            p.cancel(1, "alice", "known deploy noise"),
            Ok(vec![Action::Cancelled {
                trigger: 1,
                who: "alice".into(),
                why: "known deploy noise".into(),
            }])
        );
        assert_eq!(p.tick(s(3600)), vec![]);
        assert_eq!(p.started(), None);
        assert!(
            p.cancel(1, "bob", "again").is_err(),
            "nothing left to cancel"
        );
        // It may fire again later, with a new window.
        assert_eq!(p.fired(1, High, MIN, s(100)).len(), 1);
        assert_eq!(p.tick(s(160)), start(1));
    }

    #[test]
    fn a_medium_trigger_never_starts_on_its_own() {
        let mut p = Policy::default();
        p.fired(0, Medium, MIN, s(0));
        for t in [1, 60, 61, 3600, 86_400] {
            assert_eq!(p.tick(s(t)), vec![], "at {t}s");
        }
        assert_eq!(
            p.start_by(0, "carol"),
            vec![Action::Start {
                trigger: 0,
                by: Some("carol".into())
            }]
        );
    }

    #[test]
    fn critical_overrides_a_running_countdown_and_nothing_starts_twice() {
        let mut p = Policy::default();
        p.fired(0, High, MIN, s(0));
        p.fired(1, Medium, MIN, s(1));
        assert_eq!(p.pending().len(), 2);
        assert_eq!(p.fired(0, High, MIN, s(2)), vec![], "already waiting");
        assert_eq!(p.fired(2, Critical, MIN, s(5)), start(2));
        assert!(p.pending().is_empty());
        assert_eq!(p.fired(3, Critical, MIN, s(6)), vec![]);
        assert_eq!(p.start_by(0, "dave"), vec![]);
        assert!(p.cancel(0, "dave", "late").is_err());
    }

    #[test]
    fn the_earliest_of_two_windows_wins() {
        let mut p = Policy::default();
        p.fired(0, High, s(120), s(0));
        p.fired(1, High, s(30), s(10));
        assert_eq!(p.countdown(s(10)), Some((1, s(30))));
        assert_eq!(p.tick(s(40)), start(1));
    }
}

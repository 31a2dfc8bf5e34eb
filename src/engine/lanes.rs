//! Regions as lanes of one run. In a `for_each: region` phase each region's steps form a lane;
//! up to `parallel` lanes run at once, each lane one step at a time, and the phase ends when
//! every lane has. A lane that fails for good stops the others or not, as the phase's
//! `on_region_failure` says. Each region keeps its own clock (started, escalated, finished).

use super::event::Event;
use super::state::{RunState, Status, Waiting};
use super::undo::Undo;
use crate::plan::{RegionFailure, StepKind};

/// One region of the run and its own SLA clock.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionClock {
    pub name: String,
    /// When its first lane began.
    pub started_ms: Option<i64>,
    /// Its duration and whether it met its SLA, once every step of its lanes is settled.
    pub finished: Option<(u64, bool)>,
    pub escalation: u8,
    pub sla_breached: bool,
}

impl RegionClock {
    pub fn new(name: String) -> RegionClock {
        RegionClock {
            name,
            started_ms: None,
            finished: None,
            escalation: 1,
            sla_breached: false,
        }
    }

    /// Time on its clock at `now_ms` (stopped once it finished).
    /// On the run's clock, `speed` times faster in a drill (as the run's own elapsed time).
    pub fn elapsed_ms(&self, now_ms: i64, speed: f64) -> u64 {
        match (self.finished, self.started_ms) {
            (Some((d, _)), _) => d,
            (None, Some(t)) => {
                super::clock::drill_ms(u64::try_from(now_ms - t).unwrap_or(0), speed)
            }
            (None, None) => 0,
        }
    }
}

impl RunState {
    /// Whether a region other than step `i`'s is still to finish: only then does choosing
    /// what the other regions do mean anything.
    pub fn other_regions_left(&self, i: usize) -> bool {
        let failed = self.steps.get(i).and_then(|s| s.region.as_deref());
        self.regions
            .iter()
            .any(|r| Some(r.name.as_str()) != failed && r.finished.is_none())
    }

    /// What the step the run is on asks for, seen alone.
    pub(super) fn question(&self, i: usize) -> Waiting {
        let s = &self.steps[i];
        match s.status {
            Status::Running => Waiting::Running(i),
            Status::Interrupted if !s.retry_requested => Waiting::Interrupted(i),
            Status::Failed if s.retry_requested => Waiting::Ready(i),
            Status::Failed => match s.retry_due_ms {
                Some(due_ms) => Waiting::Retry { step: i, due_ms },
                None => Waiting::Failure(i),
            },
            _ if s.point_of_no_return && s.attempts.is_empty() && s.confirmed_by.is_none() => {
                Waiting::PointOfNoReturn(i)
            }
            _ => match s.kind {
                StepKind::Approve => Waiting::Approval(i),
                StepKind::Manual => Waiting::Manual(i),
                StepKind::Run | StepKind::Check => Waiting::Ready(i),
            },
        }
    }

    /// The step each lane of the phase at `from` is on, in region order.
    pub fn lane_heads(&self, from: usize) -> Vec<usize> {
        let phase = self.steps[from].phase;
        let mut heads: Vec<usize> = Vec::new();
        let mut lane = None;
        for (i, s) in self.steps.iter().enumerate().skip(from) {
            if s.phase != phase {
                break;
            }
            if s.lane != lane && s.selected && !s.status.settled() {
                lane = s.lane;
                heads.push(i);
            }
        }
        heads
    }

    /// Whether step `i`, failed for good, holds the other lanes back.
    fn stops_others(&self, i: usize) -> bool {
        let s = &self.steps[i];
        let policy = s.region_choice.unwrap_or(self.rules[s.phase].on_failure);
        s.failed_for_good() && policy != RegionFailure::Continue
    }

    /// The region policy in force for step `i`: the operator's choice, else the phase's.
    pub fn region_policy(&self, i: usize) -> RegionFailure {
        let s = &self.steps[i];
        s.region_choice.unwrap_or(self.rules[s.phase].on_failure)
    }

    /// What a lane phase waits for: a lane that can start (within `parallel`, unless a
    /// failed lane stops the others), else the running lanes, else the first lane's question.
    pub(super) fn lane_waiting(&self, from: usize) -> Waiting {
        let heads = self.lane_heads(from);
        let rule = self.rules[self.steps[from].phase];
        // Automatic retries are scheduled at once, whatever else runs.
        if let Some(&h) = heads.iter().find(|&&h| {
            let s = &self.steps[h];
            s.status == Status::Failed
                && !s.retry_requested
                && s.retry_due_ms.is_none()
                && s.retries_left()
        }) {
            return Waiting::Failure(h);
        }
        let running = heads
            .iter()
            .filter(|&&h| self.steps[h].status == Status::Running)
            .count();
        let stopper = heads.iter().copied().find(|&h| self.stops_others(h));
        // A point of no return in any lane holds every lane until it is confirmed: regions
        // must not cross it one by one behind the operator's back.
        let ponr = heads
            .iter()
            .map(|&h| self.question(h))
            .find(|w| matches!(w, Waiting::PointOfNoReturn(_)));
        if stopper.is_none() && ponr.is_none() && running < rule.parallel {
            let mut retry = None;
            for &h in &heads {
                match self.question(h) {
                    Waiting::Ready(i) => return Waiting::Ready(i),
                    w @ Waiting::Retry { .. } if retry.is_none() => retry = Some(w),
                    _ => {}
                }
            }
            if let Some(w) = retry {
                return w;
            }
        }
        if let Some(&h) = heads
            .iter()
            .find(|&&h| self.steps[h].status == Status::Running)
        {
            return Waiting::Running(h);
        }
        if let Some(w) = ponr {
            return w;
        }
        if let Some(h) = stopper {
            return match self.steps[h].region_choice {
                None if rule.on_failure == RegionFailure::Ask => Waiting::RegionFailure(h),
                _ => Waiting::Failure(h),
            };
        }
        heads
            .iter()
            .map(|&h| self.question(h))
            .find(|w| !matches!(w, Waiting::Ready(_)))
            .unwrap_or_else(|| self.question(from))
    }

    /// Whether every region met its own SLA, for a run with lanes: false once one missed
    /// it, true once all finished within it, unknown before (and for runs without lanes).
    pub fn regions_met(&self) -> Option<bool> {
        if !self.rules.iter().any(|r| r.lanes) || self.regions.is_empty() {
            return None;
        }
        if self
            .regions
            .iter()
            .any(|r| r.sla_breached || r.finished.is_some_and(|(_, met)| !met))
        {
            return Some(false);
        }
        self.regions
            .iter()
            .all(|r| r.finished.is_some())
            .then_some(true)
    }

    /// The ids of the alternative paths offered for step `i`, in the plan's order.
    pub fn alternatives_for(&self, i: usize) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for s in self.steps.iter().skip(i + 1) {
            match &s.alt_of {
                Some((o, id)) if *o == i => {
                    if !ids.contains(id) {
                        ids.push(id.clone());
                    }
                }
                _ => break,
            }
        }
        ids
    }

    /// Every selected step of `region`'s lanes settled (and it has some).
    pub fn region_done(&self, region: usize) -> bool {
        let mut any = false;
        for s in self
            .steps
            .iter()
            .filter(|s| s.lane == Some(region) && s.selected)
        {
            if !s.status.settled() {
                return false;
            }
            any = true;
        }
        any
    }

    /// Applies the events about regions and alternative paths.
    pub(super) fn apply_lane_event(&mut self, event: &Event, ts_ms: i64, undo: Option<&mut Undo>) {
        match event {
            Event::RegionStarted { region } => {
                if let Some(r) = self.region_mut(region) {
                    r.started_ms.get_or_insert(ts_ms);
                }
            }
            Event::RegionFinished {
                region,
                duration_ms,
                met,
                ..
            } => {
                if let Some(r) = self.region_mut(region) {
                    r.finished = Some((*duration_ms, *met));
                }
            }
            Event::RegionEscalated { region, level, .. } => {
                if let Some(r) = self.region_mut(region) {
                    r.escalation = r.escalation.max(*level);
                }
            }
            Event::RegionSlaBreached { region, .. } => {
                if let Some(r) = self.region_mut(region) {
                    r.sla_breached = true;
                }
            }
            Event::RegionPolicyChosen { step, choice, .. } => {
                if let Some(st) = self.step_mut(step) {
                    st.region_choice = Some(*choice);
                }
            }
            Event::AlternativeTaken {
                step,
                alternative,
                by,
                ..
            } => self.take_alternative(step, alternative, by, ts_ms, undo),
            _ => {}
        }
    }

    fn region_mut(&mut self, name: &str) -> Option<&mut RegionClock> {
        self.regions.iter_mut().find(|r| r.name == name)
    }

    /// The failed step is replaced by the alternative's steps, which join the run.
    fn take_alternative(
        &mut self,
        step: &str,
        alternative: &str,
        by: &str,
        ts_ms: i64,
        mut undo: Option<&mut Undo>,
    ) {
        let Some(i) = self.step_index(step) else {
            return;
        };
        let mut j = i + 1;
        while let Some(s) = self.steps.get(j)
            && s.alt_of.as_ref().is_some_and(|(o, _)| *o == i)
        {
            if s.alt_of.as_ref().is_some_and(|(_, a)| a == alternative) {
                if let Some(u) = undo.as_deref_mut() {
                    u.save(self, Some(j));
                }
                self.steps[j].selected = true;
            }
            j += 1;
        }
        self.paths_taken += 1;
        let st = &mut self.steps[i];
        st.status = Status::Replaced;
        st.alternative = Some((alternative.to_string(), by.to_string()));
        st.ended_ms = Some(ts_ms);
    }
}

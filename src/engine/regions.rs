//! Decisions about regions and alternative paths: each region's clock (started, escalated,
//! breached, finished against its own SLA), what a region's failure does to the others, and
//! the operator (or the plan) taking an alternative path.

use super::decide::Work;
use super::event::Event;
use super::expand::alternatives;
use super::input::Input;
use super::sla::{level_at, region_sla_ms};
use super::state::Waiting;
use crate::plan::RegionFailure;

impl Work<'_> {
    /// The region of step `i`'s lane starts its clock when the run first reaches it.
    pub(super) fn start_region(&mut self, i: usize) {
        let Some(lane) = self.st.steps[i].lane else {
            return;
        };
        if self.st.regions[lane].started_ms.is_none() {
            let region = self.st.regions[lane].name.clone();
            self.emit(Event::RegionStarted { region });
        }
    }

    /// Each started region's own ladder and SLA; a region whose lanes are all settled stops
    /// its clock and records whether it met its SLA.
    pub(super) fn region_clocks(&mut self) {
        let sla_ms = region_sla_ms(self.plan);
        let now = self.now();
        for r in 0..self.st.regions.len() {
            let clock = &self.st.regions[r];
            if clock.started_ms.is_none() || clock.finished.is_some() {
                continue;
            }
            let region = clock.name.clone();
            let elapsed = clock.elapsed_ms(now, self.st.speed());
            if self.st.region_done(r) {
                self.emit(Event::RegionFinished {
                    region,
                    duration_ms: elapsed,
                    sla_ms,
                    met: elapsed <= sla_ms,
                });
                continue;
            }
            let (level, _) = level_at(&self.ladder, elapsed);
            let rungs: Vec<(u8, String)> = self
                .ladder
                .iter()
                .filter(|x| *x.level > clock.escalation && *x.level <= level)
                .map(|x| (*x.level, x.action.clone()))
                .collect();
            let breached = clock.sla_breached;
            for (level, action) in rungs {
                let region = region.clone();
                self.emit(Event::RegionEscalated {
                    region,
                    level,
                    action,
                });
            }
            if !breached && elapsed >= sla_ms {
                self.emit(Event::RegionSlaBreached { region, sla_ms });
            }
        }
    }

    /// After an attempt ended: a lane's step that failed for good is recorded as its
    /// region's failure, with what that does to the others.
    pub(super) fn region_failure(&mut self, i: usize) {
        let s = &self.st.steps[i];
        let Some(region) = s.region.clone() else {
            return;
        };
        if !s.failed_for_good() {
            return;
        }
        let step = s.key.clone();
        let policy = self.st.rules[s.phase].on_failure;
        self.emit(Event::RegionFailed {
            region,
            step,
            policy,
        });
    }

    /// The operator's answers about regions and alternative paths.
    pub(super) fn answer_lane(&mut self, input: Input) {
        let waiting = self.st.waiting();
        match input {
            Input::ChooseRegionPolicy { by, choice } => match waiting {
                Waiting::RegionFailure(i) if choice != RegionFailure::Ask => {
                    let step = self.key(i);
                    self.emit(Event::RegionPolicyChosen { step, choice, by });
                }
                Waiting::RegionFailure(_) => self.refuse("choose stop_all or continue"),
                _ => self.refuse("no region failure waits for a choice"),
            },
            Input::TakeAlternative {
                by,
                alternative,
                automatic,
            } => {
                let i = match waiting {
                    Waiting::Failure(i) | Waiting::RegionFailure(i)
                        if self.st.steps[i].failed_for_good() =>
                    {
                        i
                    }
                    _ => return self.refuse("no failed step waits for a decision"),
                };
                let src = self.st.steps[i].src;
                let offered = alternatives(self.plan, &src);
                let Some((_, _, alt)) = offered.iter().find(|(_, _, a)| a.id.value == alternative)
                else {
                    return self.refuse(format!(
                        "{} has no alternative `{alternative}`",
                        self.key(i)
                    ));
                };
                let title = alt.title.clone();
                let step = self.key(i);
                self.emit(Event::AlternativeTaken {
                    step,
                    alternative,
                    title,
                    by,
                    automatic,
                });
            }
            _ => unreachable!("answer_lane is given only its own inputs"),
        }
    }
}

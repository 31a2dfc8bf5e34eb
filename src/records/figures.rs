//! The team's figures: per plan and overall, over the runs a [`Select`] takes — runs by
//! mode, success, SLA met, automated share, median and p95 duration (whole run and per
//! phase), retries and failures on the way, escalation levels reached, time since the last
//! rehearsal — each with the standard's criteria judged.
//!
//! Each duration figure keeps to one clock: live runs and rehearsals in real time; drills
//! apart from them, on the drill clock they were played on (a drill's real time says nothing
//! of how long the rollback takes).

use std::collections::BTreeMap;

use serde::Serialize;

use super::criteria::{Counts, Criterion, judge, pct};
use super::{RunSummary, Select};
use crate::engine::Mode;
use crate::engine::tally::FailureCounts;
use crate::report::{RunOutcome, Timestamp};

/// Median and 95th percentile (nearest rank) of a set of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub runs: u32,
    pub median_ms: u64,
    pub p95_ms: u64,
}

impl Spread {
    /// `None` for no values. Sorts `values`.
    pub fn of(values: &mut [u64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        let rank = |p: usize| values[(values.len() * p).div_ceil(100).max(1) - 1];
        Some(Spread {
            runs: values.len() as u32,
            median_ms: rank(50),
            p95_ms: rank(95),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseSpread {
    pub phase: String,
    #[serde(flatten)]
    pub spread: Spread,
}

/// Runs that reached an escalation level (as their highest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LevelReached {
    pub level: u8,
    pub runs: u32,
}

/// The figures of one set of runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub runs: u32,
    pub live: u32,
    pub rehearsal: u32,
    pub drill: u32,
    pub completed: u32,
    pub failed: u32,
    pub aborted: u32,
    /// Of the failed: runs left unfinished after a failure, past their SLA.
    pub left: u32,
    pub success_pct: Option<f64>,
    pub sla_met_pct: Option<f64>,
    pub automated_pct: Option<f64>,
    pub retries: u32,
    pub attempts: u32,
    /// Failed attempts, and steps that failed for good by what became of them, summed over
    /// the runs (a completed run counts its failures on the way here).
    pub failures: FailureCounts,
    /// Whole run, live runs and rehearsals, real time.
    pub duration: Option<Spread>,
    /// Per phase, live runs and rehearsals, real time.
    pub phases: Vec<PhaseSpread>,
    /// Whole run, drills only, on the drill clock.
    pub drill_duration: Option<Spread>,
    /// Per phase, drills only, on the drill clock.
    pub drill_phases: Vec<PhaseSpread>,
    pub escalations: Vec<LevelReached>,
    /// Start of the latest rehearsal, whatever `--since` says.
    pub last_rehearsal: Option<Timestamp>,
    pub since_last_rehearsal_ms: Option<u64>,
    pub criteria: Vec<Criterion>,
}

impl Figures {
    pub fn all_met(&self) -> bool {
        self.criteria.iter().all(|c| c.met != Some(false))
    }
}

/// Overall and per plan (by name), with the runs the selection left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub overall: Figures,
    pub plans: BTreeMap<String, Figures>,
    /// Drills not counted because drills were not asked for.
    pub drills_excluded: u32,
}

/// Folds `runs` into figures. The last rehearsal is looked up over every run of the
/// plan(s), since a rehearsal is evidence however old the window asked for.
pub fn stats(runs: &[RunSummary], select: &Select, now_ms: i64) -> Stats {
    let taken: Vec<&RunSummary> = runs.iter().filter(|r| select.takes(r)).collect();
    let drills_excluded = if select.include_drills {
        0
    } else {
        let as_drills = Select {
            include_drills: true,
            ..select.clone()
        };
        runs.iter()
            .filter(|r| r.mode == Mode::Drill && as_drills.takes(r))
            .count() as u32
    };
    let mut by_plan: BTreeMap<&str, Vec<&RunSummary>> = BTreeMap::new();
    for r in &taken {
        by_plan.entry(r.plan.as_str()).or_default().push(r);
    }
    let rehearsed = |plan: Option<&str>| {
        runs.iter()
            .filter(|r| r.mode == Mode::Rehearsal && plan.is_none_or(|p| r.plan == p))
            .filter(|r| select.plan_matches(Some(&r.plan)))
            .map(|r| r.started_ms)
            .max()
    };
    Stats {
        overall: figures(&taken, rehearsed(None), now_ms),
        plans: by_plan
            .into_iter()
            .map(|(plan, rs)| {
                (
                    plan.to_string(),
                    figures(&rs, rehearsed(Some(plan)), now_ms),
                )
            })
            .collect(),
        drills_excluded,
    }
}

fn figures(runs: &[&RunSummary], last_rehearsal_ms: Option<i64>, now_ms: i64) -> Figures {
    let count = |f: &dyn Fn(&RunSummary) -> bool| runs.iter().filter(|r| f(r)).count() as u32;
    let sum = |f: &dyn Fn(&RunSummary) -> u32| runs.iter().map(|r| f(r)).sum::<u32>();
    let counts = Counts {
        runs: runs.len() as u32,
        completed: count(&|r| r.outcome == RunOutcome::Completed),
        failed: count(&|r| r.outcome == RunOutcome::Failed),
        sla_measured: count(&|r| r.within_sla.is_some()),
        sla_met: count(&|r| r.within_sla == Some(true)),
        steps_selected: sum(&|r| r.steps_selected),
        steps_automated: sum(&|r| r.steps_automated),
    };
    let mut levels: BTreeMap<u8, u32> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.escalation > 0) {
        *levels.entry(r.escalation).or_default() += 1;
    }
    let (drills, real): (Vec<&RunSummary>, Vec<&RunSummary>) =
        runs.iter().partition(|r| r.mode == Mode::Drill);
    let mut failures = FailureCounts::default();
    for r in runs {
        failures.add(&r.failures);
    }
    let f = Figures {
        runs: counts.runs,
        live: count(&|r| r.mode == Mode::Live),
        rehearsal: count(&|r| r.mode == Mode::Rehearsal),
        drill: count(&|r| r.mode == Mode::Drill),
        completed: counts.completed,
        failed: counts.failed,
        aborted: count(&|r| r.outcome == RunOutcome::Aborted),
        left: count(&|r| r.left),
        success_pct: None,
        sla_met_pct: None,
        automated_pct: None,
        retries: sum(&|r| r.retries),
        attempts: sum(&|r| r.attempts),
        failures,
        duration: Spread::of(&mut real.iter().map(|r| r.duration_ms).collect::<Vec<_>>()),
        phases: phase_spreads(&real),
        drill_duration: Spread::of(&mut drills.iter().map(|r| r.duration_ms).collect::<Vec<_>>()),
        drill_phases: phase_spreads(&drills),
        escalations: levels
            .into_iter()
            .map(|(level, runs)| LevelReached { level, runs })
            .collect(),
        last_rehearsal: None,
        since_last_rehearsal_ms: None,
        criteria: Vec::new(),
    };
    finish(f, &counts, last_rehearsal_ms, now_ms)
}

/// What follows from the counts, for figures folded here or aggregated elsewhere (the
/// store's SQL): the shares, the criteria judged, and the time since the last rehearsal.
pub fn finish(
    mut f: Figures,
    counts: &Counts,
    last_rehearsal_ms: Option<i64>,
    now_ms: i64,
) -> Figures {
    f.success_pct = pct(counts.completed, counts.runs);
    f.sla_met_pct = pct(counts.sla_met, counts.sla_measured);
    f.automated_pct = pct(counts.steps_automated, counts.steps_selected);
    f.last_rehearsal = last_rehearsal_ms.map(Timestamp);
    f.since_last_rehearsal_ms = last_rehearsal_ms.map(|t| u64::try_from(now_ms - t).unwrap_or(0));
    f.criteria = judge(counts);
    f
}

/// Each phase's spread, in the order phases first appear; a drill's phases on its clock.
fn phase_spreads(runs: &[&RunSummary]) -> Vec<PhaseSpread> {
    let mut phases: Vec<(String, Vec<u64>)> = Vec::new();
    for r in runs {
        for (id, ms) in &r.phases {
            let Some(ms) = ms else { continue };
            let ms = r.on_its_clock(*ms);
            match phases.iter_mut().find(|(p, _)| p == id) {
                Some((_, v)) => v.push(ms),
                None => phases.push((id.clone(), vec![ms])),
            }
        }
    }
    phases
        .into_iter()
        .filter_map(|(phase, mut v)| {
            Some(PhaseSpread {
                phase,
                spread: Spread::of(&mut v)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::testkit::{DAY, NOW, runs};

    #[test]
    fn median_and_p95_are_nearest_rank() {
        let mut v: Vec<u64> = (1..=20).rev().collect();
        let s = Spread::of(&mut v).unwrap();
        assert_eq!((s.runs, s.median_ms, s.p95_ms), (20, 10, 19));
        assert_eq!(Spread::of(&mut [7]).unwrap().p95_ms, 7);
        assert_eq!(Spread::of(&mut []), None);
    }

    #[test]
    fn drills_are_left_out_unless_asked_and_said_to_be() {
        let mut rs = runs(3);
        rs[2].mode = Mode::Drill;
        rs[2].outcome = RunOutcome::Failed;
        let s = stats(&rs, &Select::default(), NOW);
        assert_eq!(
            (s.overall.runs, s.overall.failed, s.drills_excluded),
            (2, 0, 1)
        );
        assert!(s.overall.all_met());
        let all = Select {
            include_drills: true,
            ..Select::default()
        };
        let s = stats(&rs, &all, NOW);
        assert_eq!(
            (s.overall.runs, s.overall.drill, s.drills_excluded),
            (3, 1, 0)
        );
        assert!(!s.overall.all_met());
    }

    #[test]
    fn figures_per_plan_and_overall() {
        let mut rs = runs(4);
        rs[0].plan = "q".into();
        rs[0].within_sla = Some(false);
        rs[0].escalation = 2;
        rs[1].mode = Mode::Rehearsal;
        rs[1].retries = 3;
        rs[2].outcome = RunOutcome::Aborted;
        rs[3].phases[1].1 = Some(300_000);
        let s = stats(&rs, &Select::default(), NOW);
        let o = &s.overall;
        assert_eq!(
            (o.runs, o.live, o.rehearsal, o.completed, o.aborted),
            (4, 3, 1, 3, 1)
        );
        assert_eq!(
            (o.success_pct, o.sla_met_pct, o.retries),
            (Some(75.0), Some(75.0), 3)
        );
        assert_eq!(o.escalations, [LevelReached { level: 2, runs: 1 }]);
        let exec = &o.phases[1];
        assert_eq!(
            (
                exec.phase.as_str(),
                exec.spread.median_ms,
                exec.spread.p95_ms
            ),
            ("execute", 100_000, 300_000)
        );
        assert_eq!(
            o.since_last_rehearsal_ms,
            Some((NOW - rs[1].started_ms) as u64)
        );
        assert_eq!(s.plans.keys().collect::<Vec<_>>(), ["p", "q"]);
        assert_eq!(s.plans["q"].runs, 1);
        assert_eq!(s.plans["q"].since_last_rehearsal_ms, None);
        assert_eq!(s.plans["p"].sla_met_pct, Some(100.0));
    }

    #[test]
    fn since_and_plan_narrow_the_runs_but_not_the_last_rehearsal() {
        let mut rs = runs(3);
        rs[0].started_ms = NOW - 40 * DAY;
        rs[0].mode = Mode::Rehearsal;
        rs[2].plan = "q".into();
        let select = Select {
            since_ms: Some(NOW - 30 * DAY),
            plan: Some("p".into()),
            include_drills: false,
        };
        let s = stats(&rs, &select, NOW);
        assert_eq!(s.overall.runs, 1);
        assert_eq!(s.overall.last_rehearsal, Some(Timestamp(NOW - 40 * DAY)));
        assert_eq!(s.plans.len(), 1);
    }
}

//! The plan unrolled into the steps of one run, once, when the state is built: a phase with
//! `for_each: region` once per region of the run (a lane each, keys `phase.step@region`), and
//! each step's alternative paths right after it (`phase.step+alt.step`), left out of the run
//! until taken. The fold and `decide` then see plain steps, and a replay unrolls the same.

use super::selection::{run_regions, selected_steps};
use super::step::{Status, StepState};
use crate::plan::{Alternative, ForEach, Phase, Plan, RegionFailure, Step};

/// Where a step of the run is written in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepRef {
    pub phase: usize,
    /// Index of the step in its phase.
    pub step: usize,
    /// For a step of an alternative path: which alternative, and which of its steps.
    pub alt: Option<AltRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AltRef {
    /// The phase's alternatives rather than the step's own.
    pub on_phase: bool,
    pub index: usize,
    pub step: usize,
}

/// How a phase treats regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseRule {
    /// Runs once per region (`for_each: region`).
    pub lanes: bool,
    /// Regions worked on at once.
    pub parallel: usize,
    pub on_failure: RegionFailure,
}

/// The steps of a run, the rule of each phase, and the regions it covers.
pub struct Expanded {
    pub steps: Vec<StepState>,
    pub rules: Vec<PhaseRule>,
    pub regions: Vec<String>,
}

/// The regions a run works on: the scenario's (or the plan's), narrowed to `chosen` when
/// regions were chosen at the start (`--region`).
pub fn regions_of_run(plan: &Plan, scenario: Option<&str>, chosen: &[String]) -> Vec<String> {
    run_regions(plan, scenario)
        .into_iter()
        .filter(|r| chosen.is_empty() || chosen.contains(r))
        .collect()
}

/// The rule a phase runs by: its own settings, else the plan's.
pub fn phase_rule(plan: &Plan, phase: &Phase) -> PhaseRule {
    let parallel = phase
        .parallel
        .as_ref()
        .or(plan.parallel.as_ref())
        .map_or(1, |p| p.value.max(1) as usize);
    let on_failure = phase
        .on_region_failure
        .as_ref()
        .or(plan.on_region_failure.as_ref())
        .map_or(RegionFailure::StopAll, |p| p.value);
    PhaseRule {
        lanes: phase
            .for_each
            .as_ref()
            .is_some_and(|f| f.value == ForEach::Region),
        parallel,
        on_failure,
    }
}

/// The alternatives offered when `step` fails for good: its own, then its phase's.
pub fn alternatives<'p>(plan: &'p Plan, r: &StepRef) -> Vec<(bool, usize, &'p Alternative)> {
    let Some(phase) = plan.phases.get(r.phase) else {
        return Vec::new();
    };
    if r.alt.is_some() {
        return Vec::new();
    }
    let own = phase.steps.get(r.step).map(|s| s.alternatives.as_slice());
    own.unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, a)| (false, i, a))
        .chain(
            phase
                .alternatives
                .iter()
                .enumerate()
                .map(|(i, a)| (true, i, a)),
        )
        .collect()
}

/// The plan step a step of the run carries out.
pub fn plan_step<'p>(plan: &'p Plan, r: &StepRef) -> Option<&'p Step> {
    let phase = plan.phases.get(r.phase)?;
    let step = phase.steps.get(r.step)?;
    match r.alt {
        None => Some(step),
        Some(a) => {
            let list = if a.on_phase {
                &phase.alternatives
            } else {
                &step.alternatives
            };
            list.get(a.index)?.steps.get(a.step)
        }
    }
}

/// Unrolls `plan` for a run of `scenario` over the `chosen` regions (all when empty).
pub fn expand(plan: &Plan, scenario: Option<&str>, chosen: &[String]) -> Expanded {
    let selected = selected_steps(plan, scenario);
    let regions = regions_of_run(plan, scenario, chosen);
    let rules: Vec<PhaseRule> = plan.phases.iter().map(|p| phase_rule(plan, p)).collect();
    let mut steps = Vec::new();
    let mut flat = 0;
    for (pi, phase) in plan.phases.iter().enumerate() {
        let in_region = phase
            .region
            .as_ref()
            .is_none_or(|r| chosen.is_empty() || chosen.contains(&r.value));
        let lanes: Vec<(Option<usize>, &str)> = if rules[pi].lanes {
            regions
                .iter()
                .enumerate()
                .map(|(i, r)| (Some(i), r.as_str()))
                .collect()
        } else {
            vec![(None, "")]
        };
        let mut first_in_phase = true;
        for (lane, region) in lanes {
            for (si, step) in phase.steps.iter().enumerate() {
                let is_selected = in_region && selected.get(flat + si).copied().unwrap_or(false);
                let ponr = step.point_of_no_return.set
                    || (phase.point_of_no_return.set && is_selected && first_in_phase);
                first_in_phase &= !is_selected;
                let suffix = lane.map(|_| format!("@{region}")).unwrap_or_default();
                let key = format!("{}.{}", phase.id.value, step.id.value);
                let owner = steps.len();
                let r = StepRef {
                    phase: pi,
                    step: si,
                    alt: None,
                };
                let mut s = new_step(format!("{key}{suffix}"), r, step, is_selected, ponr);
                s.lane = lane;
                s.region = lane.map(|_| region.to_string());
                steps.push(s);
                for (on_phase, index, alt) in alternatives(plan, &r) {
                    for (ai, astep) in alt.steps.iter().enumerate() {
                        let akey = format!("{key}+{}.{}{suffix}", alt.id.value, astep.id.value);
                        let ar = StepRef {
                            alt: Some(AltRef {
                                on_phase,
                                index,
                                step: ai,
                            }),
                            ..r
                        };
                        let ponr = astep.point_of_no_return.set;
                        let mut s = new_step(akey, ar, astep, false, ponr);
                        s.lane = lane;
                        s.region = lane.map(|_| region.to_string());
                        s.alt_of = Some((owner, alt.id.value.clone()));
                        steps.push(s);
                    }
                }
            }
        }
        flat += phase.steps.len();
    }
    Expanded {
        steps,
        rules,
        regions,
    }
}

fn new_step(key: String, src: StepRef, step: &Step, selected: bool, ponr: bool) -> StepState {
    StepState {
        key,
        phase: src.phase,
        src,
        region: None,
        lane: None,
        alt_of: None,
        alternative: None,
        region_choice: None,
        retry_due_ms: None,
        kind: step.kind(),
        selected,
        attempts_allowed: step.attempts(),
        retry_delay_ms: step
            .retry
            .as_ref()
            .and_then(|r| r.delay.as_ref())
            .map(|d| d.as_millis())
            .unwrap_or(0),
        point_of_no_return: ponr,
        status: Status::Pending,
        attempts: Vec::new(),
        approved_by: None,
        confirmed_by: None,
        note: None,
        skipped: None,
        retry_requested: false,
        current_since_ms: None,
        ended_ms: None,
    }
}

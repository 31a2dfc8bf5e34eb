//! Regional lanes and alternative paths: a `for_each: region` phase needs the plan's regions
//! and cannot also be tied to one; `parallel` and `on_region_failure` on a phase only mean
//! something with `for_each`; alternatives have unique ids, steps of a real kind, and no
//! alternatives of their own.

use super::{rule, unique};
use crate::plan::diag::Diagnostic;
use crate::plan::model::{Alternative, Phase, Plan};

use super::shape::step_shape;

pub(super) fn lanes(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let any_lanes = plan.phases.iter().any(|p| p.for_each.is_some());
    for phase in plan.phases.iter() {
        if let Some(f) = &phase.for_each {
            if plan.regions.is_empty() {
                out.push(Diagnostic::error(
                    f.pos,
                    rule::LANES,
                    format!(
                        "phase `{}` runs for each region, but the plan declares no `regions`",
                        phase.id
                    ),
                ));
            }
            if let Some(r) = &phase.region {
                out.push(Diagnostic::error(
                    r.pos,
                    rule::LANES,
                    format!(
                        "phase `{}` runs for each region: it cannot also be tied to region `{r}`",
                        phase.id
                    ),
                ));
            }
        } else {
            for (pos, key) in [
                (phase.parallel.as_ref().map(|p| p.pos), "parallel"),
                (
                    phase.on_region_failure.as_ref().map(|p| p.pos),
                    "on_region_failure",
                ),
            ] {
                if let Some(pos) = pos {
                    out.push(Diagnostic::warning(
                        pos,
                        rule::LANES,
                        format!(
                            "`{key}` on phase `{}` has no effect without `for_each: region`",
                            phase.id
                        ),
                    ));
                }
            }
        }
        for p in [&phase.parallel, &plan.parallel].into_iter().flatten() {
            if p.value == 0 {
                out.push(Diagnostic::error(
                    p.pos,
                    rule::LANES,
                    "`parallel` is at least 1 (one region at a time)",
                ));
            }
        }
        alternatives(phase, &phase.alternatives, out);
        for step in phase.steps.iter() {
            alternatives(phase, &step.alternatives, out);
        }
    }
    if !any_lanes {
        for (pos, key) in [
            (plan.parallel.as_ref().map(|p| p.pos), "parallel"),
            (
                plan.on_region_failure.as_ref().map(|p| p.pos),
                "on_region_failure",
            ),
        ] {
            if let Some(pos) = pos {
                out.push(Diagnostic::warning(
                    pos,
                    rule::LANES,
                    format!("`{key}` has no effect: no phase runs `for_each: region`"),
                ));
            }
        }
    }
}

fn alternatives(phase: &Phase, list: &[Alternative], out: &mut Vec<Diagnostic>) {
    unique(list.iter().map(|a| &a.id), "alternative id", out);
    for alt in list {
        if alt.steps.is_empty() {
            out.push(Diagnostic::error(
                alt.steps.pos,
                rule::LANES,
                format!("alternative `{}` has no steps", alt.id),
            ));
        }
        unique(alt.steps.iter().map(|s| &s.id), "step id", out);
        for step in alt.steps.iter() {
            step_shape(phase, step, out);
            if let Some(inner) = step.alternatives.first() {
                out.push(Diagnostic::error(
                    inner.id.pos,
                    rule::LANES,
                    format!(
                        "step `{}` of alternative `{}` has alternatives of its own: only the plan's steps have alternatives",
                        step.id, alt.id
                    ),
                ));
            }
        }
    }
}

//! Regional lanes and alternative paths: a `for_each: region` phase needs the plan's regions
//! and cannot also be tied to one; `parallel` (kept in 1..64 by the schema) and
//! `on_region_failure` on a phase mean something only with `for_each`; alternatives have
//! unique ids, steps of a real kind, and no alternatives of their own.

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

#[cfg(test)]
mod tests {
    use crate::plan::load::parse_str;
    use crate::plan::validate::validate;

    fn problems(extra_plan: &str, phase: &str) -> Vec<String> {
        let text = format!(
            "plan: p\ntitle: t\nlevel: 2\noperation: application\nautomation: full\n{extra_plan}\
             phases:\n  - id: capture\n    steps:\n      - {{id: a, run: 'true'}}\n  \
             - id: execute\n{phase}    steps:\n      - id: b\n        run: 'true'\n        \
             alternatives:\n          - id: alt\n            title: Another way\n            \
             steps:\n              - {{id: c, run: 'true'}}\n  \
             - id: verify\n    steps:\n      - {{id: d, check: 'true'}}\n"
        );
        let plan = parse_str(&text).expect("test plan parses");
        validate(&plan)
            .into_iter()
            .filter(|d| d.rule == super::rule::LANES)
            .map(|d| format!("{}: {}", d.pos(), d.message))
            .collect()
    }

    #[test]
    fn lanes_need_regions_and_their_settings_need_lanes() {
        assert_eq!(
            problems("regions: [eu]\n", "    for_each: region\n"),
            Vec::<String>::new()
        );
        let p = problems("", "    for_each: region\n");
        assert!(p[0].contains("declares no `regions`"), "{p:?}");
        let p = problems("regions: [eu]\n", "    for_each: region\n    region: eu\n");
        assert!(p[0].contains("cannot also be tied to region `eu`"), "{p:?}");
        let p = problems("regions: [eu]\nparallel: 2\n", "    parallel: 3\n");
        assert!(
            p.iter()
                .any(|m| m.contains("`parallel` on phase `execute` has no effect")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.contains("no phase runs `for_each: region`")),
            "{p:?}"
        );
    }
}

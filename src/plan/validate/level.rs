//! The certification level's rules (cumulative: level 4 meets level 3's) and what the
//! declared automation implies.

use std::time::Duration;

use super::rule;
use crate::plan::diag::Diagnostic;
use crate::plan::duration::format as fmt_dur;
use crate::plan::model::{Automation, Phase, Plan, Step, StepKind};

pub(super) fn automation(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let gates: Vec<&Step> = plan
        .steps()
        .filter(|(_, s)| s.kind() == StepKind::Approve)
        .map(|(_, s)| s)
        .collect();
    match *plan.automation {
        Automation::Full if !gates.is_empty() => out.push(Diagnostic::warning(
            gates[0].id.pos,
            rule::AUTOMATION,
            "the plan says `automation: full` but stops at an approval gate: say `semi`",
        )),
        Automation::Semi if gates.is_empty() => out.push(Diagnostic::warning(
            plan.automation.pos,
            rule::AUTOMATION,
            "`automation: semi` means approval gates, and the plan has none",
        )),
        _ => {}
    }
    let estimated: Duration = plan
        .phases
        .iter()
        .filter_map(|p| p.estimate.as_ref().map(|e| e.0))
        .sum();
    // At level 4 the SLA is per region, so the whole plan has one SLA per region.
    let budget = if *plan.level >= 4 {
        plan.sla() * (plan.regions.len().max(1) as u32)
    } else {
        plan.sla()
    };
    sla_reason(plan, out);
    if estimated > budget {
        out.push(Diagnostic::warning(
            plan.sla.as_ref().map(|s| s.pos).unwrap_or(plan.level.pos),
            rule::ESTIMATE,
            format!(
                "the phases are estimated at {} in all, more than the SLA of {}",
                fmt_dur(estimated),
                fmt_dur(budget)
            ),
        ));
    }
}

/// An SLA looser than the standard's target for the level and kind of change says why.
fn sla_reason(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let Some(sla) = &plan.sla else { return };
    let target = plan.default_sla();
    let has_reason = plan
        .sla_reason
        .as_ref()
        .is_some_and(|r| !r.trim().is_empty());
    if sla.value.0 > target && !has_reason {
        out.push(Diagnostic::warning(
            sla.pos,
            rule::SLA,
            format!(
                "an SLA of {} is looser than the {} the standard sets for a level {} {} rollback: tighten it or say why in `sla_reason`",
                fmt_dur(sla.value.0),
                fmt_dur(target),
                *plan.level,
                plan.operation.name()
            ),
        ));
    }
}

pub(super) fn levels(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let level = *plan.level;
    let sla_pos = plan.sla.as_ref().map(|s| s.pos).unwrap_or(plan.level.pos);
    let steps: Vec<(&Phase, &Step)> = plan.steps().collect();
    let has = |k: StepKind| steps.iter().any(|(_, s)| s.kind() == k);
    let sla_rule = |out: &mut Vec<Diagnostic>, max: u64, rule: &'static str, per: &str| {
        if plan.sla() > Duration::from_secs(max * 60) {
            out.push(Diagnostic::error(
                sla_pos,
                rule,
                format!(
                    "a level {level} plan must roll back within {max}m{per}; this SLA is {}",
                    fmt_dur(plan.sla())
                ),
            ));
        }
    };
    if level >= 2 {
        sla_rule(out, 30, rule::L2, "");
        if !has(StepKind::Check) && !has(StepKind::Manual) {
            out.push(Diagnostic::error(
                plan.phases.pos,
                rule::L2,
                "a level 2 plan verifies its result: add a `check` or `manual` step",
            ));
        }
    }
    if level >= 3 {
        if level == 3 {
            sla_rule(out, 15, rule::L3, "");
        }
        if *plan.automation == Automation::Manual {
            out.push(Diagnostic::error(
                plan.automation.pos,
                rule::L3,
                "a level 3 plan is automated: `automation` must be `full` or `semi`",
            ));
        }
        if !has(StepKind::Check) {
            out.push(Diagnostic::error(
                plan.phases.pos,
                rule::L3,
                "a level 3 plan has at least one automated verification: add a `check` step",
            ));
        }
        let ponr = plan.phases.iter().any(|p| p.point_of_no_return.set)
            || steps.iter().any(|(_, s)| s.point_of_no_return.set);
        if !ponr {
            out.push(Diagnostic::error(
                plan.phases.pos,
                rule::L3,
                "a level 3 plan identifies its point of no return: set `point_of_no_return: true` on a phase or step",
            ));
        }
        for (phase, step) in &steps {
            if step.kind() == StepKind::Run && step.timeout.is_none() {
                out.push(Diagnostic::error(
                    step.id.pos,
                    rule::L3,
                    format!("step `{}.{}` runs a command without a `timeout`; level 3 requires one on every `run`", phase.id, step.id),
                ));
            }
        }
    }
    if level >= 4 {
        sla_rule(out, 10, rule::L4, " per region");
        if plan.regions.is_empty() {
            out.push(Diagnostic::error(
                plan.level.pos,
                rule::L4,
                "a level 4 plan declares the `regions` it covers",
            ));
        }
        let stakeholder = steps
            .iter()
            .any(|(_, s)| s.kind() == StepKind::Approve && s.role.is_some());
        if !stakeholder {
            out.push(Diagnostic::error(
                plan.phases.pos,
                rule::L4,
                "a level 4 plan has a stakeholder approval gate: an `approve` step with the `role` that approves",
            ));
        }
    }
}

//! Durations, variables, the template phases, the escalation ladder, post-rollback items
//! and placeholders left to fill in.

use std::collections::HashSet;
use std::time::Duration;

use regex::Regex;

use super::rule;
use crate::plan::diag::Diagnostic;
use crate::plan::loc::{Loc, Pos};
use crate::plan::model::{PhaseKind, Plan};

use super::PLACEHOLDER;

pub(super) fn durations(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let mut positive = |d: Duration, pos: Pos, what: &str| {
        if d.is_zero() {
            out.push(Diagnostic::error(
                pos,
                rule::DURATION,
                format!("{what} must be longer than zero"),
            ));
        }
    };
    if let Some(sla) = &plan.sla {
        positive(sla.0, sla.pos, "the SLA");
    }
    if let Some(w) = &plan.cancel_window {
        positive(w.0, w.pos, "the cancel window");
    }
    for phase in plan.phases.iter() {
        if let Some(e) = &phase.estimate {
            positive(e.0, e.pos, "an estimate");
        }
        for step in phase.steps.iter() {
            if let Some(t) = &step.timeout {
                positive(t.0, t.pos, "a timeout");
            }
            if let Some(d) = step.simulate.as_ref().and_then(|s| s.duration.as_ref()) {
                positive(d.0, d.pos, "a simulated duration");
            }
        }
    }
    for rung in plan.escalation.iter().flat_map(|l| l.iter()) {
        positive(rung.after.0, rung.after.pos, "an escalation time");
    }
}

pub(super) fn vars(plan: &Plan, out: &mut Vec<Diagnostic>) {
    for (name, var) in plan.vars.iter() {
        let regex =
            var.pattern
                .as_ref()
                .and_then(|p| match Regex::new(&format!("^(?:{})$", p.value)) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        let first = e
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim()
                            .to_string();
                        out.push(Diagnostic::error(
                            p.pos,
                            rule::VARS,
                            format!(
                                "pattern of `{name}` is not a valid regular expression: {first}"
                            ),
                        ));
                        None
                    }
                });
        if let (Some(regex), Some(default)) = (regex, &var.default)
            && !regex.is_match(default)
        {
            out.push(Diagnostic::error(
                default.pos,
                rule::VARS,
                format!(
                    "default `{}` of `{name}` does not match its own pattern `{}`",
                    default.value,
                    var.pattern.as_ref().map(|p| p.as_str()).unwrap_or("")
                ),
            ));
        }
        if var.secret
            && let Some(d) = &var.default
        {
            out.push(Diagnostic::warning(
                d.pos,
                rule::VARS,
                format!("`{name}` is secret but has a default written in the plan: pass it with --var or --var-file instead"),
            ));
        }
    }
}

pub(super) fn template(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let kinds: Vec<Option<PhaseKind>> = plan.phases.iter().map(|p| p.kind()).collect();
    for needed in [PhaseKind::Capture, PhaseKind::Verify] {
        if !kinds.contains(&Some(needed)) {
            out.push(Diagnostic::error(
                plan.phases.pos,
                rule::TEMPLATE,
                format!(
                    "the plan has no `{}` phase: every rollback {}",
                    needed.name(),
                    if needed == PhaseKind::Capture {
                        "captures the state before it changes anything"
                    } else {
                        "verifies that it worked"
                    }
                ),
            ));
        }
    }
    for phase in plan.phases.iter() {
        if phase.kind().is_none() {
            out.push(Diagnostic::error(
                phase.id.pos,
                rule::TEMPLATE,
                format!(
                    "phase `{}` is not one of the template phases: add `kind:` ({})",
                    phase.id,
                    PhaseKind::ALL.map(|k| k.name()).join(", ")
                ),
            ));
        }
        if phase.steps.is_empty() {
            out.push(Diagnostic::error(
                phase.steps.pos,
                rule::TEMPLATE,
                format!("phase `{}` has no steps", phase.id),
            ));
        }
    }
    let first_of = |k: PhaseKind| kinds.iter().position(|x| *x == Some(k));
    if let (Some(c), Some(e)) = (first_of(PhaseKind::Capture), first_of(PhaseKind::Execute))
        && e < c
    {
        out.push(Diagnostic::error(
            plan.phases[e].id.pos,
            rule::TEMPLATE,
            "an execute phase comes before the capture phase: capture the state before changing it",
        ));
    }
    if let (Some(v), Some(e)) = (first_of(PhaseKind::Verify), first_of(PhaseKind::Execute))
        && v < e
        && !kinds[v..]
            .iter()
            .skip(1)
            .any(|k| *k == Some(PhaseKind::Verify))
    {
        out.push(Diagnostic::warning(
            plan.phases[v].id.pos,
            rule::TEMPLATE,
            "no verify phase follows the execute phase",
        ));
    }
}

pub(super) fn escalation(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let Some(ladder) = &plan.escalation else {
        return;
    };
    if ladder.is_empty() {
        out.push(Diagnostic::error(
            ladder.pos,
            rule::ESCALATION,
            "the escalation ladder is empty: leave `escalation` out to use the standard's",
        ));
    }
    for pair in ladder.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if b.after.value <= a.after.value {
            out.push(Diagnostic::error(
                b.after.pos,
                rule::ESCALATION,
                format!(
                    "escalation rungs go up in time: {} comes after {}",
                    b.after.value, a.after.value
                ),
            ));
        }
        if *b.level <= *a.level {
            out.push(Diagnostic::error(
                b.level.pos,
                rule::ESCALATION,
                format!(
                    "escalation levels go up: level {} comes after level {}",
                    *b.level, *a.level
                ),
            ));
        }
    }
}

pub(super) fn post_rollback(plan: &Plan, out: &mut Vec<Diagnostic>) {
    for v in &plan.post_rollback {
        match (&v.check, &v.manual) {
            (Some(_), Some(m)) => out.push(Diagnostic::error(
                m.pos,
                rule::POST,
                "a validation item is either a `check` or a `manual` check, not both",
            )),
            (None, None) => out.push(Diagnostic::error(
                v.window.pos,
                rule::POST,
                format!(
                    "a {} validation item needs a `check` or a `manual` text",
                    v.window.name()
                ),
            )),
            _ => {}
        }
    }
}

pub(super) fn placeholders(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let mut texts: Vec<&Loc<String>> = vec![&plan.title];
    texts.extend(plan.owner.iter());
    for (_, step) in plan.steps() {
        texts.extend(step.kinds().into_iter().map(|(_, t)| t));
    }
    texts.extend(
        plan.post_rollback
            .iter()
            .flat_map(|v| v.check.iter().chain(v.manual.iter())),
    );
    let mut seen = HashSet::new();
    for t in texts {
        if t.contains(PLACEHOLDER) && seen.insert(t.pos) {
            out.push(Diagnostic::warning(
                t.pos,
                rule::PLACEHOLDER,
                format!("placeholder left to fill in: {}", t.value.trim()),
            ));
        }
    }
}

//! Ids, the shape of each step, and references between parts of the plan.

use std::collections::{HashMap, HashSet};

use regex::Regex;

use super::rule;
use crate::plan::diag::{Diagnostic, did_you_mean};
use crate::plan::loc::Loc;
use crate::plan::model::{Phase, Plan, Step, StepKind};

use super::unique;

pub(super) fn ids(plan: &Plan, out: &mut Vec<Diagnostic>) {
    unique(plan.phases.iter().map(|p| &p.id), "phase id", out);
    for phase in plan.phases.iter() {
        unique(phase.steps.iter().map(|s| &s.id), "step id", out);
    }
    unique(plan.regions.iter(), "region", out);
    let id = Regex::new(crate::plan::model::ID_PATTERN).expect("valid regex");
    for (name, _) in plan.scenarios.iter() {
        if !id.is_match(name) {
            out.push(Diagnostic::error(
                name.pos,
                rule::IDS,
                format!("scenario name `{name}` is not a valid id: use lowercase letters, digits, `-` and `_`"),
            ));
        }
    }
    if let Some(team) = &plan.team {
        let pattern = Regex::new(crate::plan::model::TEAM_PATTERN).expect("valid regex");
        if !pattern.is_match(&team.value) {
            out.push(Diagnostic::error(
                team.pos,
                rule::IDS,
                format!(
                    "team `{}` is not a valid team id: use 1 to 40 lowercase letters, digits and `_` (it names a database role)",
                    crate::text::inline(&team.value)
                ),
            ));
        }
    }
    let ident = Regex::new("^[A-Za-z_][A-Za-z0-9_]*$").expect("valid regex");
    for (name, _) in plan.vars.iter() {
        if !ident.is_match(name) {
            out.push(Diagnostic::error(
                name.pos,
                rule::VARS,
                format!("variable name `{name}` cannot be an environment variable: use letters, digits and `_`, not starting with a digit"),
            ));
        } else if name.to_ascii_uppercase().starts_with("ROLLBACK_") {
            out.push(Diagnostic::error(
                name.pos,
                rule::VARS,
                format!(
                    "variable name `{name}` is reserved: ROLLBACK_* names carry the run's context"
                ),
            ));
        }
    }
}

pub(super) fn step_shape(phase: &Phase, step: &Step, out: &mut Vec<Diagnostic>) {
    let kinds = step.kinds();
    let at = step.id.pos;
    match kinds.len() {
        0 => out.push(Diagnostic::error(
            at,
            rule::STEP,
            format!(
                "step `{}.{}` does nothing: give it one of `run`, `check`, `approve` or `manual`",
                phase.id, step.id
            ),
        )),
        1 => {}
        _ => {
            // Point at the second kind as written: that is where the step went wrong.
            let mut written = kinds.clone();
            written.sort_by_key(|(_, v)| v.pos);
            out.push(Diagnostic::error(
                written[1].1.pos,
                rule::STEP,
                format!(
                    "step `{}.{}` has both `{}` and `{}`: a step does one thing, split it in two",
                    phase.id,
                    step.id,
                    written[0].0.name(),
                    written[1].0.name()
                ),
            ))
        }
    }
    let kind = step.kind();
    if kinds.len() == 1 && !kind.is_command() {
        let command_only = [
            ("timeout", step.timeout.as_ref().map(|t| t.pos)),
            ("retry", step.retry.as_ref().map(|r| r.attempts.pos)),
            ("simulate", step.simulate.as_ref().map(|s| s.pos)),
            ("workdir", step.workdir.as_ref().map(|w| w.pos)),
            ("env", step.env.0.first().map(|(k, _)| k.pos)),
        ];
        for (key, pos) in command_only {
            if let Some(pos) = pos {
                out.push(Diagnostic::error(
                    pos,
                    rule::STEP,
                    format!(
                        "`{key}` applies to `run` and `check` steps, and `{}.{}` is {} `{}` step",
                        phase.id,
                        step.id,
                        if kind == StepKind::Approve { "an" } else { "a" },
                        kind.name()
                    ),
                ));
            }
        }
    }
    if let Some(role) = &step.role
        && kind != StepKind::Approve
    {
        out.push(Diagnostic::error(
            role.pos,
            rule::STEP,
            "`role` names who approves, so it belongs on an `approve` step",
        ));
    }
    if kind.is_command() && step.simulate.is_none() {
        out.push(Diagnostic::warning(
            at,
            rule::DRILL,
            format!("step `{}.{}` has no `simulate`: a drill will show a placeholder instead of realistic output", phase.id, step.id),
        ));
    }
}

pub(super) fn references(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let phases: Vec<&str> = plan.phases.iter().map(|p| p.id.as_str()).collect();
    let regions: Vec<&str> = plan.regions.iter().map(|r| r.as_str()).collect();
    // Sets for the lookups, so long scenario lists in big plans stay linear.
    let phase_set: HashSet<&str> = phases.iter().copied().collect();
    let region_set: HashSet<&str> = regions.iter().copied().collect();
    let by_id: HashMap<&str, &Phase> = plan.phases.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut step_sets: HashMap<&str, HashSet<&str>> = HashMap::new();
    let missing = |out: &mut Vec<Diagnostic>, what: &str, name: &Loc<String>, known: &[&str]| {
        let hint = did_you_mean(name, known.iter().copied())
            .map(|k| format!(", did you mean `{k}`?"))
            .unwrap_or_else(|| {
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (known: {})", known.join(", "))
                }
            });
        out.push(Diagnostic::error(
            name.pos,
            rule::REFS,
            format!("no {what} named `{}`{hint}", name.value),
        ));
    };
    for phase in plan.phases.iter() {
        if let Some(region) = &phase.region
            && !region_set.contains(region.as_str())
        {
            missing(out, "region", region, &regions);
        }
    }
    for (name, scenario) in plan.scenarios.iter() {
        for p in &scenario.phases {
            if !phase_set.contains(p.as_str()) {
                missing(out, "phase", p, &phases);
            }
        }
        for r in &scenario.regions {
            if !region_set.contains(r.as_str()) {
                missing(out, "region", r, &regions);
            }
        }
        for s in &scenario.steps {
            let Some((p, st)) = s.split_once('.') else {
                out.push(Diagnostic::error(
                    s.pos,
                    rule::REFS,
                    format!("write steps as `phase.step`, not `{}`", s.value),
                ));
                continue;
            };
            match by_id.get(p) {
                None => missing(out, "phase", &Loc::new(p.to_string(), s.pos), &phases),
                Some(ph) => {
                    let known = step_sets
                        .entry(p)
                        .or_insert_with(|| ph.steps.iter().map(|x| x.id.as_str()).collect());
                    if !known.contains(st) {
                        let steps: Vec<&str> = ph.steps.iter().map(|x| x.id.as_str()).collect();
                        let what = format!("step in phase `{p}`");
                        missing(out, &what, &Loc::new(st.to_string(), s.pos), &steps);
                    }
                }
            }
        }
        if scenario.phases.is_empty() && scenario.steps.is_empty() && scenario.regions.is_empty() {
            out.push(Diagnostic::warning(
                name.pos,
                rule::REFS,
                format!(
                    "scenario `{name}` names no phases, steps or regions: it runs the whole plan"
                ),
            ));
        }
    }
}

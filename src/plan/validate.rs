//! The rules a parsed plan must meet: its own consistency (ids, references, durations,
//! variables) and the rules of the certification level it claims. Every problem is
//! reported, each naming its rule; levels are cumulative (a level 4 plan meets level 3's).

use std::collections::HashSet;
use std::time::Duration;

use regex::Regex;

use super::diag::{Diagnostic, did_you_mean};
use super::duration::format as fmt_dur;
use super::loc::{Loc, Pos};
use super::model::{Automation, Phase, PhaseKind, Plan, Step, StepKind};

/// Rule names, as printed in brackets after each message.
pub mod rule {
    pub const IDS: &str = "ids";
    pub const STEP: &str = "step-kind";
    pub const REFS: &str = "references";
    pub const DURATION: &str = "durations";
    pub const VARS: &str = "vars";
    pub const TEMPLATE: &str = "phases";
    pub const ESCALATION: &str = "escalation";
    pub const AUTOMATION: &str = "automation";
    pub const ESTIMATE: &str = "estimates";
    pub const DRILL: &str = "drill";
    pub const PLACEHOLDER: &str = "placeholder";
    pub const POST: &str = "post-rollback";
    pub const L2: &str = "level-2";
    pub const L3: &str = "level-3";
    pub const L4: &str = "level-4";
}

/// Marks text a template left for the author to fill in.
pub const PLACEHOLDER: &str = "TODO";

/// Every problem of a parsed plan, sorted by position.
pub fn validate(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    ids(plan, &mut out);
    for phase in plan.phases.iter() {
        for step in phase.steps.iter() {
            step_shape(phase, step, &mut out);
        }
    }
    references(plan, &mut out);
    durations(plan, &mut out);
    vars(plan, &mut out);
    template(plan, &mut out);
    escalation(plan, &mut out);
    automation(plan, &mut out);
    levels(plan, &mut out);
    post_rollback(plan, &mut out);
    placeholders(plan, &mut out);
    out.sort_by_key(|d| (d.pos(), d.severity));
    out
}

/// Whether any diagnostic is an error (warnings alone leave a plan valid).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics
        .iter()
        .any(|d| d.severity == super::diag::Severity::Error)
}

fn unique<'a>(
    items: impl IntoIterator<Item = &'a Loc<String>>,
    what: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: Vec<&Loc<String>> = Vec::new();
    for item in items {
        if let Some(first) = seen.iter().find(|s| s.value == item.value) {
            out.push(Diagnostic::error(
                item.pos,
                rule::IDS,
                format!(
                    "{what} `{}` is already used at line {}",
                    item.value, first.pos.line
                ),
            ));
        } else {
            seen.push(item);
        }
    }
}

fn ids(plan: &Plan, out: &mut Vec<Diagnostic>) {
    unique(plan.phases.iter().map(|p| &p.id), "phase id", out);
    for phase in plan.phases.iter() {
        unique(phase.steps.iter().map(|s| &s.id), "step id", out);
    }
    unique(plan.regions.iter(), "region", out);
    let id = Regex::new(super::model::ID_PATTERN).expect("valid regex");
    for (name, _) in plan.scenarios.iter() {
        if !id.is_match(name) {
            out.push(Diagnostic::error(
                name.pos,
                rule::IDS,
                format!("scenario name `{name}` is not a valid id: use lowercase letters, digits, `-` and `_`"),
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

fn step_shape(phase: &Phase, step: &Step, out: &mut Vec<Diagnostic>) {
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

fn references(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let phases: Vec<&str> = plan.phases.iter().map(|p| p.id.as_str()).collect();
    let regions: Vec<&str> = plan.regions.iter().map(|r| r.as_str()).collect();
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
            && !regions.contains(&region.as_str())
        {
            missing(out, "region", region, &regions);
        }
    }
    for (name, scenario) in plan.scenarios.iter() {
        for p in &scenario.phases {
            if !phases.contains(&p.as_str()) {
                missing(out, "phase", p, &phases);
            }
        }
        for r in &scenario.regions {
            if !regions.contains(&r.as_str()) {
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
            match plan.phases.iter().find(|ph| ph.id.value == p) {
                None => missing(out, "phase", &Loc::new(p.to_string(), s.pos), &phases),
                Some(ph) => {
                    let steps: Vec<&str> = ph.steps.iter().map(|x| x.id.as_str()).collect();
                    if !steps.contains(&st) {
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

fn durations(plan: &Plan, out: &mut Vec<Diagnostic>) {
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

fn vars(plan: &Plan, out: &mut Vec<Diagnostic>) {
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

fn template(plan: &Plan, out: &mut Vec<Diagnostic>) {
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

fn escalation(plan: &Plan, out: &mut Vec<Diagnostic>) {
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

fn automation(plan: &Plan, out: &mut Vec<Diagnostic>) {
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

fn levels(plan: &Plan, out: &mut Vec<Diagnostic>) {
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
        let ponr = plan.phases.iter().any(|p| p.point_of_no_return)
            || steps.iter().any(|(_, s)| s.point_of_no_return);
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

fn post_rollback(plan: &Plan, out: &mut Vec<Diagnostic>) {
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

fn placeholders(plan: &Plan, out: &mut Vec<Diagnostic>) {
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

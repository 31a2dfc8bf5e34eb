//! What a drill of the plan needs: examples that match their variable's pattern, an example
//! wherever no DRILL placeholder would, and exercises that name steps the plan has.

use regex::Regex;

use super::rule;
use crate::plan::diag::Diagnostic;
use crate::plan::drill_vars::{parse_factor, placeholder, step_keys, unknown_step};
use crate::plan::model::{ExerciseTrigger, Plan};

pub(super) fn examples(plan: &Plan, out: &mut Vec<Diagnostic>) {
    for (name, var) in plan.vars.iter() {
        let regex = var
            .pattern
            .as_ref()
            .and_then(|p| Regex::new(&format!("^(?:{})$", p.value)).ok());
        match (&var.example, &regex) {
            (Some(example), Some(re)) if !re.is_match(example) => {
                out.push(Diagnostic::error(
                    example.pos,
                    rule::DRILL,
                    format!(
                        "example `{}` of `{name}` does not match its own pattern `{}`",
                        example.value,
                        var.pattern.as_ref().map_or("", |p| p.value.as_str())
                    ),
                ));
            }
            (None, Some(_)) if needs_value(var) && placeholder(name, var).is_none() => {
                out.push(Diagnostic::warning(
                    name.pos,
                    rule::DRILL,
                    format!(
                        "`{name}` has a pattern no DRILL placeholder matches and no `example:`: a drill cannot start without --var {name}=VALUE"
                    ),
                ));
            }
            _ => {}
        }
    }
}

/// A drill gives this variable a value of its own when nobody does.
fn needs_value(var: &crate::plan::model::Var) -> bool {
    (var.required && var.default.is_none()) || var.secret
}

/// Each exercise's faults name a step of the plan (`phase.step`, or an id used once), fail
/// at least once, and slow down by a factor of 1 or more.
pub(super) fn exercises(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let keys = step_keys(plan);
    for (name, ex) in plan.drills.iter() {
        let steps = ex
            .fail
            .iter()
            .map(|(k, _)| k)
            .chain(ex.slow.iter().map(|(k, _)| k));
        for step in steps {
            if let Some(why) = unknown_step(&keys, &step.value) {
                out.push(Diagnostic::error(
                    step.pos,
                    rule::DRILL,
                    format!("exercise `{name}`: {why}"),
                ));
            }
        }
        for (step, n) in ex.fail.iter() {
            if n.value == 0 {
                out.push(Diagnostic::error(
                    n.pos,
                    rule::DRILL,
                    format!("exercise `{name}`: `{step}` fails for 0 attempts, which does nothing"),
                ));
            }
        }
        for (step, f) in ex.slow.iter() {
            if parse_factor(&f.value).is_none() {
                out.push(Diagnostic::error(
                    f.pos,
                    rule::DRILL,
                    format!(
                        "exercise `{name}`: `{step}` slows by `{}`, not a factor of 1 or more such as 3x",
                        f.value
                    ),
                ));
            }
        }
        if let Some(s) = &ex.speed
            && !(s.value.is_finite() && s.value >= 1.0)
        {
            out.push(Diagnostic::error(
                s.pos,
                rule::DRILL,
                format!("exercise `{name}`: speed must be 1 or more"),
            ));
        }
        if let Some(o) = &ex.orphan
            && let Some(why) = unknown_step(&keys, &o.step.value)
        {
            out.push(Diagnostic::error(
                o.step.pos,
                rule::DRILL,
                format!("exercise `{name}`: {why}"),
            ));
        }
        if let Some(t) = &ex.trigger {
            fired_trigger(plan, name, t, out);
        }
    }
}

/// The exercise's trigger is one of the plan's.
fn fired_trigger(plan: &Plan, exercise: &str, t: &ExerciseTrigger, out: &mut Vec<Diagnostic>) {
    if !plan.triggers.iter().any(|x| x.name.value == t.name.value) {
        let known: Vec<&str> = plan
            .triggers
            .iter()
            .map(|x| x.name.value.as_str())
            .collect();
        out.push(Diagnostic::error(
            t.name.pos,
            rule::DRILL,
            match known.is_empty() {
                true => format!(
                    "exercise `{exercise}`: the plan has no triggers, so `{}` cannot fire",
                    t.name.value
                ),
                false => format!(
                    "exercise `{exercise}`: the plan has no trigger `{}`; it has: {}",
                    t.name.value,
                    known.join(", ")
                ),
            },
        ));
    }
    // Whether its answers read as they say is the monitor's to check (`monitor::played`).
}

#[cfg(test)]
mod tests {
    use crate::monitor::check_plan as validate;
    use crate::plan::load::load_bytes;

    /// The drill errors of the base plan with a critical `errors` trigger and one exercise.
    fn errors(exercise: &str) -> Vec<String> {
        let base = include_str!("../../../tests/plans/base.yaml");
        let head = base.split("triggers:").next().unwrap();
        let text = format!(
            "{head}drills:\n  fires:\n{exercise}triggers:\n  - name: errors\n    command: x\n    condition: result > 1.0\n    severity: critical\n"
        );
        let loaded = load_bytes("t.yaml", text.into_bytes()).unwrap();
        validate(&loaded.plan)
            .into_iter()
            .filter(|d| d.rule == super::rule::DRILL)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn an_exercised_trigger_exists_and_its_answers_read_as_they_say() {
        let ok = "    trigger: {name: errors, after: 30s, healthy: 0, firing: 5}\n";
        assert_eq!(errors(ok), Vec::<String>::new());
        assert_eq!(
            errors("    trigger: {name: errros, healthy: 0, firing: 5}\n"),
            ["exercise `fires`: the plan has no trigger `errros`; it has: errors"]
        );
        assert_eq!(
            errors("    trigger: {name: errors, healthy: 3, firing: 5}\n"),
            ["exercise `fires`: `healthy: 3` reads as firing for `result > 1.0`, not as healthy"]
        );
        assert_eq!(
            errors("    trigger: {name: errors, healthy: 0, firing: 1}\n"),
            ["exercise `fires`: `firing: 1` reads as healthy for `result > 1.0`, not as firing"]
        );
        let garbled = errors("    trigger: {name: errors, healthy: 0, firing: oops}\n");
        assert!(
            garbled[0].starts_with("exercise `fires`: `firing: \"oops\"` reads as an error"),
            "{garbled:?}"
        );
    }
}

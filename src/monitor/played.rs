//! What a plan's check asks of its triggers as the monitor runs them: a drill exercise's
//! played answers read as they say (its condition holds for `firing` and not for
//! `healthy`). `check_plan` is the whole check of a plan: the plan's own rules
//! (`plan::validate`) and these.

use std::time::Duration;

use super::{Outcome, Spec};
use crate::plan::diag::Diagnostic;
use crate::plan::model::Plan;
use crate::plan::validate::{rule, validate};

/// Every diagnostic of `plan`, sorted as `plan::validate` sorts them.
pub fn check_plan(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = validate(plan);
    played(plan, &mut out);
    out.sort_by_key(|d| (d.pos(), d.severity));
    out
}

fn played(plan: &Plan, out: &mut Vec<Diagnostic>) {
    for (name, ex) in plan.drills.iter() {
        let Some(t) = &ex.trigger else { continue };
        let Some(trigger) = plan.triggers.iter().find(|x| x.name.value == t.name.value) else {
            continue;
        };
        let exercise = &name.value;
        // A trigger that does not resolve is reported by the trigger rules.
        let Ok(spec) = Spec::resolve(trigger) else {
            continue;
        };
        for (answer, want, word) in [
            (&t.healthy, Outcome::Success, "healthy"),
            (&t.firing, Outcome::Failure, "firing"),
        ] {
            let got = spec.judge(Duration::ZERO, Ok(answer.value.clone()));
            if got.outcome != want {
                let why = got.message.map(|m| format!(" ({m})")).unwrap_or_default();
                out.push(Diagnostic::error(
                    answer.pos,
                    rule::DRILL,
                    format!(
                        "exercise `{exercise}`: `{word}: {}` reads as {} for `{}`, not as {}{why}",
                        answer.value,
                        reads(got.outcome),
                        spec.condition_text,
                        reads(want)
                    ),
                ));
            }
        }
    }
}

fn reads(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "healthy",
        Outcome::Failure => "firing",
        Outcome::Error => "an error",
        Outcome::Inconclusive => "inconclusive",
    }
}

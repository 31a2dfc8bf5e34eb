//! The CEL texts of a plan (trigger conditions, `inconclusive`, post-checks' `expect`) are
//! held to the limits of conditions as the plan loads: one over them makes the plan
//! unreadable, like a plan too big or nested too deep (exit 2), before anything else
//! compiles it. A condition that merely does not compile is left to validation.

use super::diag::Diagnostic;
use super::loc::Loc;
use super::model::Plan;
use super::validate::rule;
use crate::plan::condition::Condition;

/// One diagnostic per text over the limits, at the text's line and column.
pub fn over_limits(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for t in &plan.triggers {
        check(t.condition.as_ref(), "condition", rule::TRIGGERS, &mut out);
        check(
            t.inconclusive.as_ref(),
            "inconclusive condition",
            rule::TRIGGERS,
            &mut out,
        );
    }
    for v in plan.post_rollback.iter() {
        check(v.expect.as_ref(), "`expect`", rule::POST, &mut out);
    }
    out
}

fn check(text: Option<&Loc<String>>, what: &str, rule: &'static str, out: &mut Vec<Diagnostic>) {
    let Some(text) = text else { return };
    if let Err(e) = Condition::compile(&text.value)
        && e.over_limit
    {
        out.push(Diagnostic::error(
            text.pos,
            rule,
            format!(
                "the {what} is over the limits of a condition (at line {}, column {} of it): {}",
                e.line, e.col, e.message
            ),
        ));
    }
}

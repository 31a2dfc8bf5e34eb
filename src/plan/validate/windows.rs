//! Post-rollback validation windows: their ends in time order, post-checks whose sampling
//! is well formed (an interval, a timeout, an `expect` that compiles), and windows that
//! would have nothing to sample.

use std::time::Duration;

use super::rule;
use crate::plan::condition::Condition;
use crate::plan::diag::Diagnostic;
use crate::plan::model::Plan;

pub(super) fn windows(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let post = &plan.post_rollback;
    if let Some(w) = &post.windows {
        let mut before = Duration::ZERO;
        for (window, end, pos) in w.ends() {
            if end <= before {
                out.push(Diagnostic::error(
                    pos.unwrap_or(w.pos),
                    rule::POST,
                    format!(
                        "the {} window must end after the one before it ({}), and after 0s",
                        window.name(),
                        crate::plan::duration::format(before)
                    ),
                ));
            }
            before = before.max(end);
        }
        let checks = post.iter().any(|v| v.check.is_some());
        let triggers = post.triggers && !plan.triggers.is_empty();
        if !(checks || triggers) {
            out.push(Diagnostic::warning(
                w.pos,
                rule::POST,
                "validation windows with nothing to sample: add `post_checks` with a `check`, or `triggers:` to re-evaluate; every window would be recorded as not run",
            ));
        }
    }
    for v in post {
        if v.check.is_none() {
            for (given, key) in [
                (v.interval.as_ref().map(|d| d.pos), "interval"),
                (v.timeout.as_ref().map(|d| d.pos), "timeout"),
                (v.expect.as_ref().map(|e| e.pos), "expect"),
            ] {
                if let Some(at) = given {
                    out.push(Diagnostic::error(
                        at,
                        rule::POST,
                        format!("`{key}` applies to a `check`; this item has none"),
                    ));
                }
            }
        }
        for (d, key) in [(&v.interval, "interval"), (&v.timeout, "timeout")] {
            if let Some(d) = d
                && d.0.is_zero()
            {
                out.push(Diagnostic::error(
                    d.pos,
                    rule::POST,
                    format!("`{key}` must be longer than 0s"),
                ));
            }
        }
        if let Some(e) = &v.expect
            && let Err(err) = Condition::compile(e)
        {
            out.push(Diagnostic::error(
                e.pos,
                rule::POST,
                format!(
                    "`expect` does not compile (at {}:{} of the expression): {}",
                    err.line, err.col, err.message
                ),
            ));
        }
    }
}

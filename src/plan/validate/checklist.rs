//! The verification checklist: each item filled in one way that suits it, references that
//! resolve, and at levels 3 and 4 every one of the standard's ten items accounted for.

use super::rule;
use crate::plan::checklist::{ITEMS, Item, Kind};
use crate::plan::diag::{Diagnostic, did_you_mean};
use crate::plan::loc::{Loc, Pos};
use crate::plan::model::{Plan, StepKind};

pub(super) fn checklist(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let level = *plan.level;
    let Some(list) = &plan.verification else {
        if level >= 3 {
            out.push(Diagnostic::warning(
                plan.level.pos,
                rule::CHECKLIST,
                format!(
                    "a level {level} plan follows the standard's verification checklist (6 automated checks, 4 manual): add `verification:`"
                ),
            ));
        }
        return;
    };
    for ((key, words, kind), item) in ITEMS.iter().zip(list.items()) {
        match item {
            Some(item) => check_item(plan, key, *kind, item, out),
            None => {
                let how = match kind {
                    Kind::Automated => "a `check`, a `trigger` or a `step`",
                    Kind::Manual => "a `confirm` or a `step`",
                };
                let message = format!(
                    "the verification checklist leaves out `{key}` ({words}): fill it with {how}, or say `not_applicable:` and why"
                );
                let pos = list.pos;
                out.push(if level >= 3 {
                    Diagnostic::error(pos, rule::CHECKLIST, message)
                } else {
                    Diagnostic::warning(pos, rule::CHECKLIST, message)
                });
            }
        }
    }
}

fn check_item(plan: &Plan, key: &str, kind: Kind, item: &Loc<Item>, out: &mut Vec<Diagnostic>) {
    let mut error = |pos, msg: String| out.push(Diagnostic::error(pos, rule::CHECKLIST, msg));
    let given: Vec<&str> = [
        ("step", item.step.is_some()),
        ("check", item.check.is_some()),
        ("trigger", item.trigger.is_some()),
        ("confirm", item.confirm.is_some()),
        ("not_applicable", item.not_applicable.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    if given.len() != 1 {
        let said = if given.is_empty() {
            "none".to_string()
        } else {
            given.join(" and ")
        };
        error(
            item.pos,
            format!(
                "checklist item `{key}` takes exactly one of `step`, `check`, `trigger`, `confirm`, `not_applicable`; it has {said}"
            ),
        );
        return;
    }
    match (kind, given[0]) {
        (Kind::Automated, "confirm") => error(
            item.pos,
            format!(
                "`{key}` is an automated check: give it a `check`, a `trigger` or a `step`, not `confirm`"
            ),
        ),
        (Kind::Manual, "check" | "trigger") => error(
            item.pos,
            format!(
                "`{key}` is checked by a person: give it `confirm:` (what to look at) or a manual `step`"
            ),
        ),
        _ => {}
    }
    if let Some(reason) = &item.not_applicable
        && reason.trim().is_empty()
    {
        error(
            reason.pos,
            format!("say why `{key}` does not apply to this change"),
        );
    }
    if let Some(name) = &item.trigger
        && !plan.triggers.iter().any(|t| t.name.value == name.value)
    {
        let hint = did_you_mean(name, plan.triggers.iter().map(|t| t.name.value.as_str()))
            .map(|s| format!(", did you mean `{s}`?"))
            .unwrap_or_default();
        error(
            name.pos,
            format!("the plan has no trigger `{}`{hint}", name.value),
        );
    }
    if let Some(refs) = &item.step {
        for key_ref in refs.keys() {
            step_ref(plan, key, kind, key_ref, refs.pos, out);
        }
    }
}

fn step_ref(plan: &Plan, key: &str, kind: Kind, step: &str, pos: Pos, out: &mut Vec<Diagnostic>) {
    let mut error = |msg: String| out.push(Diagnostic::error(pos, rule::CHECKLIST, msg));
    let found = plan
        .steps()
        .find(|(p, s)| format!("{}.{}", p.id.value, s.id.value) == step);
    let Some((_, s)) = found else {
        let keys: Vec<String> = plan
            .steps()
            .map(|(p, s)| format!("{}.{}", p.id.value, s.id.value))
            .collect();
        let hint = did_you_mean(step, keys.iter().map(String::as_str))
            .map(|s| format!(", did you mean `{s}`?"))
            .unwrap_or_default();
        error(format!(
            "no step `{step}` in the plan (write `phase.step`){hint}"
        ));
        return;
    };
    let fits = match kind {
        Kind::Automated => matches!(s.kind(), StepKind::Check | StepKind::Run),
        Kind::Manual => matches!(s.kind(), StepKind::Manual | StepKind::Approve),
    };
    if !fits {
        let want = match kind {
            Kind::Automated => "a `check` (or `run`) step",
            Kind::Manual => "a `manual` (or `approve`) step",
        };
        error(format!("`{key}` needs {want}; `{step}` is not one"));
    }
}

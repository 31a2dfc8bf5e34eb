//! The rules a parsed plan must meet: its own consistency (ids, references, durations,
//! variables) and the rules of the certification level it claims. Every problem is
//! reported, each naming its rule; levels are cumulative (a level 4 plan meets level 3's).

mod checklist;
mod content;
mod curl;
mod drills;
mod lanes;
mod level;
mod probes;
mod shape;
mod triggers;
mod webhook;
mod windows;

use std::collections::HashMap;

use super::diag::Diagnostic;
use super::loc::Loc;
use super::model::Plan;
use content::{durations, escalation, placeholders, post_rollback, template, vars};
use level::{automation, levels};
use shape::{ids, references, step_shape};

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
    pub const SLA: &str = "sla";
    pub const DRILL: &str = "drill";
    pub const PLACEHOLDER: &str = "placeholder";
    pub const POST: &str = "post-rollback";
    pub const TIMEOUTS: &str = "timeouts";
    pub const TRIGGERS: &str = "triggers";
    pub const CHECKLIST: &str = "checklist";
    pub const LANES: &str = "lanes";
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
    curl::curl_timeouts(plan, &mut out);
    triggers::triggers(plan, &mut out);
    probes::probes(plan, &mut out);
    checklist::checklist(plan, &mut out);
    windows::windows(plan, &mut out);
    lanes::lanes(plan, &mut out);
    drills::examples(plan, &mut out);
    drills::exercises(plan, &mut out);
    out.sort_by_key(|d| (d.pos(), d.severity));
    out
}

/// Whether any diagnostic is an error (warnings alone leave a plan valid).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics
        .iter()
        .any(|d| d.severity == super::diag::Severity::Error)
}

pub(super) fn unique<'a>(
    items: impl IntoIterator<Item = &'a Loc<String>>,
    what: &str,
    out: &mut Vec<Diagnostic>,
) {
    // A map, not a list: a phase of 10,000 steps must not cost 50 million comparisons.
    let mut seen: HashMap<&str, &Loc<String>> = HashMap::new();
    for item in items {
        if let Some(first) = seen.get(item.value.as_str()) {
            out.push(Diagnostic::error(
                item.pos,
                rule::IDS,
                format!(
                    "{what} `{}` is already used at line {}",
                    item.value, first.pos.line
                ),
            ));
        } else {
            seen.insert(&item.value, item);
        }
    }
}

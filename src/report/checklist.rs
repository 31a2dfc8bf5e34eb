//! The verification checklist as the run answered it: each of the standard's ten items
//! with how the plan checks it, its result, who settled it and when. Read from the steps
//! that carry the items out, so the checklist and the step list cannot disagree.

use serde::{Deserialize, Serialize};

use super::time::Timestamp;
use crate::engine::{RunState, Status};
use crate::plan::Plan;
use crate::plan::checklist::{ITEMS, Item, Kind, verify_phase};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// The standard's name for it: `service_health`, ..., `dashboards_normal`.
    pub item: String,
    pub automated: bool,
    /// How the plan checks it: `step verify.health`, `check`, `trigger NAME`, `confirm`,
    /// `not applicable`, or `missing`.
    pub how: String,
    /// `passed`, `failed`, `skipped`, `not run`, `not applicable`, `missing`, or, for a
    /// person's item of a fully automated plan, `left to a person after the run`.
    pub result: String,
    /// The reason an item does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who settled it: the operator who confirmed or skipped it; absent for a machine's check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
}

impl ChecklistItem {
    /// The item in the words of the standard.
    pub fn words(&self) -> &'static str {
        ITEMS
            .iter()
            .find(|(k, _, _)| *k == self.item)
            .map_or("", |(_, w, _)| *w)
    }
}

/// The checklist of a run; empty when the plan has none.
pub fn checklist(plan: &Plan, state: &RunState) -> Vec<ChecklistItem> {
    let Some(list) = &plan.verification else {
        return Vec::new();
    };
    let phase = verify_phase(plan);
    ITEMS
        .iter()
        .zip(list.items())
        .map(|((key, _, kind), item)| {
            let automated = *kind == Kind::Automated;
            match item {
                None => ChecklistItem {
                    item: key.to_string(),
                    automated,
                    how: "missing".into(),
                    result: "missing".into(),
                    reason: None,
                    by: None,
                    at: None,
                },
                Some(item) => answered(plan, key, automated, item, &phase, state),
            }
        })
        .collect()
}

/// Whether the run's step `key` is the plan's step `plan_key`, or one region's copy of it.
pub fn is_instance(key: &str, plan_key: &str) -> bool {
    key.strip_prefix(plan_key)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('@'))
}

fn how(item: &Item) -> String {
    if let Some(s) = &item.step {
        return format!("step {}", s.keys().join(", "));
    }
    if item.check.is_some() {
        return "check".into();
    }
    if let Some(t) = &item.trigger {
        return format!("trigger {}", t.value);
    }
    if item.confirm.is_some() {
        return "confirm".into();
    }
    "not applicable".into()
}

fn answered(
    plan: &Plan,
    key: &str,
    automated: bool,
    item: &Item,
    phase: &str,
    state: &RunState,
) -> ChecklistItem {
    let mut out = ChecklistItem {
        item: key.to_string(),
        automated,
        how: how(item),
        result: "not applicable".into(),
        reason: item.not_applicable.as_ref().map(|r| r.value.clone()),
        by: None,
        at: None,
    };
    if item.confirm.is_some() && crate::plan::checklist::after_the_run(plan) {
        out.how = "confirm, after the run".into();
        out.result = "left to a person after the run".into();
        return out;
    }
    let keys = item.step_keys(key, phase);
    if keys.is_empty() {
        return out;
    }
    // A step of a phase run per region counts in every region (`phase.step@region`).
    let steps: Vec<_> = state
        .steps
        .iter()
        .filter(|s| s.selected && keys.iter().any(|k| is_instance(&s.key, k)))
        .collect();
    // The worst of its steps: one failure fails the item, one not run leaves it not run.
    let rank = |s: Status| match s {
        Status::Failed | Status::Interrupted => 0,
        Status::Pending | Status::Running => 1,
        Status::Replaced => 2,
        Status::Skipped => 3,
        Status::Ok => 4,
    };
    out.result = match steps.iter().map(|s| rank(s.status)).min() {
        None | Some(1) => "not run",
        Some(0) => "failed",
        Some(2) => "replaced by an alternative path",
        Some(3) => "skipped",
        _ => "passed",
    }
    .into();
    let last = steps
        .iter()
        .filter(|s| s.ended_ms.is_some())
        .max_by_key(|s| s.ended_ms);
    if let Some(s) = last {
        out.at = s.ended_ms.map(Timestamp);
        out.by = s
            .confirmed_by
            .clone()
            .or_else(|| s.approved_by.clone())
            .or_else(|| s.skipped.as_ref().map(|(by, _)| by.clone()));
    }
    out
}

impl super::model::Report {
    /// `## Verification checklist`, when the plan has one.
    pub(super) fn checklist_md(&self, out: &mut String) {
        use super::markdown::utc;
        use super::md::{cell, table};
        if self.checklist.is_empty() {
            return;
        }
        out.push_str("## Verification checklist\n\n");
        let rows: Vec<Vec<String>> = self
            .checklist
            .iter()
            .map(|c| {
                let result = match &c.reason {
                    Some(r) => format!("not applicable: {r}"),
                    None if c.result == "failed" || c.result == "missing" => {
                        format!("**{}**", c.result)
                    }
                    None => c.result.clone(),
                };
                vec![
                    cell(c.words()),
                    (if c.automated { "automated" } else { "manual" }).into(),
                    cell(&c.how),
                    cell(&result),
                    cell(c.by.as_deref().unwrap_or("-")),
                    c.at.map_or_else(|| "-".into(), utc),
                ]
            })
            .collect();
        out.push_str(&table(
            &["Item", "Kind", "Checked by", "Result", "Who", "When"],
            &rows,
        ));
        out.push('\n');
    }
}

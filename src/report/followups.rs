//! The plan's post-rollback validation: a to-do list grouped by the standard's windows
//! (immediate 0-15 min, short-term 15 min-1 h, long-term 1-24 h, or the plan's own ends),
//! each window opening and falling due at offsets from the run's end; and, once windows
//! ran, what each window found and the run's verdict (validated / regressed / not validated).

use serde::{Deserialize, Serialize};

use super::time::Timestamp;
use crate::engine::Event;
use crate::engine::Record;
use crate::monitor::validation::{RunVerdict, WindowVerdict};
use crate::plan::{Plan, Window};

const MIN: u64 = 60_000;

/// When a window opens and when it is due, after the run's end.
pub fn window_bounds(w: Window) -> (u64, u64) {
    match w {
        Window::Immediate => (0, 15 * MIN),
        Window::ShortTerm => (15 * MIN, 60 * MIN),
        Window::LongTerm => (60 * MIN, 24 * 60 * MIN),
    }
}

/// `immediate (0-15 min)`.
pub fn window_label(w: Window) -> &'static str {
    match w {
        Window::Immediate => "immediate (0-15 min)",
        Window::ShortTerm => "short-term (15 min-1 h)",
        Window::LongTerm => "long-term (1-24 h)",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUps {
    /// The time the windows count from: the run's end, or its last record if unfinished.
    pub counted_from: Timestamp,
    /// True when the run has not ended, so the due times are only provisional.
    pub provisional: bool,
    /// Windows that have items, in time order.
    pub groups: Vec<FollowUpGroup>,
    /// What the validation windows found; `None` when the plan declares no windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validated>,
}

/// The run's validation windows, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validated {
    pub verdict: RunVerdict,
    pub windows: Vec<WindowOutcome>,
    /// Samples recorded, and how many were failures.
    pub samples: usize,
    pub failures: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowOutcome {
    pub window: Window,
    pub verdict: WindowVerdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpGroup {
    pub window: Window,
    pub opens_at: Timestamp,
    pub due_at: Timestamp,
    pub items: Vec<FollowUpItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// A command to run.
    Check,
    /// Something a person confirms.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpItem {
    pub title: Option<String>,
    pub kind: FollowUpKind,
    /// The command, or what to confirm.
    pub text: String,
}

pub fn follow_ups(plan: &Plan, counted_from: Timestamp, finished: bool) -> FollowUps {
    let groups = [Window::Immediate, Window::ShortTerm, Window::LongTerm]
        .into_iter()
        .filter_map(|w| {
            let items: Vec<FollowUpItem> = plan
                .post_rollback
                .iter()
                .filter(|v| *v.window == w)
                .map(|v| FollowUpItem {
                    title: v.title.clone(),
                    kind: if v.check.is_some() {
                        FollowUpKind::Check
                    } else {
                        FollowUpKind::Manual
                    },
                    text: v.text().to_string(),
                })
                .collect();
            let (opens, due) = bounds(plan, w);
            (!items.is_empty()).then(|| FollowUpGroup {
                window: w,
                opens_at: counted_from.plus(opens),
                due_at: counted_from.plus(due),
                items,
            })
        })
        .collect();
    FollowUps {
        counted_from,
        provisional: !finished,
        groups,
        validation: None,
    }
}

/// A window's bounds: the plan's own ends when it declares windows, else the standard's.
fn bounds(plan: &Plan, w: Window) -> (u64, u64) {
    let Some(windows) = &plan.post_rollback.windows else {
        return window_bounds(w);
    };
    let ends = windows.ends();
    let i = ends.iter().position(|(x, _, _)| *x == w).unwrap_or(0);
    let end = |i: usize| ends[i].1.as_millis() as u64;
    (if i == 0 { 0 } else { end(i - 1) }, end(i))
}

/// What the validation segment's `records` say (every window pending when none ran).
pub fn validation(plan: &Plan, records: &[Record]) -> Option<Validated> {
    let declared = plan.post_rollback.windows.as_ref()?;
    let mut windows: Vec<WindowOutcome> = declared
        .ends()
        .iter()
        .map(|(w, _, _)| WindowOutcome {
            window: *w,
            verdict: WindowVerdict::Pending,
        })
        .collect();
    let (mut samples, mut failures, mut ended) = (0, 0, None);
    for r in records {
        match &r.event {
            Event::ValidationWindow {
                window, verdict, ..
            } => {
                if let Some(o) = windows.iter_mut().find(|o| o.window == *window) {
                    o.verdict = verdict.clone();
                }
            }
            Event::ValidationSample { outcome, .. } => {
                samples += 1;
                failures += usize::from(*outcome == crate::monitor::Outcome::Failure);
            }
            Event::ValidationEnded { verdict } => ended = Some(*verdict),
            _ => {}
        }
    }
    let verdict = match ended {
        Some(v) => v,
        None if records.is_empty() => RunVerdict::NotValidated,
        None => crate::monitor::validation::run_verdict(windows.iter().map(|o| &o.verdict)),
    };
    Some(Validated {
        verdict,
        windows,
        samples,
        failures,
    })
}

//! The plan's post-rollback validation as a to-do list: grouped by the standard's windows
//! (immediate 0-15 min, short-term 15 min-1 h, long-term 1-24 h), each window opening and
//! falling due at fixed offsets from the run's end.

use serde::{Deserialize, Serialize};

use super::time::Timestamp;
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
            let (opens, due) = window_bounds(w);
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
    }
}

//! The dashboard's lists (PURE): every run as one row — live ones first, then the rest
//! newest first, a corrupt or unreadable run listed as such among them — and a plan's
//! recent durations against its SLA for the sparkline.

use super::{Records, RunSummary, Unread};
use crate::engine::Mode;
use crate::report::RunOutcome;

/// What a row stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Its lock is held: running now. The faces look at its journal for phase and SLA.
    Live {
        holder: String,
    },
    /// Ended and counted: an index into `Records::runs`.
    Ended(usize),
    /// Left or killed before it ended: resumable.
    Left,
    Corrupt {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub plan: Option<String>,
    pub mode: Option<Mode>,
    pub kind: Kind,
}

/// Every run of `records` as a row, in the dashboard's order.
pub fn rows(records: &Records) -> Vec<Row> {
    let mut rows: Vec<Row> = records
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| Row {
            id: r.id.clone(),
            plan: Some(r.plan.clone()),
            mode: Some(r.mode),
            kind: Kind::Ended(i),
        })
        .chain(records.uncounted.iter().map(|u| Row {
            id: u.id.clone(),
            plan: u.plan.clone(),
            mode: u.mode,
            kind: match &u.why {
                Unread::Open { holder } => Kind::Live {
                    holder: holder.clone(),
                },
                Unread::Left | Unread::Unsealed => Kind::Left,
                Unread::Corrupt { why } => Kind::Corrupt { why: why.clone() },
            },
        }))
        .collect();
    // Run ids begin with their UTC start, so the name orders them by time.
    rows.sort_by(|a, b| {
        let live = |r: &Row| matches!(r.kind, Kind::Live { .. });
        live(b).cmp(&live(a)).then_with(|| b.id.cmp(&a.id))
    });
    rows
}

/// `✔ completed`, `✖ failed`: icon and word of an ended run.
pub fn outcome_word(r: &RunSummary) -> &'static str {
    if r.left {
        return "✖ left after a failure";
    }
    match r.outcome {
        RunOutcome::Completed => "✔ completed",
        RunOutcome::Failed => "✖ failed",
        RunOutcome::Aborted => "■ aborted",
        RunOutcome::NotFinished => "… not finished",
    }
}

/// The last `n` ended runs of `plan`, oldest first: (duration, SLA) in milliseconds.
pub fn durations(runs: &[RunSummary], plan: &str, n: usize) -> Vec<(u64, u64)> {
    let mut of: Vec<&RunSummary> = runs.iter().filter(|r| r.plan == plan).collect();
    of.sort_by_key(|r| r.started_ms);
    let skip = of.len().saturating_sub(n);
    of[skip..]
        .iter()
        .map(|r| (r.duration_ms, r.sla_ms))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Uncounted;
    use crate::records::testkit::run;

    fn uncounted(id: &str, why: Unread) -> Uncounted {
        Uncounted {
            id: id.into(),
            plan: None,
            mode: None,
            started_at: None,
            why,
        }
    }

    #[test]
    fn live_runs_come_first_then_the_rest_newest_first_corrupt_ones_included() {
        let records = Records {
            runs: vec![run(1), run(3)],
            uncounted: vec![
                uncounted("run-2", Unread::Corrupt { why: "torn".into() }),
                uncounted(
                    "run-0",
                    Unread::Open {
                        holder: "pid 1".into(),
                    },
                ),
                uncounted("run-4", Unread::Left),
            ],
        };
        let ids: Vec<String> = rows(&records).into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["run-0", "run-4", "run-3", "run-2", "run-1"]);
        let r = rows(&records);
        assert_eq!(r[3].kind, Kind::Corrupt { why: "torn".into() });
        assert_eq!(r[2].kind, Kind::Ended(1));
    }

    #[test]
    fn durations_are_the_latest_of_the_plan_oldest_first() {
        let mut other = run(5);
        other.plan = "q".into();
        let mut slow = run(2);
        slow.duration_ms = 700_000;
        let runs = vec![run(3), other, slow, run(1)];
        assert_eq!(
            durations(&runs, "p", 2),
            [(700_000, 600_000), (120_000, 600_000)]
        );
        assert!(durations(&runs, "none", 5).is_empty());
    }
}

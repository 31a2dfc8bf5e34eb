//! One person's drills over time (`stats --trainee NAME`): a fold over run summaries, each
//! drill with its score card's figures, oldest first, and how the latest compares with the
//! first.

use serde::Serialize;

use super::{RunSummary, Select};
use crate::report::RunOutcome;
use crate::report::scorecard::{DrillScore, median};

/// One drill of the trainee.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillRow {
    pub id: String,
    pub plan: String,
    pub started_ms: i64,
    pub outcome: RunOutcome,
    /// On the drill clock.
    pub duration_ms: u64,
    #[serde(flatten)]
    pub score: DrillScore,
}

/// The trainee's drills and what they add up to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraineeDrills {
    pub trainee: String,
    pub drills: Vec<DrillRow>,
    pub sla_met: u32,
    pub mistakes: u32,
    /// Median of the drills' median times to decide, on the drill clock.
    pub median_decide_drill_ms: Option<u64>,
    /// Latest drill's median time to decide minus the first's (negative: faster now).
    pub decide_trend_ms: Option<i64>,
}

/// The drills of `trainee` among `runs` that `select` takes (its plan and age; drills are
/// always taken here), oldest first.
pub fn trainee_drills(runs: &[RunSummary], trainee: &str, select: &Select) -> TraineeDrills {
    let select = Select {
        include_drills: true,
        ..select.clone()
    };
    let mut drills: Vec<DrillRow> = runs
        .iter()
        .filter(|r| select.takes(r))
        .filter_map(|r| {
            let score = r.drill.as_deref().filter(|d| d.trainee == trainee)?;
            Some(DrillRow {
                id: r.id.clone(),
                plan: r.plan.clone(),
                started_ms: r.started_ms,
                outcome: r.outcome,
                duration_ms: r.duration_ms,
                score: score.clone(),
            })
        })
        .collect();
    drills.sort_by(|a, b| a.started_ms.cmp(&b.started_ms).then(a.id.cmp(&b.id)));
    let decide = |d: &DrillRow| d.score.median_decide_drill_ms;
    let decide_trend_ms = match (
        drills.iter().find_map(decide),
        drills.iter().rev().find_map(decide),
    ) {
        (Some(first), Some(last)) if drills.iter().filter_map(decide).count() > 1 => {
            Some(last as i64 - first as i64)
        }
        _ => None,
    };
    TraineeDrills {
        trainee: trainee.to_string(),
        sla_met: drills
            .iter()
            .filter(|d| d.score.sla_met == Some(true))
            .count() as u32,
        mistakes: drills.iter().map(|d| d.score.mistakes).sum(),
        median_decide_drill_ms: median(drills.iter().filter_map(decide)),
        decide_trend_ms,
        drills,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Mode;
    use crate::records::testkit::{NOW, run};

    fn drill(n: u32, trainee: &str, decide_ms: u64, mistakes: u32) -> RunSummary {
        RunSummary {
            mode: Mode::Drill,
            drill: Some(Box::new(DrillScore {
                trainee: trainee.into(),
                exercise: Some("ex".into()),
                speed: 10.0,
                sla_met: Some(mistakes == 0),
                decisions: 2,
                median_decide_drill_ms: Some(decide_ms),
                escalations: 1,
                acknowledged_in_time: 1,
                mistakes,
            })),
            ..run(n)
        }
    }

    #[test]
    fn a_trainees_drills_come_oldest_first_with_their_trend() {
        let runs = vec![
            drill(3, "bo", 20_000, 0),
            drill(1, "bo", 60_000, 2),
            drill(2, "al", 5_000, 0),
            run(4),
            drill(5, "bo", 30_000, 1),
        ];
        let t = trainee_drills(&runs, "bo", &Select::default());
        let ids: Vec<&str> = t.drills.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["run-1", "run-3", "run-5"]);
        assert_eq!((t.sla_met, t.mistakes), (1, 3));
        assert_eq!(t.median_decide_drill_ms, Some(30_000));
        assert_eq!(t.decide_trend_ms, Some(-30_000), "faster than the first");
        let since = Select {
            since_ms: Some(NOW - 24 * 3_600_000 + 2 * 60_000),
            ..Select::default()
        };
        let t = trainee_drills(&runs, "bo", &since);
        assert_eq!(t.drills.len(), 2);
        assert!(
            trainee_drills(&runs, "nobody", &Select::default())
                .drills
                .is_empty()
        );
    }
}

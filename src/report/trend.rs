//! A rehearsal compared with the earlier rehearsals of the same plan (PURE, over sealed
//! summaries): total and per-phase durations against the previous one and the median of
//! the earlier ones, the trend, the steps that got slower, and the headroom left to the SLA.
//! Only completed rehearsals are compared with: an aborted one's timing says nothing about
//! how long the plan takes.

use serde::{Deserialize, Serialize};

use crate::engine::Mode;
use crate::engine::rehearsal::Environment;
use crate::report::summary::Summary;
use crate::report::{RunOutcome, Timestamp};

/// Within this much of the earlier median (either way), a total is steady, not a trend.
pub const STEADY_PCT: f64 = 10.0;
/// A step got slower when it took this much longer than in the previous rehearsal, in
/// percent and in time both (below either, it is noise).
pub const SLOWER_PCT: f64 = 20.0;
pub const SLOWER_MIN_MS: u64 = 500;
/// Earlier rehearsals listed run by run (all of them count in the median).
pub const LISTED: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Earlier completed rehearsals, how many in all.
    pub earlier_count: usize,
    /// The latest of them (at most [`LISTED`]), oldest first.
    pub earlier: Vec<Point>,
    pub this: Point,
    pub trend: Trend,
    /// This total against the median of the earlier ones, in percent (positive: slower).
    pub change_pct: Option<f64>,
    pub median_ms: Option<u64>,
    pub phases: Vec<PhaseDelta>,
    /// Steps slower than in the previous rehearsal, slowest change first.
    pub slower_steps: Vec<StepDelta>,
    /// The SLA less this duration (negative: over the SLA); the same for the previous one.
    pub sla_headroom_ms: i64,
    pub previous_headroom_ms: Option<i64>,
}

/// One rehearsal in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub run_id: String,
    pub started_at: Timestamp,
    pub duration_ms: u64,
    pub sla_ms: u64,
    pub within_sla: Option<bool>,
    pub environment: Option<Environment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// No earlier completed rehearsal to compare with.
    First,
    Faster,
    Steady,
    Slower,
}

impl Trend {
    pub fn word(self) -> &'static str {
        match self {
            Trend::First => "first rehearsal",
            Trend::Faster => "faster",
            Trend::Steady => "steady",
            Trend::Slower => "slower",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseDelta {
    pub id: String,
    pub this_ms: Option<u64>,
    pub previous_ms: Option<u64>,
    pub median_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDelta {
    pub key: String,
    pub this_ms: u64,
    pub previous_ms: u64,
}

impl Point {
    fn of(id: &str, s: &Summary) -> Point {
        let e = &s.metrics.execution;
        Point {
            run_id: id.to_string(),
            started_at: s.started_at,
            duration_ms: e.duration_ms,
            sla_ms: e.sla_ms,
            within_sla: e.within_sla,
            environment: s.rehearsal.as_ref().map(|r| r.environment),
        }
    }

    fn headroom_ms(&self) -> i64 {
        self.sla_ms as i64 - self.duration_ms as i64
    }
}

/// `this` (the run `this_id`) compared with the completed rehearsals of the same plan among
/// `others` that started before it; `None` unless `this` is a rehearsal.
pub fn compare(this_id: &str, this: &Summary, others: &[(String, Summary)]) -> Option<Comparison> {
    if this.mode != Mode::Rehearsal {
        return None;
    }
    let mut earlier: Vec<&(String, Summary)> = others
        .iter()
        .filter(|(id, s)| {
            id != this_id
                && s.mode == Mode::Rehearsal
                && s.plan == this.plan
                && s.metrics.execution.outcome == RunOutcome::Completed
                && s.started_at < this.started_at
        })
        .collect();
    earlier.sort_by_key(|(id, s)| (s.started_at, id.clone()));
    let previous = earlier.last().map(|(_, s)| s);
    let totals: Vec<u64> = earlier
        .iter()
        .map(|(_, s)| s.metrics.execution.duration_ms)
        .collect();
    let median_ms = median(totals);
    let point = Point::of(this_id, this);
    let change_pct = median_ms
        .filter(|m| *m > 0)
        .map(|m| ((point.duration_ms as f64 - m as f64) * 1000.0 / m as f64).round() / 10.0);
    let trend = match change_pct {
        None if earlier.is_empty() => Trend::First,
        None => Trend::Steady,
        Some(p) if p > STEADY_PCT => Trend::Slower,
        Some(p) if p < -STEADY_PCT => Trend::Faster,
        Some(_) => Trend::Steady,
    };
    let phases = this
        .phases
        .iter()
        .map(|p| {
            let of = |s: &Summary| {
                s.phases
                    .iter()
                    .find(|q| q.id == p.id)
                    .and_then(|q| q.duration_ms)
            };
            PhaseDelta {
                id: p.id.clone(),
                this_ms: p.duration_ms,
                previous_ms: previous.and_then(&of),
                median_ms: median(earlier.iter().filter_map(|(_, s)| of(s)).collect()),
            }
        })
        .collect();
    let listed = earlier.len().saturating_sub(LISTED);
    Some(Comparison {
        earlier_count: earlier.len(),
        earlier: earlier[listed..]
            .iter()
            .map(|(id, s)| Point::of(id, s))
            .collect(),
        trend,
        change_pct,
        median_ms,
        phases,
        slower_steps: previous.map_or_else(Vec::new, |p| slower_steps(this, p)),
        sla_headroom_ms: point.headroom_ms(),
        previous_headroom_ms: earlier.last().map(|(id, s)| Point::of(id, s).headroom_ms()),
        this: point,
    })
}

fn slower_steps(this: &Summary, previous: &Summary) -> Vec<StepDelta> {
    let mut slower: Vec<StepDelta> = this
        .steps
        .iter()
        .filter_map(|s| {
            let now = s.duration_ms?;
            let was = previous
                .steps
                .iter()
                .find(|p| p.key == s.key)?
                .duration_ms?;
            let more = now.checked_sub(was)?;
            (more >= SLOWER_MIN_MS && more as f64 * 100.0 >= was as f64 * SLOWER_PCT).then(|| {
                StepDelta {
                    key: s.key.clone(),
                    this_ms: now,
                    previous_ms: was,
                }
            })
        })
        .collect();
    slower.sort_by_key(|d| std::cmp::Reverse(d.this_ms - d.previous_ms));
    slower
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

#[cfg(test)]
mod tests;

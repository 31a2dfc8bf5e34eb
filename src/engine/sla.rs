//! The SLA countdown and the escalation ladder as pure functions of elapsed time.

use crate::plan::levels::LEVEL_1_ACTION;
use crate::plan::{Plan, Rung};

/// Where a run stands against its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaStatus {
    pub elapsed_ms: u64,
    pub sla_ms: u64,
}

impl SlaStatus {
    pub fn new(elapsed_ms: u64, sla_ms: u64) -> Self {
        SlaStatus { elapsed_ms, sla_ms }
    }
    /// Time left, zero once breached.
    pub fn remaining_ms(&self) -> u64 {
        self.sla_ms.saturating_sub(self.elapsed_ms)
    }
    /// Time past the SLA, zero before.
    pub fn overrun_ms(&self) -> u64 {
        self.elapsed_ms.saturating_sub(self.sla_ms)
    }
    pub fn breached(&self) -> bool {
        self.elapsed_ms >= self.sla_ms
    }
    /// Share of the SLA used, 0.0 to 1.0 (capped).
    pub fn fraction_used(&self) -> f64 {
        if self.sla_ms == 0 {
            return 1.0;
        }
        (self.elapsed_ms as f64 / self.sla_ms as f64).min(1.0)
    }
}

/// The rung in force at `elapsed_ms`: level 1 until the first rung's time.
pub fn level_at(ladder: &[Rung], elapsed_ms: u64) -> (u8, String) {
    ladder
        .iter()
        .filter(|r| r.after.as_millis() <= elapsed_ms)
        .max_by_key(|r| *r.level)
        .map(|r| (*r.level, r.action.clone()))
        .unwrap_or((1, LEVEL_1_ACTION.to_string()))
}

/// The action written for `level`, or the standard's words when the plan has no such rung.
pub fn action_for(ladder: &[Rung], level: u8) -> String {
    ladder
        .iter()
        .find(|r| *r.level == level)
        .map(|r| r.action.clone())
        .unwrap_or_else(|| {
            crate::plan::levels::default_ladder()
                .into_iter()
                .find(|r| *r.level == level)
                .map(|r| r.action)
                .unwrap_or_else(|| LEVEL_1_ACTION.to_string())
        })
}

/// The SLA of one region of a run: the plan's SLA (at level 4 the standard's "per region").
pub fn region_sla_ms(plan: &Plan) -> u64 {
    u64::try_from(plan.sla().as_millis()).unwrap_or(u64::MAX)
}

/// The SLA for a run of `plan`: at level 4 the plan's SLA is per region.
pub fn run_sla_ms(plan: &Plan, regions_in_run: usize) -> u64 {
    let per = region_sla_ms(plan);
    if *plan.level >= 4 {
        per.saturating_mul(regions_in_run.max(1) as u64)
    } else {
        per
    }
}

/// Time left as a countdown shows it: rounded up, so it reads 05:00 at the start and
/// 00:00 only when the time is really up.
pub fn countdown_text(remaining_ms: u64) -> String {
    clock_text(remaining_ms.div_ceil(1000) * 1000)
}

/// `mm:ss`, or `h:mm:ss` past an hour.
pub fn clock_text(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::levels::default_ladder;

    #[test]
    fn escalation_follows_the_standard_ladder_to_the_millisecond() {
        let ladder = default_ladder();
        let cases = [
            (0, 1),
            (4 * 60_000 + 59_999, 1),
            (5 * 60_000, 2),
            (14 * 60_000 + 59_999, 2),
            (15 * 60_000, 3),
            (30 * 60_000 - 1, 3),
            (30 * 60_000, 4),
            (10 * 3_600_000, 4),
        ];
        for (elapsed, want) in cases {
            assert_eq!(level_at(&ladder, elapsed).0, want, "at {elapsed} ms");
        }
        assert_eq!(level_at(&ladder, 5 * 60_000).1, "Engage senior SRE");
    }

    #[test]
    fn sla_counts_down_then_over() {
        let s = SlaStatus::new(4 * 60_000, 5 * 60_000);
        assert_eq!(
            (s.remaining_ms(), s.overrun_ms(), s.breached()),
            (60_000, 0, false)
        );
        assert!((s.fraction_used() - 0.8).abs() < 1e-9);
        let s = SlaStatus::new(5 * 60_000 + 12_000, 5 * 60_000);
        assert_eq!(
            (s.remaining_ms(), s.overrun_ms(), s.breached()),
            (0, 12_000, true)
        );
        assert_eq!(clock_text(s.overrun_ms()), "00:12");
        assert_eq!(clock_text(3_725_000), "1:02:05");
    }
}

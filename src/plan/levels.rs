//! What the standard fixes per certification level and for escalation, and the values a
//! plan gets when it leaves them out.

use std::time::Duration;

use super::duration::Dur;
use super::loc::{Loc, Pos};
use super::model::{Operation, Plan, Rung};

/// The SLA the standard sets for a level (at level 4, per region).
pub fn default_sla(level: u8) -> Duration {
    match level {
        0..=2 => Duration::from_secs(30 * 60),
        3 => Duration::from_secs(15 * 60),
        _ => Duration::from_secs(10 * 60),
    }
}

/// The target the standard sets for a kind of change, whatever the level: flipping a
/// configuration or a workflow back is quick, a database or infrastructure takes longest.
pub fn operation_sla(op: Operation) -> Duration {
    let mins = match op {
        Operation::Configuration | Operation::Workflow => 5,
        Operation::Application => 15,
        Operation::Database | Operation::Infrastructure => 30,
    };
    Duration::from_secs(mins * 60)
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Application => "application",
            Operation::Database => "database",
            Operation::Infrastructure => "infrastructure",
            Operation::Configuration => "configuration",
            Operation::Workflow => "workflow",
        }
    }
}

/// The SLA a plan gets when it names none: the tighter of its level's and its operation's.
pub fn default_plan_sla(level: u8, op: Operation) -> Duration {
    default_sla(level).min(operation_sla(op))
}

/// The action of escalation level 1, where every run starts.
pub const LEVEL_1_ACTION: &str = "Retry with logging";

/// The standard's escalation ladder: who is engaged as a rollback runs long.
pub fn default_ladder() -> Vec<Rung> {
    [
        (5, 2, "Engage senior SRE"),
        (15, 3, "Engage CTO/VP"),
        (30, 4, "Full incident response"),
    ]
    .into_iter()
    .map(|(mins, level, action)| Rung {
        after: Loc::new(Dur::mins(mins), Pos::default()),
        level: Loc::new(level, Pos::default()),
        action: action.to_string(),
        notify: None,
    })
    .collect()
}

impl Plan {
    /// The SLA as written or the default of the level and operation type (per region at
    /// level 4).
    pub fn sla(&self) -> Duration {
        self.sla
            .as_ref()
            .map(|s| s.value.0)
            .unwrap_or_else(|| self.default_sla())
    }

    /// The SLA the standard gives this plan: the tighter of its level's and its operation's.
    pub fn default_sla(&self) -> Duration {
        default_plan_sla(*self.level, *self.operation)
    }

    /// The escalation ladder as written or the standard's, ordered by time.
    pub fn ladder(&self) -> Vec<Rung> {
        let mut rungs = self
            .escalation
            .as_ref()
            .map(|l| l.value.clone())
            .unwrap_or_else(default_ladder);
        rungs.sort_by_key(|r| r.after.value);
        rungs
    }

    /// Every step with its phase, in plan order.
    pub fn steps(&self) -> impl Iterator<Item = (&super::Phase, &super::Step)> {
        self.phases
            .iter()
            .flat_map(|p| p.steps.iter().map(move |s| (p, s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_defaults_follow_the_standard() {
        assert_eq!(default_sla(2).as_secs(), 1800);
        assert_eq!(default_sla(3).as_secs(), 900);
        assert_eq!(default_sla(4).as_secs(), 600);
        let ladder: Vec<(u64, u8)> = default_ladder()
            .iter()
            .map(|r| (r.after.0.as_secs(), *r.level))
            .collect();
        assert_eq!(ladder, vec![(300, 2), (900, 3), (1800, 4)]);
    }

    #[test]
    fn the_default_sla_is_the_tighter_of_level_and_operation() {
        let mins = |level, op| default_plan_sla(level, op).as_secs() / 60;
        assert_eq!(mins(2, Operation::Application), 15);
        assert_eq!(mins(3, Operation::Application), 15);
        assert_eq!(mins(4, Operation::Application), 10);
        assert_eq!(mins(2, Operation::Configuration), 5);
        assert_eq!(mins(3, Operation::Workflow), 5);
        assert_eq!(mins(2, Operation::Database), 30);
        assert_eq!(mins(3, Operation::Infrastructure), 15);
        assert_eq!(mins(4, Operation::Database), 10);
    }
}

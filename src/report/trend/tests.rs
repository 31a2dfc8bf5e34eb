use super::*;
use crate::report::summary::StepTime;

const MIN: u64 = 60_000;

/// A completed rehearsal of `p` started at minute `at`: capture then execute, SLA 15:00.
fn rehearsal(at: i64, capture: u64, execute: u64) -> Summary {
    let mut s: Summary = serde_json::from_value(serde_json::json!({
        "plan": "p", "level": 3, "operation": "application", "automation": "semi",
        "mode": "rehearsal", "operator": "ci", "started_at": "2027-01-15T08:00:00.000Z",
        "sla": "met", "phases": [], "escalations": [], "resumes": 0,
        "metrics": {
            "execution": {"trigger": "manual", "finished": true, "outcome": "completed",
                "success": true, "duration_ms": 0, "sla_ms": 900000, "within_sla": true,
                "attempts": 2, "retries": 0},
            "impact": {"recorded": false},
            "quality": {"tested_beforehand": "yes", "steps_selected": 2, "steps_automated": 2,
                "steps_manual": 0, "steps_ok": 2, "steps_skipped": 0, "steps_failed": 0,
                "steps_not_done": 0}
        }
    }))
    .unwrap();
    s.started_at = Timestamp(s.started_at.ms() + at * MIN as i64);
    s.metrics.execution.duration_ms = capture + execute;
    for (id, ms) in [("capture", capture), ("execute", execute)] {
        s.phases.push(crate::report::summary::PhaseTime {
            id: id.into(),
            status: crate::report::phases::PhaseStatus::Ok,
            duration_ms: Some(ms),
        });
        s.steps.push(StepTime {
            key: format!("{id}.only"),
            duration_ms: Some(ms),
        });
    }
    s
}

fn named(runs: Vec<Summary>) -> Vec<(String, Summary)> {
    runs.into_iter()
        .enumerate()
        .map(|(i, s)| (format!("run-{i}"), s))
        .collect()
}

#[test]
fn only_a_rehearsal_is_compared_and_the_first_says_so() {
    let mut live = rehearsal(10, MIN, MIN);
    live.mode = Mode::Live;
    assert_eq!(compare("this", &live, &[]), None);

    let this = rehearsal(10, MIN, MIN);
    let c = compare("this", &this, &[]).unwrap();
    assert_eq!(c.trend, Trend::First);
    assert_eq!(c.earlier_count, 0);
    assert!(c.slower_steps.is_empty());
    assert_eq!(c.sla_headroom_ms, 13 * MIN as i64);
    assert_eq!(c.previous_headroom_ms, None);
}

#[test]
fn earlier_means_completed_rehearsals_of_the_same_plan_started_before() {
    let this = rehearsal(10, MIN, MIN);
    let mut other_plan = rehearsal(1, MIN, MIN);
    other_plan.plan = "q".into();
    let mut aborted = rehearsal(2, MIN, MIN);
    aborted.metrics.execution.outcome = RunOutcome::Aborted;
    let mut drill = rehearsal(3, MIN, MIN);
    drill.mode = Mode::Drill;
    let later = rehearsal(20, MIN, MIN);
    let counted = rehearsal(4, MIN, MIN);
    let all = named(vec![other_plan, aborted, drill, later, counted]);
    let c = compare("this", &this, &all).unwrap();
    assert_eq!(c.earlier_count, 1);
    assert_eq!(c.earlier[0].run_id, "run-4");
}

#[test]
fn the_total_is_compared_with_the_median_and_slower_steps_with_the_previous() {
    // Totals 4:00, 2:00, 3:00 before: median 3:00. This one 3:30: 16.7% slower.
    let earlier = named(vec![
        rehearsal(1, MIN, 3 * MIN),
        rehearsal(2, MIN, MIN),
        rehearsal(3, MIN, 2 * MIN),
    ]);
    let this = rehearsal(10, MIN, 5 * MIN / 2);
    let c = compare("this", &this, &earlier).unwrap();
    assert_eq!(c.median_ms, Some(3 * MIN));
    assert_eq!(c.change_pct, Some(16.7));
    assert_eq!(c.trend, Trend::Slower);
    assert_eq!(
        c.phases[1],
        PhaseDelta {
            id: "execute".into(),
            this_ms: Some(5 * MIN / 2),
            previous_ms: Some(2 * MIN),
            median_ms: Some(2 * MIN),
        }
    );
    assert_eq!(
        c.slower_steps,
        [StepDelta {
            key: "execute.only".into(),
            this_ms: 5 * MIN / 2,
            previous_ms: 2 * MIN,
        }]
    );
    assert_eq!(c.sla_headroom_ms, (15 * MIN - 7 * MIN / 2) as i64);
    assert_eq!(c.previous_headroom_ms, Some(12 * MIN as i64));

    // Within 10% of the median is steady; well under it is faster.
    let steady = rehearsal(10, MIN, 2 * MIN + 10_000);
    assert_eq!(
        compare("this", &steady, &earlier).unwrap().trend,
        Trend::Steady
    );
    let fast = rehearsal(10, MIN, MIN / 2);
    assert_eq!(
        compare("this", &fast, &earlier).unwrap().trend,
        Trend::Faster
    );
}

#[test]
fn a_step_slower_by_less_than_the_noise_floor_is_not_listed() {
    // 100 ms to 400 ms is 300% slower but only 300 ms: noise. 10 s to 11.9 s is 19%: noise.
    let earlier = named(vec![rehearsal(1, 100, 10_000)]);
    let this = rehearsal(10, 400, 11_900);
    assert!(
        compare("this", &this, &earlier)
            .unwrap()
            .slower_steps
            .is_empty()
    );
    let this = rehearsal(10, 700, 12_000);
    let keys: Vec<String> = compare("this", &this, &earlier)
        .unwrap()
        .slower_steps
        .into_iter()
        .map(|d| d.key)
        .collect();
    assert_eq!(
        keys,
        ["execute.only", "capture.only"],
        "largest change first"
    );
}

#[test]
fn only_the_latest_earlier_rehearsals_are_listed_but_all_count() {
    let earlier = named((1..=8).map(|i| rehearsal(i, MIN, MIN)).collect());
    let c = compare("this", &rehearsal(10, MIN, MIN), &earlier).unwrap();
    assert_eq!(c.earlier_count, 8);
    assert_eq!(c.earlier.len(), LISTED);
    assert_eq!(c.earlier.last().unwrap().run_id, "run-7");
}

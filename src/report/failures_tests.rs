//! A region's step failing for good, played through the real engine: the report, its phase
//! and region rows, its metrics and the drill's score card all tell it, whatever became of it.

use super::super::model::{RunOutcome, build};
use super::super::phases::PhaseStatus;
use super::super::regions::RegionStatus;
use super::super::scorecard::scorecard;
use super::super::testkit::{Drive, T0};
use crate::engine::decide::Input;
use crate::engine::tally::Fate;
use crate::engine::{StepOutcome, Waiting};
use crate::plan::RegionFailure;

/// Two regions one at a time; `undo` may be replaced by the path `scale`.
const PLAN: &str = "plan: r\ntitle: Regional\nlevel: 4\noperation: application\n\
automation: full\nsla: 10m\nregions: [eu, us]\nparallel: 1\non_region_failure: ask\n\
phases:\n  - id: execute\n    for_each: region\n    steps:\n      - {id: drain, run: 'true'}\n      \
- id: undo\n        run: 'true'\n        alternatives:\n          \
- {id: scale, title: Scale up instead, steps: [{id: up, run: 'true'}]}\n      \
- {id: ready, check: 'true'}\n  - id: verify\n    steps:\n      - {id: versions, check: 'true'}\n";

/// A drill up to `undo@us` failing for good, the other regions stopped by the trainee.
fn failed_in_us() -> Drive {
    let mut d = Drive::new(PLAN, None);
    d.start_drill(1.0);
    loop {
        match d.state.waiting() {
            Waiting::PointOfNoReturn(_) => {
                d.feed(Input::ConfirmPointOfNoReturn { by: "dana".into() });
            }
            Waiting::Ready(i) if d.state.steps[i].key == "execute.undo@us" => {
                d.command(StepOutcome::Failed, 8);
                break;
            }
            Waiting::Ready(_) => {
                d.command(StepOutcome::Ok, 2);
            }
            w => panic!("unexpected {w:?}"),
        }
    }
    assert!(matches!(d.state.waiting(), Waiting::RegionFailure(_)));
    d.now += 5_000;
    d.feed(Input::ChooseRegionPolicy {
        by: "dana".into(),
        choice: RegionFailure::StopAll,
    });
    assert!(matches!(d.state.waiting(), Waiting::Failure(_)));
    d.now += 5_000;
    d
}

#[test]
fn a_region_retried_to_ok_is_told_everywhere_and_the_run_is_still_completed() {
    let mut d = failed_in_us();
    d.feed(Input::Retry { by: "dana".into() });
    d.all_ok();
    let r = build(&d.plan, &d.records, T0 + 86_400_000);
    assert_eq!(r.outcome.status, RunOutcome::Completed);
    let exec = &r.phases[0];
    assert_eq!(exec.status, PhaseStatus::Recovered, "{exec:?}");
    assert_eq!(r.failures.len(), 1);
    let f = &r.failures[0];
    assert_eq!(
        (f.step.as_str(), f.region.as_deref(), f.fate),
        ("execute.undo@us", Some("us"), Fate::Retried)
    );
    assert_eq!(f.by.as_deref(), Some("dana"));
    let us = r.regions.iter().find(|g| g.region == "us").unwrap();
    assert_eq!(us.status, RegionStatus::Recovered);
    let e = &r.metrics.execution;
    assert_eq!(
        (e.failures.failed_attempts, e.failures.retried, e.retries),
        (1, 1, 1)
    );
    assert_eq!(e.failures.regions, 1);
    let md = r.to_markdown();
    assert!(
        md.contains("| Failures | region us: `execute.undo@us` failed for good, retried (asked by dana), then ok; 1 of "),
        "{md}"
    );
    assert!(md.contains("| **recovered** |"), "{md}");
    assert!(!md.contains("incomplete"), "{md}");
    let card = scorecard(&d.plan, &d.records).expect("a drill has a score card");
    let kinds: Vec<&str> = card.decisions.iter().map(|x| x.kind.as_str()).collect();
    assert!(kinds.contains(&"regions_stop_all"), "{kinds:?}");
    assert!(kinds.contains(&"retry"), "{kinds:?}");
    assert!(card.mistakes.is_empty(), "{:?}", card.mistakes);
}

#[test]
fn a_region_replaced_by_its_path_is_recovered_not_incomplete() {
    let mut d = failed_in_us();
    d.feed(Input::TakeAlternative {
        by: "dana".into(),
        alternative: "scale".into(),
        automatic: false,
    });
    d.all_ok();
    let r = build(&d.plan, &d.records, T0 + 86_400_000);
    assert_eq!(r.outcome.status, RunOutcome::Completed);
    assert_eq!(r.phases[0].status, PhaseStatus::Recovered);
    assert!(
        r.phases[0].duration_ms.is_some(),
        "a phase whose step was replaced ends when its path does"
    );
    assert_eq!(r.failures[0].fate, Fate::Replaced);
    assert_eq!(r.failures[0].alternative.as_deref(), Some("scale"));
    assert_eq!(r.metrics.quality.steps_replaced, 1);
    let card = scorecard(&d.plan, &d.records).unwrap();
    let taken = card.decisions.iter().find(|x| x.kind == "alternative");
    assert_eq!(
        taken.and_then(|x| x.step.as_deref()),
        Some("execute.undo@us")
    );
}

#[test]
fn skipping_a_failed_region_step_that_has_a_path_is_a_mistake_and_is_told() {
    let mut d = failed_in_us();
    d.feed(Input::Skip {
        by: "dana".into(),
        reason: "later".into(),
    });
    d.all_ok();
    let r = build(&d.plan, &d.records, T0 + 86_400_000);
    assert_eq!(r.phases[0].status, PhaseStatus::FailedStepSkipped);
    assert_eq!(r.failures[0].fate, Fate::Skipped);
    let us = r.regions.iter().find(|g| g.region == "us").unwrap();
    assert_eq!(us.status, RegionStatus::FailedStepSkipped);
    let card = scorecard(&d.plan, &d.records).unwrap();
    assert_eq!(card.mistakes.len(), 1, "{:?}", card.mistakes);
    assert!(card.mistakes[0].contains("region us is left without its rollback"));
}

use super::*;
use crate::records::testkit::{DAY, NOW, run};

fn asked(level: u8) -> Asked<'static> {
    Asked {
        plan: "p",
        level,
        errors: 0,
        max_age_ms: 90 * DAY as u64,
        now_ms: NOW,
    }
}

fn rehearsal(n: u32) -> RunSummary {
    RunSummary {
        mode: Mode::Rehearsal,
        ..run(n)
    }
}

fn missing(r: &Readiness) -> Vec<&'static str> {
    r.missing().map(|m| m.id).collect()
}

#[test]
fn level_1_needs_only_validation() {
    assert!(readiness(&asked(1), &[]).ready);
    let bad = Asked {
        errors: 2,
        ..asked(1)
    };
    let r = readiness(&bad, &[]);
    assert_eq!(missing(&r), ["validates"]);
    assert!(
        r.requirements[0]
            .missing
            .as_ref()
            .unwrap()
            .contains("2 error(s)")
    );
}

#[test]
fn level_2_needs_a_completed_rehearsal_of_the_same_plan() {
    let mut other = rehearsal(1);
    other.plan = "q".into();
    let live = run(2);
    let r = readiness(&asked(2), &[other.clone(), live.clone()]);
    assert_eq!(missing(&r), ["staging"]);
    assert!(
        r.requirements[1]
            .missing
            .as_ref()
            .unwrap()
            .contains("no rehearsal of `p`")
    );
    let mut aborted = rehearsal(3);
    aborted.outcome = RunOutcome::Aborted;
    let r = readiness(&asked(2), &[aborted.clone()]);
    assert!(
        r.requirements[1]
            .missing
            .as_ref()
            .unwrap()
            .contains("none completed")
    );
    let r = readiness(&asked(2), &[aborted, rehearsal(4)]);
    assert!(r.ready);
    assert_eq!(r.requirements[1].evidence.as_deref(), Some("run-4 (02:00)"));
}

fn prod_like(n: u32) -> RunSummary {
    RunSummary {
        environment: Some(Environment::ProdLike),
        ..rehearsal(n)
    }
}

#[test]
fn level_3_needs_a_recent_rehearsal_inside_the_sla_and_a_prod_like_one() {
    let staging = RunSummary {
        environment: Some(Environment::Staging),
        ..rehearsal(1)
    };
    let r = readiness(&asked(3), &[staging, rehearsal(2)]);
    assert_eq!(missing(&r), ["prod_like"]);
    let why = r.requirements[3].missing.as_ref().unwrap();
    assert!(
        why.contains("1 in staging, 1 with the environment not recorded; rehearse with `rollback rehearse --env prod-like`"),
        "{why}"
    );

    let r = readiness(&asked(3), &[prod_like(1), rehearsal(2)]);
    assert!(r.ready, "{r:?}");
    assert_eq!(
        r.requirements[3].evidence.as_deref(),
        Some("run-1 (prod-like, 02:00 of 10:00)")
    );

    // A prod-like rehearsal that missed the SLA, or is too old, does not count.
    let mut slow = prod_like(1);
    slow.within_sla = Some(false);
    slow.duration_ms = 700_000;
    let r = readiness(&asked(3), &[slow]);
    assert_eq!(missing(&r), ["recent_within_sla", "prod_like"]);
    assert!(
        r.requirements[2]
            .missing
            .as_ref()
            .unwrap()
            .contains("all missed the SLA (best 11:40 of 10:00)")
    );
    assert!(
        r.requirements[3]
            .missing
            .as_ref()
            .unwrap()
            .contains("no completed rehearsal within the SLA in the last 90 days")
    );

    let mut old = prod_like(1);
    old.started_ms = NOW - 91 * DAY;
    let r = readiness(&asked(3), &[old]);
    assert_eq!(missing(&r), ["recent_within_sla", "prod_like"]);
    assert!(r.requirements[2].missing.as_ref().unwrap().contains("no completed rehearsal in the last 90 days (the latest started 2026-10-16T08:00:00.000Z)"), "{:?}", r.requirements[2]);
}

#[test]
fn level_4_also_needs_multi_region_and_stakeholder_rehearsals() {
    let r = readiness(&asked(4), &[prod_like(1)]);
    assert_eq!(missing(&r), ["multi_region", "stakeholders"]);
    assert!(!r.ready);
    let why = r.requirements[4].missing.as_ref().unwrap();
    assert!(why.contains("covered at most 0 region(s)"), "{why}");
    let why = r.requirements[5].missing.as_ref().unwrap();
    assert!(why.contains("rehearse with `--stakeholder NAME`"), "{why}");

    // Each may come from a different rehearsal; a participant is not a stakeholder.
    let regions = RunSummary {
        regions: 2,
        participants: 3,
        ..rehearsal(2)
    };
    let r = readiness(&asked(4), &[prod_like(1), regions.clone()]);
    assert_eq!(missing(&r), ["stakeholders"]);
    assert_eq!(
        r.requirements[4].evidence.as_deref(),
        Some("run-2 (2 regions)")
    );
    let with_owner = RunSummary {
        stakeholders: 1,
        participants: 1,
        ..rehearsal(3)
    };
    let r = readiness(&asked(4), &[prod_like(1), regions, with_owner]);
    assert!(r.ready, "{r:?}");
    assert_eq!(
        r.requirements[5].evidence.as_deref(),
        Some("run-3 (1 stakeholder(s))")
    );
}

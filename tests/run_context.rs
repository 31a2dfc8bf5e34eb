//! Commands are told which regions and which scenario are in the run.

mod common;

use common::{Runs, text};

const PLAN: &str = r#"plan: regions
title: Regions
level: 2
operation: infrastructure
automation: manual
regions: [eu-west-1, us-east-1]
scenarios:
  us-only: {kind: regional, regions: [us-east-1]}
phases:
  - id: capture
    steps:
      - id: show
        run: |
          printf 'in run: [%s] scenario [%s]\n' "$ROLLBACK_REGIONS" "$ROLLBACK_SCENARIO"
  - {id: apply-eu-west-1, kind: execute, region: eu-west-1, steps: [{id: a, run: "true"}]}
  - {id: apply-us-east-1, kind: execute, region: us-east-1, steps: [{id: a, run: "true"}]}
  - id: verify
    steps:
      - id: ok
        check: "true"
"#;

#[test]
fn commands_see_the_regions_and_scenario_of_the_run() {
    let runs = Runs::new();
    let plan = runs.path().join("plan.yaml");
    std::fs::write(&plan, PLAN).unwrap();
    let p = plan.to_str().unwrap();
    for (extra, expected) in [
        (&[][..], "in run: [eu-west-1 us-east-1] scenario []"),
        (
            &["--scenario", "us-only"][..],
            "in run: [us-east-1] scenario [us-only]",
        ),
    ] {
        let mut args = vec!["rehearse", p, "--headless", "-v"];
        args.extend(extra);
        let out = runs.run(&args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert!(all.contains(expected), "{expected}: {all}");
    }
}

//! `env: true` variables: the environment's value wins over the default, `--var` and
//! `--var-file` win over the environment, and the run records where each value came from.

mod common;

use common::{Runs, text, timeline};

const PLAN: &str = r#"plan: env-vars
title: Env vars
level: 2
operation: configuration
automation: manual
vars:
  PROFILE: {env: true, default: prod-admin}
  TOKEN: {env: true, secret: true}
  REGION: {env: true, default: eu-west-1}
  plain: {default: kept}
  from_file: {default: d}
  given: {}
phases:
  - id: capture
    steps:
      - id: show
        run: printf 'seen %s|%s|%s|%s|%s|%s\n' "$PROFILE" "$TOKEN" "$REGION" "$plain" "$from_file" "$given"
  - id: verify
    steps:
      - id: ok
        check: "true"
"#;

fn started(run: &std::path::Path) -> serde_json::Value {
    let line = timeline(run).lines().next().unwrap_or_default().to_string();
    let v: serde_json::Value = serde_json::from_str(&line).expect("journal line");
    v
}

#[test]
fn environment_values_win_over_defaults_and_the_run_records_each_source() {
    let runs = Runs::new();
    let plan = runs.path().join("plan.yaml");
    std::fs::write(&plan, PLAN).unwrap();
    let file = runs.path().join("vars.yaml");
    std::fs::write(&file, "from_file: f1\nREGION: us-east-1\n").unwrap();
    let out = runs
        .cmd(&[
            "rehearse",
            plan.to_str().unwrap(),
            "--headless",
            "-v",
            "--var-file",
            file.to_str().unwrap(),
            "--var",
            "given=g1",
        ])
        .env("PROFILE", "staging-infra")
        .env("TOKEN", "t0ps3cret")
        .env("REGION", "ap-south-1")
        .env("plain", "not-taken")
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("seen staging-infra|***|us-east-1|kept|f1|g1"),
        "{all}"
    );
    let runs_dirs = runs.run_dirs();
    let run = runs_dirs
        .iter()
        .find(|d| d.join("timeline.jsonl").exists())
        .unwrap();
    let info = started(run);
    let pairs = |key: &str| -> Vec<(String, String)> {
        serde_json::from_value(info[key].clone()).expect("pairs")
    };
    let vars = pairs("vars");
    assert!(vars.contains(&("TOKEN".into(), "***".into())), "{vars:?}");
    assert!(!timeline(run).contains("t0ps3cret"));
    let sources = pairs("var_sources");
    for (name, source) in [
        ("PROFILE", "environment"),
        ("TOKEN", "environment"),
        ("REGION", "var-file"),
        ("plain", "default"),
        ("from_file", "var-file"),
        ("given", "given"),
    ] {
        assert!(
            sources.contains(&(name.to_string(), source.to_string())),
            "{name} from {source}: {sources:?}"
        );
    }
}

#[test]
fn a_given_value_wins_over_the_environment_and_an_empty_one_is_not_taken() {
    let runs = Runs::new();
    let plan = runs.path().join("plan.yaml");
    std::fs::write(&plan, PLAN).unwrap();
    let out = runs
        .cmd(&[
            "rehearse",
            plan.to_str().unwrap(),
            "--headless",
            "-v",
            "--var",
            "PROFILE=ops",
            "--var",
            "given=g",
        ])
        .env("PROFILE", "staging-infra")
        .env("REGION", "")
        .env_remove("TOKEN")
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("seen ops||eu-west-1|kept|d|g"), "{all}");
}

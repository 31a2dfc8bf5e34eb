//! Every catalogue condition judged on answers of each shape, category by category: no
//! series is an error (no data, never healthy), one bad series among good ones is a bad
//! sample, and all good is healthy.

use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::monitor::spec::{NO_SERIES, ProbeSpec, Reads, Spec};
use crate::monitor::window::Outcome;
use crate::plan::catalogue::{CATEGORIES, entries, find};

/// The catalogue trigger `name` as a plan uses it, pointed at a made-up server.
fn spec(name: &str) -> Spec {
    let base = include_str!("../../tests/plans/base.yaml");
    let head = base.split("triggers:").next().unwrap();
    let probe = match find(name).unwrap().probe_kind() {
        "prometheus" => "prometheus: {url: 'http://p:9090', selector: 'job=\"api\"'}",
        "http" => "http: {url: 'http://x:8080/health'}",
        _ => "alertmanager: {port: 9099, token: am}",
    };
    let text = format!(
        "{head}vars:\n  am: {{secret: true}}\ntriggers:\n  - name: t\n    use: {name}\n    {probe}\n"
    );
    let loaded = crate::plan::load::load_bytes("t.yaml", text.into_bytes())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    Spec::resolve(&loaded.plan.triggers[0]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn series(values: &[f64]) -> Json {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"labels": {"pod": format!("api-{i}")}, "value": v}))
        .collect()
}

fn outcome(s: &Spec, answer: Json) -> Outcome {
    s.judge(Duration::ZERO, Ok(answer)).outcome
}

/// Each Prometheus entry with a value it calls good and one it calls bad.
const SERIES: &[(&str, f64, f64)] = &[
    ("error-rate", 0.01, 0.2),
    ("latency-p95", 0.1, 2.0),
    ("latency-p99", 0.3, 3.0),
    ("throughput-drop", 0.95, 0.2),
    ("cpu-usage", 0.5, 0.95),
    ("memory-usage", 0.5, 0.95),
    ("queue-depth", 10.0, 5000.0),
    ("restart-rate", 0.0, 10.0),
    ("availability", 1.0, 0.5),
    ("conversion-drop", 1.0, 0.5),
    ("orders-drop", 1.1, 0.5),
    ("checkout-failures", 0.0, 0.1),
    ("invalid-records", 0.001, 0.05),
    ("replication-lag", 1.0, 60.0),
    ("auth-failure-spike", 1.0, 50.0),
    ("support-ticket-spike", 2.0, 40.0),
    ("synthetic-journey-failure", 1.0, 0.0),
];

fn check_series(category: &str) {
    let rows: Vec<_> = SERIES
        .iter()
        .filter(|(name, ..)| find(name).unwrap().category == category)
        .collect();
    assert!(!rows.is_empty(), "no Prometheus entry in {category}");
    for (name, good, bad) in rows {
        let s = spec(name);
        assert_eq!(s.reads, Reads::Series, "{name}");
        let none = s.judge(Duration::ZERO, Ok(json!([])));
        assert_eq!(none.outcome, Outcome::Error, "{name}: no series");
        assert_eq!(none.message.as_deref(), Some(NO_SERIES), "{name}");
        assert_eq!(
            outcome(&s, series(&[*good, *bad])),
            Outcome::Failure,
            "{name}: the second series is bad"
        );
        assert_eq!(
            outcome(&s, series(&[*bad, *good])),
            Outcome::Failure,
            "{name}"
        );
        assert_eq!(
            outcome(&s, series(&[*good, *good])),
            Outcome::Success,
            "{name}: all good"
        );
        assert_eq!(outcome(&s, series(&[*good])), Outcome::Success, "{name}");
    }
}

#[test]
fn metric_triggers_judge_every_series_and_no_series_is_an_error() {
    check_series("metric");
}

#[test]
fn business_triggers_judge_every_series_and_no_series_is_an_error() {
    check_series("business");
}

#[test]
fn data_quality_triggers_judge_every_series_and_no_series_is_an_error() {
    check_series("data-quality");
}

#[test]
fn customer_impact_triggers_judge_every_series_and_no_series_is_an_error() {
    check_series("customer-impact");
}

#[test]
fn security_triggers_judge_every_series_and_no_firing_alert_is_healthy() {
    check_series("security");
    // Alertmanager's answer is the firing alerts: none firing is healthy, not missing data.
    let waf = spec("waf-alert");
    assert_eq!(waf.reads, Reads::Answer);
    assert_eq!(outcome(&waf, json!([])), Outcome::Success);
    let alert = json!({"labels": {"alertname": "WafBlockSpike", "category": "security"}});
    assert_eq!(outcome(&waf, json!([alert])), Outcome::Failure);
}

#[test]
fn health_check_triggers_judge_the_status_or_every_reported_dependency() {
    for name in ["liveness", "readiness"] {
        let s = spec(name);
        for good in [200, 204] {
            assert_eq!(outcome(&s, json!(good)), Outcome::Success, "{name} {good}");
        }
        for bad in [301, 404, 500, 503] {
            assert_eq!(outcome(&s, json!(bad)), Outcome::Failure, "{name} {bad}");
        }
        let refused = s.judge(Duration::ZERO, Err("connection refused".into()));
        assert_eq!(refused.outcome, Outcome::Error, "{name}");
    }
    let s = spec("dependency-health");
    let ProbeSpec::Http(h) = &s.probe else {
        panic!("{:?}", s.probe)
    };
    assert!(h.status.accepts(204) && h.status.accepts(503) && !h.status.accepts(500));
    assert_eq!(outcome(&s, json!("UP")), Outcome::Success);
    assert_eq!(outcome(&s, json!("DOWN")), Outcome::Failure);
    assert_eq!(outcome(&s, json!(["UP", "DOWN"])), Outcome::Failure);
    assert_eq!(outcome(&s, json!(["UP", "ok"])), Outcome::Success);
    let empty = s.judge(Duration::ZERO, Err("`$.status` matches nothing".into()));
    assert_eq!(empty.outcome, Outcome::Error);
}

#[test]
fn every_category_and_every_series_entry_is_covered() {
    for e in entries() {
        if e.prometheus.is_some() {
            assert!(
                SERIES.iter().any(|(n, ..)| *n == e.name),
                "{} has no row",
                e.name
            );
        }
    }
    let covered = |c: &str| {
        SERIES.iter().any(|(n, ..)| find(n).unwrap().category == c) || c == "health-check"
    };
    assert!(CATEGORIES.iter().all(|c| covered(c)));
}

#[test]
fn a_played_answer_is_judged_as_the_asked_one() {
    // A drill replaces the probe; an empty vector it plays is still no data.
    let mut s = spec("error-rate");
    s.probe = ProbeSpec::Drill {
        healthy: json!([]),
        firing: series(&[0.01, 0.5]),
        after: Duration::from_secs(1),
    };
    let played = |at| s.probe.played(Duration::from_secs(at)).unwrap();
    assert_eq!(outcome(&s, played(0)), Outcome::Error);
    assert_eq!(outcome(&s, played(2)), Outcome::Failure);
}

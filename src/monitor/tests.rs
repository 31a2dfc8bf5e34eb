//! Table tests of a trigger's window: every outcome, with time as an input.

use std::time::Duration;

use serde_json::json;

use super::window::{Limits, Outcome, Sample, Verdict, Window};

const S: Outcome = Outcome::Success;
const F: Outcome = Outcome::Failure;
const E: Outcome = Outcome::Error;
const I: Outcome = Outcome::Inconclusive;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn limits(count: u32, failure_limit: u32, consecutive_error_limit: u32) -> Limits {
    Limits {
        interval: secs(10),
        count,
        initial_delay: Duration::ZERO,
        failure_limit,
        consecutive_error_limit,
    }
}

/// Feeds outcomes one interval apart and returns the verdict after each.
fn feed(limits: Limits, outcomes: &[Outcome]) -> Vec<Verdict> {
    let mut w = Window::new(limits, Duration::ZERO);
    outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            w.record(Sample {
                at: secs(10 * i as u64),
                outcome: *o,
                value: Some(json!(i)),
                message: None,
            });
            w.verdict().clone()
        })
        .collect()
}

#[test]
fn verdicts_follow_argo_analysis_semantics() {
    use Verdict::*;
    let fired = |at| Fired {
        first_failure: secs(at),
    };
    let cases: Vec<(&str, Limits, Vec<Outcome>, Verdict)> = vec![
        ("all good", limits(5, 0, 4), vec![S, S, S], Healthy),
        (
            "one failure fires at limit 0",
            limits(5, 0, 4),
            vec![S, F],
            fired(10),
        ),
        (
            "failures up to the limit only fail",
            limits(5, 2, 4),
            vec![F, S, F],
            Failing {
                failures: 2,
                count: 5,
            },
        ),
        (
            "more than the limit fires, dated at the first failure",
            limits(5, 2, 4),
            vec![S, F, S, F, F],
            fired(10),
        ),
        (
            "failures that left the window no longer count",
            limits(3, 1, 4),
            vec![F, S, S, F, S],
            Failing {
                failures: 1,
                count: 3,
            },
        ),
        (
            "errors up to the limit change nothing",
            limits(5, 0, 4),
            vec![S, E, E, E, E],
            Healthy,
        ),
        (
            "more errors in a row than the limit: blind",
            limits(5, 0, 4),
            vec![S, E, E, E, E, E],
            Blind { errors: 5 },
        ),
        (
            "blind is reported once, however long",
            limits(5, 0, 4),
            vec![S, E, E, E, E, E, E, E],
            Blind { errors: 5 },
        ),
        (
            "errors from the start are never healthy",
            limits(5, 0, 1),
            vec![E, E],
            Blind { errors: 2 },
        ),
        (
            "a few errors from the start still wait",
            limits(5, 0, 4),
            vec![E, E],
            Waiting,
        ),
        (
            "a good sample ends blindness",
            limits(5, 0, 1),
            vec![E, E, S],
            Healthy,
        ),
        (
            "errors are not failures",
            limits(5, 0, 9),
            vec![E, E, E],
            Waiting,
        ),
        (
            "inconclusive asks a person",
            limits(5, 0, 4),
            vec![S, I],
            Ask,
        ),
        (
            "asking lasts after good samples",
            limits(2, 0, 4),
            vec![I, S, S, S],
            Ask,
        ),
        (
            "a failure while asking still fires",
            limits(5, 0, 4),
            vec![I, F],
            fired(10),
        ),
        (
            "fired stays fired",
            limits(5, 0, 4),
            vec![F, S, S, S, S, S, S],
            fired(0),
        ),
    ];
    for (what, limits, outcomes, want) in cases {
        let got = feed(limits, &outcomes);
        assert_eq!(got.last(), Some(&want), "{what}: {got:?}");
    }
}

#[test]
fn record_reports_only_changes() {
    let mut w = Window::new(limits(5, 1, 1), Duration::ZERO);
    let mut changes = Vec::new();
    for (i, o) in [S, S, F, S, E, E, E, S, F].into_iter().enumerate() {
        let sample = Sample {
            at: secs(10 * i as u64),
            outcome: o,
            value: None,
            message: None,
        };
        changes.push(w.record(sample).map(|v| v.name()));
    }
    assert_eq!(
        changes,
        [
            Some("healthy"),
            None,
            Some("failing"),
            None,
            None,
            Some("blind"),
            None,
            Some("failing"),
            Some("fired")
        ]
    );
}

#[test]
fn samples_are_due_after_the_initial_delay_then_every_interval() {
    let l = Limits {
        initial_delay: secs(60),
        ..limits(5, 0, 4)
    };
    let start = secs(100);
    let mut w = Window::new(l, start);
    assert!(!w.is_due(secs(159)));
    assert!(w.is_due(secs(160)));
    let sample = |at, outcome| Sample {
        at,
        outcome,
        value: None,
        message: None,
    };
    // A probe that answered late pushes the next sample, so samples never pile up.
    w.record(sample(secs(163), S));
    assert_eq!(w.next_due(), Some(secs(173)));
    assert!(!w.is_due(secs(172)));
    w.record(sample(secs(173), F));
    assert_eq!(w.next_due(), None, "a fired trigger takes no more samples");
}

#[test]
fn a_persons_answer_ends_the_question() {
    let sample = |at, outcome| Sample {
        at: secs(at),
        outcome,
        value: None,
        message: None,
    };
    let mut w = Window::new(limits(5, 0, 4), Duration::ZERO);
    w.record(sample(0, I));
    assert_eq!(w.answer(false, secs(5)), Some(Verdict::Healthy));
    assert_eq!(w.answer(false, secs(6)), None, "nothing was asked");
    w.record(sample(10, I));
    assert_eq!(
        w.answer(true, secs(12)),
        Some(Verdict::Fired {
            first_failure: secs(12)
        })
    );
}

mod specs {
    use super::*;
    use crate::monitor::spec::{ProbeSpec, Spec};
    use crate::plan::trigger::TriggerSeverity;

    fn spec(trigger_yaml: &str) -> Spec {
        let base = include_str!("../../tests/plans/base.yaml");
        let head = base.split("triggers:").next().unwrap();
        let text = format!("{head}triggers:\n{trigger_yaml}");
        let loaded = crate::plan::load::load_bytes("t.yaml", text.into_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        Spec::resolve(&loaded.plan.triggers[0]).unwrap()
    }

    #[test]
    fn catalogue_defaults_and_overrides() {
        let s = spec(
            "  - name: errors\n    use: error-rate\n    threshold: 2%\n    prometheus: {url: 'http://p:9090', selector: 'job=\"api\"'}\n",
        );
        assert_eq!(s.threshold, Some(0.02));
        assert_eq!(s.severity, TriggerSeverity::Critical);
        assert_eq!(s.explain, "more than 2% of requests fail with a 5xx");
        let ProbeSpec::Prometheus { url, query } = &s.probe else {
            panic!("{:?}", s.probe)
        };
        assert_eq!(url, "http://p:9090");
        assert!(query.contains(r#"{code=~"5..",job="api"}"#), "{query}");
        assert!(!query.contains("${selector}"), "{query}");
        assert_eq!(s.limits, Limits::default());
    }

    #[test]
    fn judging_an_answer() {
        let s = spec(
            "  - name: lag\n    command: ./lag.sh\n    condition: result > 10.0\n    inconclusive: result < 0.0\n    interval: 5s\n    failure_limit: 2\n",
        );
        assert_eq!(s.limits.interval, secs(5));
        assert_eq!(s.limits.failure_limit, 2);
        let outcome = |answer| s.judge(secs(1), answer).outcome;
        assert_eq!(outcome(Ok(json!(3))), Outcome::Success);
        assert_eq!(outcome(Ok(json!(30))), Outcome::Failure);
        assert_eq!(outcome(Ok(json!(-1))), Outcome::Inconclusive);
        assert_eq!(outcome(Ok(json!("n/a"))), Outcome::Error);
        assert_eq!(outcome(Err("timed out".into())), Outcome::Error);
        let e = s.judge(secs(1), Err("timed out".into()));
        assert_eq!(e.message.as_deref(), Some("timed out"));
    }

    #[test]
    fn variables_fill_the_probe_text_and_secrets_stay_for_the_environment() {
        let vars = [("service".to_string(), "checkout".to_string())];
        let s = spec(
            "  - name: up\n    prometheus: {url: 'http://${service}-prom:9090', query: 'up{job=\"${service}\"}'}\n    condition: size(result) == 0\n",
        )
        .with_vars(&vars);
        assert_eq!(
            s.probe,
            ProbeSpec::Prometheus {
                url: "http://checkout-prom:9090".into(),
                query: "up{job=\"checkout\"}".into()
            }
        );
        let s = spec(
            "  - name: h\n    http: {url: 'https://${service}/health', headers: {Authorization: 'Bearer ${TOKEN}'}}\n    condition: result > 1.0\n",
        )
        .with_vars(&vars);
        let ProbeSpec::Http(h) = &s.probe else {
            panic!("{:?}", s.probe)
        };
        assert_eq!(h.url, "https://checkout/health");
        assert_eq!(h.headers[0].1, "Bearer ${TOKEN}");
    }
}

#[test]
fn a_played_probe_answers_healthy_until_after_then_firing_and_others_are_asked() {
    use super::ProbeSpec;
    let p = ProbeSpec::Drill {
        healthy: json!(0.1),
        firing: json!({"rate": 9}),
        after: secs(60),
    };
    let at = |t: Duration| p.played(t);
    assert_eq!(at(Duration::ZERO), Some(json!(0.1)));
    assert_eq!(at(secs(60) - Duration::from_millis(1)), Some(json!(0.1)));
    assert_eq!(at(secs(60)), Some(json!({"rate": 9})));
    assert_eq!(at(secs(3600)), Some(json!({"rate": 9})), "it stays bad");
    assert_eq!(ProbeSpec::Command("true".into()).played(secs(1)), None);
}

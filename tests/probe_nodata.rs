//! No data is never healthy, against real servers: a real Prometheus whose query matches
//! no series, or two series with the second one bad; loopback servers answering a failing
//! status with a body that looks fine, or an empty body. Each is judged by the catalogue
//! trigger a plan would use.

mod common;

use std::time::Duration;

use common::http::{Reply, Scripted};
use common::prometheus::Prometheus;
use rollback::monitor::spec::{HttpSpec, NO_SERIES};
use rollback::monitor::{Outcome, Sample, Spec};
use rollback::plan::status::Statuses;
use rollback::plan::trigger::{HttpMethod, HttpValue};
use rollback::probe::{http, prometheus};
use serde_json::json;

const SHORT: Duration = Duration::from_secs(5);

/// One sample of the trigger written as `yaml` (the lines after `- name: t`).
async fn sample(yaml: &str) -> Sample {
    let plan = format!(
        "{}triggers:\n  - name: t\n{yaml}",
        include_str!("plans/base.yaml")
            .split("triggers:")
            .next()
            .unwrap()
    );
    let loaded = rollback::plan::load::load_bytes("p.yaml", plan.into_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let spec = Spec::resolve(&loaded.plan.triggers[0]).unwrap();
    let answer = rollback::probe::sample(&spec.probe, SHORT, &Default::default()).await;
    spec.judge(Duration::ZERO, answer)
}

#[test]
fn a_real_prometheus_with_no_series_or_one_bad_series() {
    let p = Prometheus::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = &p.url;
    // A selector that matches nothing: no data, an error, never healthy.
    let none = rt.block_on(sample(&format!(
        "    use: availability\n    prometheus: {{url: '{url}', selector: 'job=\"nothing-here\"'}}\n"
    )));
    assert_eq!(none.outcome, Outcome::Error, "{none:?}");
    assert_eq!(none.message.as_deref(), Some(NO_SERIES));

    // Two series, sorted so that the bad one (a target down) comes second.
    let two = |second: &str| {
        format!(
            "sort_desc(up{{job=\"prometheus\"}} or label_replace(up{{job=\"prometheus\"}} * {second}, \"instance\", \"twin:9\", \"instance\", \".*\"))"
        )
    };
    let answer = rt
        .block_on(prometheus::query(
            url,
            &two("0"),
            SHORT,
            &Default::default(),
        ))
        .unwrap();
    assert_eq!(answer.as_array().map(Vec::len), Some(2), "{answer}");
    assert_eq!(answer[1]["value"], json!(0.0), "{answer}");
    let trigger = |query: String| {
        format!("    use: availability\n    prometheus: {{url: '{url}', query: '{query}'}}\n")
    };
    let bad = rt.block_on(sample(&trigger(two("0"))));
    assert_eq!(bad.outcome, Outcome::Failure, "{bad:?}");
    let good = rt.block_on(sample(&trigger(two("1"))));
    assert_eq!(good.outcome, Outcome::Success, "{good:?}");
    assert_eq!(
        good.value.as_ref().and_then(|v| v.as_array()).map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_failing_status_with_a_body_that_looks_fine_is_an_error() {
    let fine = r#"{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.0"]}]}}"#;
    let server = Scripted::start(move |r| match r.path() {
        "/api/v1/query" => Reply::new(503, fine),
        "/ratio-503" => Reply::new(503, r#"{"ratio": 0.0}"#),
        "/ratio-201" => Reply::new(201, r#"{"ratio": 0.0}"#),
        "/empty" => Reply::new(200, ""),
        _ => Reply::new(404, "{}"),
    });
    // Prometheus behind a proxy that fails: the answer's body alone does not count.
    let err = prometheus::query(&server.url(""), "up", SHORT, &Default::default())
        .await
        .unwrap_err();
    assert!(err.contains("answered HTTP 503"), "{err}");
    let s = sample(&format!(
        "    use: error-rate\n    prometheus: {{url: '{}'}}\n",
        server.url("")
    ))
    .await;
    assert_eq!(s.outcome, Outcome::Error, "{s:?}");

    let get = |path: &str, status: Statuses| HttpSpec {
        url: server.url(path),
        method: HttpMethod::Get,
        headers: Vec::new(),
        body: None,
        status,
        jsonpath: None,
        value: HttpValue::Body,
    };
    let err = http::run(
        get("/ratio-503", Statuses::default()),
        SHORT,
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("answered HTTP 503, expected 2xx"), "{err}");
    assert_eq!(
        http::run(
            get("/ratio-201", Statuses::default()),
            SHORT,
            &Default::default()
        )
        .await,
        Ok(json!({"ratio": 0.0})),
        "any 2xx is an answer by default"
    );
    let err = http::run(
        get("/ratio-201", Statuses::code(200)),
        SHORT,
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("answered HTTP 201, expected 200"), "{err}");
    let err = http::run(
        get("/empty", Statuses::default()),
        SHORT,
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("empty body: no data"), "{err}");
}

#[tokio::test]
async fn health_check_triggers_on_a_real_endpoint() {
    let server = Scripted::start(|r| match r.path() {
        "/empty" => Reply::new(200, ""),
        "/two" => Reply::new(
            200,
            r#"{"checks": [{"name": "db", "status": "UP"}, {"name": "cache", "status": "DOWN"}]}"#,
        ),
        "/all-up" => Reply::new(
            200,
            r#"{"checks": [{"name": "db", "status": "UP"}, {"name": "cache", "status": "UP"}]}"#,
        ),
        "/down" => Reply::new(503, r#"{"status": "DOWN"}"#),
        "/broken" => Reply::new(500, r#"{"status": "UP"}"#),
        _ => Reply::new(404, "{}"),
    });
    let dependencies = |path: &str, jsonpath: &str| {
        format!(
            "    use: dependency-health\n    http: {{url: '{}', jsonpath: '{jsonpath}'}}\n",
            server.url(path)
        )
    };
    let each = "$.checks[*].status";
    let outcome = |s: Sample| s.outcome;
    assert_eq!(
        outcome(sample(&dependencies("/empty", "$.status")).await),
        Outcome::Error
    );
    assert_eq!(
        outcome(sample(&dependencies("/two", each)).await),
        Outcome::Failure
    );
    assert_eq!(
        outcome(sample(&dependencies("/all-up", each)).await),
        Outcome::Success
    );
    assert_eq!(
        outcome(sample(&dependencies("/down", "$.status")).await),
        Outcome::Failure
    );
    assert_eq!(
        outcome(sample(&dependencies("/broken", "$.status")).await),
        Outcome::Error
    );
    let live = |path: &str| {
        format!(
            "    use: liveness\n    http: {{url: '{}'}}\n",
            server.url(path)
        )
    };
    assert_eq!(outcome(sample(&live("/all-up")).await), Outcome::Success);
    assert_eq!(
        outcome(sample(&live("/down")).await),
        Outcome::Failure,
        "503 is the answer"
    );
    let refused = "    use: liveness\n    http: {url: 'http://127.0.0.1:1/'}\n";
    assert_eq!(outcome(sample(refused).await), Outcome::Error);
}

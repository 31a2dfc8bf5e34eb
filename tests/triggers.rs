//! Triggers in plans, through the real binary: positioned diagnostics for every trigger
//! rule, the level 3/4 reminder, and `rollback triggers` listing the catalogue.

use std::path::Path;
use std::process::{Command, Output};

const BASE: &str = include_str!("plans/base.yaml");

fn rollback(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollback"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// The base plan with its triggers replaced by `triggers` (YAML under `triggers:`).
fn plan_with(triggers: &str) -> String {
    let head = BASE.split("triggers:\n").next().expect("base has triggers");
    format!("{head}triggers:\n{triggers}")
}

/// Lines of `rollback validate --quiet` on `text`, without the path prefix, and the exit code.
fn validate(text: &str) -> (Vec<String>, i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.yaml");
    std::fs::write(&path, text).expect("write plan");
    let out = rollback(&["validate", "--quiet", path.to_str().expect("utf-8 path")]);
    let prefix = format!("{}:", path.display());
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

#[test]
fn each_trigger_rule_reports_its_position() {
    // The base plan's `triggers:` is line 31; each case's trigger begins on line 32.
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown catalogue name, with a suggestion",
            "  - name: t\n    use: eror-rate\n",
            "44:10: error: no trigger `eror-rate` in the catalogue; did you mean `error-rate`? [triggers]",
        ),
        (
            "threshold in the wrong unit",
            "  - name: t\n    use: latency-p95\n    threshold: 5%\n    prometheus: {url: 'http://p:9090'}\n",
            "45:16: error: `5%` is not a duration: write it as 500ms, 2s or 1m; `latency-p95` takes its threshold in a duration (e.g. 500ms) [triggers]",
        ),
        (
            "a percentage written as a plain number",
            "  - name: t\n    use: error-rate\n    threshold: 0.05\n    prometheus: {url: 'http://p:9090'}\n",
            "45:16: error: `0.05` is not a percentage: write it as 5% or 0.5%; `error-rate` takes its threshold in percent (e.g. 5%) [triggers]",
        ),
        (
            "a threshold on a trigger that has none",
            "  - name: t\n    use: liveness\n    threshold: 3\n    http: {url: 'http://x/health'}\n",
            "45:16: error: `liveness` has no threshold to set [triggers]",
        ),
        (
            "a condition that does not compile",
            "  - name: t\n    command: echo 1\n    condition: result >\n",
            "45:16: error: the condition does not compile at column 10 of `result >`: Syntax error: mismatched input '<EOF>' [triggers]",
        ),
        (
            "an inconclusive condition that does not compile",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    inconclusive: (result\n",
            "46:19: error: the inconclusive condition does not compile at column 9 of `(result`: Syntax error: missing ')' at '<EOF>' [triggers]",
        ),
        (
            "no probe",
            "  - name: t\n    condition: result > 1.0\n",
            "43:11: error: trigger `t` has no probe: add `command`, `http`, `prometheus` or `alertmanager`, or `use:` one of the catalogue [triggers]",
        ),
        (
            "two probes",
            "  - name: t\n    command: echo 1\n    http: {url: 'http://x'}\n    condition: result > 1.0\n",
            "45:11: error: trigger `t` has two probes, `command` and `http`: keep one [triggers]",
        ),
        (
            "no condition",
            "  - name: t\n    command: echo 1\n",
            "43:11: error: trigger `t` has no `condition`: a CEL expression over `result` that is true when the sample is bad [triggers]",
        ),
        (
            "a catalogue query needs a server",
            "  - name: t\n    use: error-rate\n",
            "43:11: error: trigger `t` needs `prometheus.url`: the server to ask, e.g. http://prometheus:9090 [triggers]",
        ),
        (
            "a failure limit the window cannot pass",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    count: 3\n    failure_limit: 3\n",
            "47:20: error: `failure_limit: 3` can never be passed in a window of 3 samples: the trigger would never fire [triggers]",
        ),
        (
            "a bad URL and a bad JSONPath",
            "  - name: t\n    http: {url: 'ftp://x', jsonpath: '$[[['}\n    condition: result > 1.0\n",
            "44:17: error: `ftp://x` is not an http:// or https:// URL [triggers]",
        ),
        (
            "a bad JSONPath",
            "  - name: t\n    http: {url: 'http://x', jsonpath: '$[[['}\n    condition: result > 1.0\n",
            "44:39: error: `$[[[` is not a JSONPath: expected selector at column 3 [triggers]",
        ),
        (
            "an HTTP status that is not one",
            "  - name: t\n    http: {url: 'http://x', status: [2xx, 700]}\n    condition: result > 1.0\n",
            "44:37: error: `700` is not an HTTP status: write a code such as 200, a class such as 2xx, or a list of them [schema]",
        ),
        (
            "a zero interval",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    interval: 0s\n",
            "46:15: error: an interval must be longer than zero [triggers]",
        ),
        (
            "an unknown key is a schema error with a suggestion",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    severty: high\n",
            "46:5: error: unknown key `severty`, did you mean `severity`? [schema]",
        ),
        (
            "a severity outside the three",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n    severity: low\n",
            "46:15: error: `low` is not allowed for `severity` (one of: critical, high, medium) [schema]",
        ),
        (
            "a cancel window on a trigger that does not wait",
            "  - name: t\n    use: error-rate\n    prometheus: {url: 'http://p:9090'}\n    cancel_window: 2m\n",
            "46:20: error: only a `severity: high` trigger waits for a cancel window; `t` is critical [triggers]",
        ),
        (
            "two triggers with one name",
            "  - name: t\n    command: echo 1\n    condition: result > 1.0\n  - name: t\n    command: echo 2\n    condition: result > 1.0\n",
            "46:11: error: trigger `t` is already used at line 43 [ids]",
        ),
    ];
    let mut failures = Vec::new();
    for (what, triggers, want) in cases {
        let (lines, code) = validate(&plan_with(triggers));
        if code == 0 || !lines.iter().any(|l| l.starts_with(want)) {
            failures.push(format!(
                "{what}: exit {code}, want {want:?} in\n{}",
                lines.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn good_triggers_validate_clean() {
    let triggers = "  - name: errors\n    use: error-rate\n    threshold: 2%\n    prometheus: {url: 'http://prometheus:9090', selector: 'job=\"checkout\"'}\n  - name: health\n    use: liveness\n    http: {url: 'https://checkout.internal/healthz'}\n  - name: depth\n    command: ./queue-depth.sh\n    timeout: 5s\n    interval: 10s\n    count: 6\n    initial_delay: 1m\n    condition: result > threshold\n    threshold: 1000\n    inconclusive: result < 0.0\n    failure_limit: 2\n    consecutive_error_limit: 3\n    severity: medium\n    explain: the queue keeps growing\n  - name: latency\n    use: latency-p99\n    severity: high\n    cancel_window: 2m\n    prometheus: {url: 'http://prometheus:9090'}\n";
    let (lines, code) = validate(&plan_with(triggers));
    assert_eq!((code, lines.len()), (0, 0), "{lines:?}");
}

#[test]
fn a_url_may_start_with_a_variable_of_the_plan_and_no_other() {
    let with_vars = |triggers: &str| {
        plan_with(triggers).replace(
            "automation: semi\n",
            "automation: semi\nvars:\n  prometheus_url: {default: 'http://prometheus:9090'}\n  app_url: {default: 'https://app.internal'}\n",
        )
    };
    let good = "  - name: errors\n    use: error-rate\n    prometheus: {url: '${prometheus_url}'}\n  - name: ready\n    use: readiness\n    http: {url: '${app_url}/readyz'}\n";
    let (lines, code) = validate(&with_vars(good));
    assert_eq!((code, lines.len()), (0, 0), "{lines:?}");
    let typo = "  - name: errors\n    use: error-rate\n    prometheus: {url: '${promethus_url}'}\n";
    let (lines, code) = validate(&with_vars(typo));
    assert_eq!(code, 1, "{lines:?}");
    assert_eq!(
        lines,
        [
            "48:23: error: the URL starts with `${promethus_url}`, which is not a variable of the plan; did you mean `prometheus_url`? [triggers]"
        ]
    );
    let bare = "  - name: ready\n    use: readiness\n    http: {url: '$app_url/readyz'}\n";
    let (lines, _) = validate(&with_vars(bare));
    assert_eq!(
        lines,
        ["48:17: error: `$app_url/readyz` is not an http:// or https:// URL [triggers]"]
    );
}

#[test]
fn level_3_and_4_plans_without_triggers_are_reminded_of_the_standard() {
    let none = BASE.split("triggers:\n").next().expect("base has triggers");
    let (lines, code) = validate(none);
    assert_eq!(code, 0, "a warning leaves the plan valid");
    assert_eq!(
        lines,
        [
            "3:8: warning: the standard expects a level 3 plan to define automatic rollback triggers, integrated with monitoring: add `triggers:` (`rollback triggers` lists the predefined ones) [triggers]"
        ]
    );
    let (lines, _) = validate(&none.replace("level: 3", "level: 2"));
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn the_schema_knows_triggers() {
    let out = rollback(&["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let trigger = &schema["$defs"]["Trigger"];
    for key in [
        "name",
        "use",
        "threshold",
        "command",
        "http",
        "prometheus",
        "alertmanager",
        "interval",
        "count",
        "initial_delay",
        "condition",
        "inconclusive",
        "failure_limit",
        "consecutive_error_limit",
        "severity",
        "explain",
    ] {
        assert!(trigger["properties"].get(key).is_some(), "{key}");
    }
    assert_eq!(trigger["required"], serde_json::json!(["name"]));
    let names = trigger["properties"]["use"]["examples"]
        .as_array()
        .expect("names");
    assert!(
        names.len() >= 20 && names.contains(&"error-rate".into()),
        "{names:?}"
    );
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/plan.schema.json"),
    )
    .expect("schema file");
    assert_eq!(committed, String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_catalogue_lists_with_defaults_as_text_and_json() {
    let out = rollback(&["triggers", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON list");
    assert!(list.len() >= 20, "{}", list.len());
    let error_rate = list
        .iter()
        .find(|e| e["name"] == "error-rate")
        .expect("error-rate listed");
    assert_eq!(error_rate["threshold"], "5%");
    assert_eq!(error_rate["severity"], "critical");
    assert_eq!(error_rate["category"], "metric");
    let out = rollback(&["triggers"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "metric",
        "health-check",
        "business",
        "data-quality",
        "security",
        "customer-impact",
    ] {
        assert!(text.lines().any(|l| l == heading), "{heading} in\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.contains("error-rate") && l.contains("critical") && l.contains("5%")),
        "{text}"
    );
}

#[test]
fn validate_refuses_a_receiver_anyone_could_fire() {
    let secret = "  am_token: {secret: true, env: true}\n";
    let trigger = |probe: &str| {
        format!("  - name: t\n    alertmanager: {probe}\n    condition: size(result) > 0\n")
    };
    // The trigger begins on line 43: `alertmanager:` is on line 44, its value at column 19.
    let cases: &[(&str, &str, &str)] = &[
        (
            "{port: 9095}",
            secret,
            "44:19: error: trigger `t` needs `alertmanager.token`: the secret variable holding the bearer token Alertmanager sends; without it any process that reaches the port could start the rollback [triggers]",
        ),
        (
            "{port: 9095, bind: 0.0.0.0}",
            secret,
            "44:38: error: trigger `t` needs `alertmanager.token`: the secret variable holding the bearer token Alertmanager sends (and `bind:` opens the port beyond this machine); without it any process that reaches the port could start the rollback [triggers]",
        ),
        (
            "{port: 9095, token: am_tokn}",
            secret,
            "44:39: error: `alertmanager.token` names `am_tokn`, which the plan does not declare: add it under `vars:` with `secret: true`; did you mean `am_token`? [triggers]",
        ),
        (
            "{port: 9095, token: am_token}",
            "  am_token: {env: true}\n",
            "44:39: error: `am_token` holds the webhook's bearer token: declare it with `secret: true`, so it is masked wherever shown [triggers]",
        ),
        (
            "{port: 9095, token: am_token, bind: everywhere}",
            secret,
            "44:55: error: `bind: everywhere` is not an IP address: write e.g. 0.0.0.0, 10.0.0.5 or :: [triggers]",
        ),
        (
            "{port: 9095, token: am_token, tls: {cert: c.pem}}",
            secret,
            "44:54: error: `alertmanager.tls` needs `key`: a PEM file [triggers]",
        ),
    ];
    for (probe, vars, expected) in cases {
        let (lines, code) = validate(&format!("{}vars:\n{vars}", plan_with(&trigger(probe))));
        assert_eq!(lines, [expected.to_string()], "{probe}");
        assert_eq!(
            code, 1,
            "{probe}: an invalid plan, as for every trigger error"
        );
    }
    let open = "{port: 9095, token: am_token, bind: '::', tls: {cert: c.pem, key: k.pem}}";
    let (lines, code) = validate(&format!("{}vars:\n{secret}", plan_with(&trigger(open))));
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(code, 0);
    // Two triggers on one port take one receiver: they must agree on it.
    let two = format!(
        "{}  - name: u\n    alertmanager: {{port: 9095, token: other}}\n    condition: size(result) > 0\n",
        trigger("{port: 9095, token: am_token}")
    );
    let vars = format!("{secret}  other: {{secret: true, env: true}}\n");
    let (lines, _) = validate(&format!("{}vars:\n{vars}", plan_with(&two)));
    assert_eq!(
        lines,
        [
            "47:19: error: triggers `t` and `u` share port 9095 but not its `token`, `bind` and `tls`: one receiver serves a port, with one setting [triggers]"
        ]
    );
}

//! The shipped notifiers against a real HTTP server on loopback, driven by a real run:
//! PagerDuty is triggered at the start, re-triggered with rising severity when the
//! escalation level rises, and resolved at the end, all under the run's dedup key.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Runs, event_types, repo, text, wait_until};

/// Accepts requests until the test ends; keeps each request's body.
fn server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}/v2/enqueue", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let keep = bodies.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut length = 0usize;
            let mut expect = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                expect |= lower.starts_with("expect: 100-continue");
            }
            if expect {
                let _ = conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            keep.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).into_owned());
            let _ = conn.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}");
        }
    });
    (url, bodies)
}

#[test]
fn pagerduty_follows_the_run_and_resolves_at_the_end() {
    let (url, bodies) = server();
    let runs = Runs::new();
    let script = repo().join("plans/notify/pagerduty.sh");
    let plan = runs.path().join("p.yaml");
    std::fs::write(
        &plan,
        format!(
            r#"plan: paged
title: A rollback that runs past its first rung
level: 2
operation: application
automation: manual
sla: 1s
notify: {script}
escalation:
  - {{after: 500ms, level: 2, action: "Engage senior \"SRE\""}}
phases:
  - id: capture
    steps:
      - id: wait
        run: sleep 1.2
  - id: verify
    steps:
      - id: ok
        check: "true"
"#,
            script = script.display()
        ),
    )
    .unwrap();
    let out = runs
        .cmd(&["run", plan.to_str().unwrap(), "--headless"])
        .env("PAGERDUTY_ROUTING_KEY", "R0UT1NG")
        .env("PAGERDUTY_EVENTS_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = runs.only_run();
    let types = event_types(&dir);
    let notified = types.iter().filter(|t| *t == "notify_finished").count();
    assert_eq!(notified, 4, "start, escalation, breach, end: {types:?}");
    assert!(
        !std::fs::read_to_string(dir.join("timeline.jsonl"))
            .unwrap()
            .contains(r#""exit_code":1"#)
    );

    let got = wait_until("four requests", Duration::from_secs(10), || {
        let b = bodies.lock().unwrap().clone();
        (b.len() >= 4).then_some(b)
    });
    let parsed: Vec<serde_json::Value> = got
        .iter()
        .map(|b| serde_json::from_str(b).expect("JSON body"))
        .collect();
    let run_id = dir.file_name().unwrap().to_string_lossy().to_string();
    for p in &parsed {
        assert_eq!(p["dedup_key"], run_id.as_str(), "one incident per run");
        assert_eq!(p["routing_key"], "R0UT1NG");
        assert_ne!(p["event_action"], "acknowledge");
    }
    let by_event = |e: &str| {
        parsed
            .iter()
            .find(|p| p["payload"]["custom_details"]["event"] == e)
            .unwrap_or_else(|| panic!("no request for {e}: {got:?}"))
    };
    assert_eq!(by_event("run_started")["payload"]["severity"], "info");
    let esc = by_event("escalation_raised");
    assert_eq!(esc["event_action"], "trigger");
    assert_eq!(esc["payload"]["severity"], "warning");
    assert_eq!(
        esc["payload"]["summary"],
        "Rollback of paged: level 2, Engage senior \"SRE\""
    );
    assert_eq!(by_event("sla_breached")["payload"]["severity"], "error");
    assert_eq!(by_event("run_completed")["event_action"], "resolve");
}

#[test]
fn a_failing_notifier_is_recorded_and_never_fails_the_rollback() {
    let runs = Runs::new();
    let plan = runs.path().join("p.yaml");
    std::fs::write(
        &plan,
        "plan: quiet\ntitle: t\nlevel: 2\noperation: application\nautomation: manual\n\
         notify: 'echo cannot reach the pager >&2; exit 7'\n\
         phases:\n  - id: capture\n    steps:\n      - {id: a, run: 'true'}\n  - id: verify\n    steps:\n      - {id: b, check: 'true'}\n",
    )
    .unwrap();
    let out = runs.run(&["run", plan.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("notify for run_started failed (exit 7): cannot reach the pager"),
        "{all}"
    );
}

#[test]
fn each_region_s_own_escalation_pages_with_its_name() {
    let (url, bodies) = server();
    let runs = Runs::new();
    let script = repo().join("plans/notify/pagerduty.sh");
    let plan = runs.path().join("r.yaml");
    std::fs::write(
        &plan,
        format!(
            r#"plan: regional
title: Two regions that each pass their first rung
level: 2
operation: infrastructure
automation: full
regions: [eu, us]
parallel: 2
notify: {script}
phases:
  - id: capture
    steps:
      - {{id: save, run: 'true'}}
  - id: execute
    for_each: region
    steps:
      - {{id: apply, run: ./apply.sh, simulate: {{duration: 6m}}}}
  - id: verify
    steps:
      - {{id: ok, check: 'true'}}
"#,
            script = script.display()
        ),
    )
    .unwrap();
    let out = runs
        .cmd(&[
            "drill",
            plan.to_str().unwrap(),
            "--headless",
            "--speed",
            "600",
        ])
        .env("PAGERDUTY_ROUTING_KEY", "R0UT1NG")
        .env("PAGERDUTY_EVENTS_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = runs.only_run();
    let types = event_types(&dir);
    let sent = types.iter().filter(|t| *t == "notify_finished").count();
    // Each region's clock is the drill clock too: six simulated minutes, not a real second.
    let timeline = std::fs::read_to_string(dir.join("timeline.jsonl")).unwrap();
    let durations: Vec<u64> = timeline
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["type"] == "region_finished")
        .map(|r| r["duration_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(durations.len(), 2);
    assert!(durations.iter().all(|d| *d >= 6 * 60_000), "{durations:?}");
    let got = wait_until("every request", Duration::from_secs(10), || {
        let b = bodies.lock().unwrap().clone();
        (b.len() >= sent).then_some(b)
    });
    let mut regional: Vec<String> = got
        .iter()
        .map(|b| serde_json::from_str::<serde_json::Value>(b).expect("JSON body"))
        .filter(|p| p["payload"]["custom_details"]["event"] == "region_escalated")
        .map(|p| p["payload"]["summary"].as_str().unwrap().to_string())
        .collect();
    regional.sort();
    assert_eq!(
        regional,
        [
            "[drill] Rollback of regional, region eu: level 2, Engage senior SRE",
            "[drill] Rollback of regional, region us: level 2, Engage senior SRE",
        ]
    );
}

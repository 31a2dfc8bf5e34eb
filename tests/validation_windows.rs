//! Post-rollback validation windows, end to end through the real binary: real checks, a
//! real Prometheus, a kill -9 in the middle of a window, the drill clock.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Runs, text, wait_until};
use serde_json::Value;

/// The base plan without its trigger, then `extra`.
fn plan(dir: &Path, extra: &str) -> PathBuf {
    let base = include_str!("plans/base.yaml");
    let base = base.split("triggers:").next().unwrap();
    let path = dir.join("plan.yaml");
    std::fs::write(&path, format!("{base}{extra}")).unwrap();
    path
}

fn segment(run: &Path) -> Vec<Value> {
    std::fs::read_to_string(run.join("validation.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn of_type<'a>(records: &'a [Value], t: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == t).collect()
}

/// Each window's last verdict, in order.
fn windows(records: &[Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in of_type(records, "validation_window") {
        let w = r["window"].as_str().unwrap().to_string();
        let v = r["verdict"]["state"].as_str().unwrap().to_string();
        match out.iter_mut().find(|(x, _)| *x == w) {
            Some(e) => e.1 = v,
            None => out.push((w, v)),
        }
    }
    out
}

fn ended(records: &[Value]) -> Option<String> {
    of_type(records, "validation_ended")
        .last()
        .map(|r| r["verdict"].as_str().unwrap().to_string())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const HEADLESS: [&str; 3] = ["--headless", "--approve-as", "ci"];

#[test]
fn a_validation_killed_mid_window_goes_on_from_where_it_was_recorded() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 10s, short-term: 11s, long-term: 12s}\n  post_checks:\n    - {window: immediate, title: health, check: 'true', interval: 200ms}\n",
    );
    let p = p.to_str().unwrap();
    let mut child = runs.spawn(&[&["run", p][..], &HEADLESS].concat());
    let run = wait_until("the run directory", Duration::from_secs(30), || {
        runs.run_dirs().into_iter().next()
    });
    wait_until("a first sample", Duration::from_secs(30), || {
        (!of_type(&segment(&run), "validation_sample").is_empty()).then_some(())
    });
    child.kill().unwrap(); // SIGKILL: nothing is recorded on the way out
    child.wait().unwrap();
    let before = segment(&run);
    assert_eq!(ended(&before), None);

    let verify = runs.run(&["verify", run.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(
        text(&verify).contains("validation unfinished"),
        "{}",
        text(&verify)
    );

    let out = runs.run(&["watch", "--validate", run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("validation not validated"),
        "{}",
        text(&out)
    );
    let after = segment(&run);
    assert_eq!(&after[..before.len()], &before[..], "the record only grows");
    let started = of_type(&after, "validation_started");
    assert_eq!(started.len(), 2, "{started:?}");
    assert!(started[1]["resumed_at_ms"].as_u64().unwrap() > 0);
    assert_eq!(
        windows(&after),
        pairs(&[
            ("immediate", "passed"),
            ("short-term", "not_run"),
            ("long-term", "not_run")
        ]),
        "the later windows have nothing to sample"
    );
    assert_eq!(ended(&after).as_deref(), Some("not_validated"));

    let verify = runs.run(&["verify", run.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(text(&verify).contains("validation ended: not validated"));

    // Editing a sample breaks the chain that continues the seal.
    let path = run.join("validation.jsonl");
    let edited = std::fs::read_to_string(&path).unwrap().replacen(
        "\"outcome\":\"success\"",
        "\"outcome\":\"failure\"",
        1,
    );
    std::fs::write(&path, edited).unwrap();
    let verify = runs.run(&["verify", run.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    assert!(
        text(&verify).contains("validation.jsonl:"),
        "{}",
        text(&verify)
    );
}

#[test]
fn resume_of_a_completed_run_goes_on_with_its_windows() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 6s, short-term: 7s, long-term: 8s}\n  post_checks:\n    - {window: immediate, title: health, check: 'true', interval: 200ms}\n    - {window: short-term, title: later, check: 'true', interval: 200ms}\n    - {window: long-term, title: last, check: 'true', interval: 200ms}\n",
    );
    let p = p.to_str().unwrap();
    let mut child = runs.spawn(&[&["run", p][..], &HEADLESS].concat());
    let run = wait_until("the run directory", Duration::from_secs(30), || {
        runs.run_dirs().into_iter().next()
    });
    wait_until("a first sample", Duration::from_secs(30), || {
        (!of_type(&segment(&run), "validation_sample").is_empty()).then_some(())
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let out = runs.run(&["resume", run.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("validation windows go on"),
        "{}",
        text(&out)
    );
    let records = segment(&run);
    assert_eq!(
        ended(&records).as_deref(),
        Some("validated"),
        "{}",
        text(&out)
    );
    assert_eq!(of_type(&records, "validation_started").len(), 2);
}

#[test]
fn a_failing_check_re_alerts_and_the_run_regresses() {
    let runs = Runs::new();
    let alerts = runs.path().join("alerts.jsonl");
    std::fs::write(runs.path().join("broken"), "").unwrap();
    let p = plan(
        runs.path(),
        &format!(
            "notify: cat >> '{}'\npost_rollback:\n  windows: {{immediate: 20s, short-term: 40s, long-term: 60s}}\n  post_checks:\n    - {{window: immediate, title: health, check: 'test ! -e broken', interval: 200ms}}\n",
            alerts.display()
        ),
    );
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &HEADLESS].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("immediate window REGRESSED: health"),
        "{}",
        text(&out)
    );
    let run = runs.only_run();
    let records = segment(&run);
    assert_eq!(
        windows(&records),
        pairs(&[
            ("immediate", "regressed"),
            ("short-term", "not_run"),
            ("long-term", "not_run")
        ])
    );
    assert_eq!(ended(&records).as_deref(), Some("regressed"));
    let sent = std::fs::read_to_string(&alerts).unwrap();
    let alert: Value = sent
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|a| a["event"] == "validation_failed")
        .unwrap_or_else(|| panic!("no re-alert in {sent}"));
    assert_eq!(
        (alert["window"].as_str(), alert["source"].as_str()),
        (Some("immediate"), Some("health"))
    );
    assert_eq!(
        of_type(&records, "notify_finished").len(),
        1,
        "the re-alert is on the record"
    );

    let report = runs.run(&["report", run.to_str().unwrap()]);
    assert!(text(&report).contains("regressed"), "{}", text(&report));
}

#[test]
fn windows_not_run_are_never_passed() {
    // Skipped: every window is recorded as not run.
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  post_checks:\n    - {window: immediate, check: 'true'}\n",
    );
    let args = [
        &["run", p.to_str().unwrap(), "--no-validate"][..],
        &HEADLESS,
    ]
    .concat();
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let records = segment(&runs.only_run());
    assert!(of_type(&records, "validation_started")[0]["skipped"].is_string());
    assert_eq!(
        windows(&records),
        pairs(&[
            ("immediate", "not_run"),
            ("short-term", "not_run"),
            ("long-term", "not_run")
        ])
    );
    assert_eq!(ended(&records).as_deref(), Some("not_validated"));

    // A check that never answers in time is blind: its window is not run.
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 3s, short-term: 4s, long-term: 5s}\n  post_checks:\n    - {window: immediate, check: 'sleep 5', timeout: 100ms, interval: 100ms}\n    - {window: short-term, check: 'true', interval: 100ms}\n    - {window: long-term, check: 'true', interval: 100ms}\n",
    );
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &HEADLESS].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("immediate window NOT RUN"),
        "{}",
        text(&out)
    );
    let records = segment(&runs.only_run());
    let w = windows(&records);
    assert_eq!(w[0], ("immediate".to_string(), "not_run".to_string()));
    assert_eq!(ended(&records).as_deref(), Some("not_validated"));
}

#[test]
fn the_drill_clock_plays_an_hour_of_windows_in_seconds() {
    let runs = Runs::new();
    let p = plan(
        runs.path(),
        "post_rollback:\n  windows: {immediate: 15m, short-term: 30m, long-term: 1h}\n  post_checks:\n    - {window: immediate, check: 'exit 1', interval: 1m}\n    - {window: short-term, check: 'exit 1', interval: 1m}\n    - {window: long-term, check: 'exit 1', interval: 1m}\n",
    );
    let args = [
        &["drill", p.to_str().unwrap(), "--speed", "1800"][..],
        &HEADLESS,
    ]
    .concat();
    let out = runs.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("drill clock (x1800)"), "{}", text(&out));
    let records = segment(&runs.only_run());
    let started = of_type(&records, "validation_started")[0];
    assert_eq!(started["speed"], 1800.0);
    assert_eq!(
        started["windows"][2][1], 3_600_000,
        "the windows keep their plan length"
    );
    // Nothing is run in a drill: the failing checks are simulated as passing.
    assert_eq!(ended(&records).as_deref(), Some("validated"));
    let samples = of_type(&records, "validation_sample");
    assert!(samples.len() >= 3, "{samples:?}");
    let last = samples.last().unwrap()["at_ms"].as_u64().unwrap();
    assert!(
        last >= 30 * 60_000,
        "samples reach the long-term window on the drill clock: {last}"
    );
    let real = |r: &Value| {
        chrono::DateTime::parse_from_rfc3339(r["ts"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let took = real(records.last().unwrap()) - real(&records[0]);
    assert!(
        took < 10 * 60_000,
        "an hour of windows took {took} ms of real time"
    );
}

/// A Prometheus of our own, scraping itself every second; killed when dropped.
struct Prometheus {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start() -> Prometheus {
        let data = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = data.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
            ),
        )
        .unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                data.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start prometheus ({e}): install it (`apt-get install -y prometheus`)"
                )
            });
        let url = format!("http://127.0.0.1:{port}");
        let query = format!("{url}/api/v1/query?query=up");
        wait_until(
            "prometheus to scrape itself",
            Duration::from_secs(60),
            || {
                let out = Command::new("curl").args(["-fsS", &query]).output().ok()?;
                String::from_utf8_lossy(&out.stdout)
                    .contains("\"job\":\"prometheus\"")
                    .then_some(())
            },
        );
        Prometheus {
            child,
            url,
            _data: data,
        }
    }
}

#[test]
fn a_trigger_is_re_evaluated_against_a_real_prometheus_in_each_window() {
    let prom = Prometheus::start();
    let with = |job: &str| {
        format!(
            "triggers:\n  - name: target-down\n    prometheus: {{url: '{}', query: 'up{{job=\"{job}\"}} == 1'}}\n    condition: size(result) == 0\n    interval: 300ms\n    count: 1\n    severity: critical\npost_rollback:\n  windows: {{immediate: 2s, short-term: 3s, long-term: 4s}}\n",
            prom.url
        )
    };
    let runs = Runs::new();
    let p = plan(runs.path(), &with("prometheus"));
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &HEADLESS].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let records = segment(&runs.only_run());
    assert_eq!(
        ended(&records).as_deref(),
        Some("validated"),
        "{}",
        text(&out)
    );
    for w in ["immediate", "short-term", "long-term"] {
        assert!(
            of_type(&records, "validation_sample")
                .iter()
                .any(|s| s["window"] == w
                    && s["source"] == "target-down"
                    && s["outcome"] == "success"),
            "{w} re-evaluated the trigger"
        );
    }

    let runs = Runs::new();
    let p = plan(runs.path(), &with("checkout-api"));
    let out = runs.run(&[&["run", p.to_str().unwrap()][..], &HEADLESS].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let records = segment(&runs.only_run());
    assert_eq!(
        windows(&records)[0],
        ("immediate".into(), "regressed".into())
    );
    assert_eq!(ended(&records).as_deref(), Some("regressed"));
}

/// A tmux session running one command; killed when dropped.
struct Tmux(String);

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let name = format!("rollback-valid-{name}-{}", std::process::id());
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "80",
                "-y",
                "24",
                command,
            ])
            .status()
            .expect("tmux runs");
        assert!(ok.success(), "tmux new-session failed");
        Tmux(name)
    }

    fn wait_for(&self, needle: &str) -> String {
        wait_until(
            &format!("{needle:?} on screen"),
            Duration::from_secs(30),
            || {
                let out = Command::new("tmux")
                    .args(["capture-pane", "-p", "-t", &self.0])
                    .output()
                    .ok()?;
                let screen = String::from_utf8_lossy(&out.stdout).into_owned();
                screen.contains(needle).then_some(screen)
            },
        )
    }

    fn key(&self, key: &str) {
        let ok = Command::new("tmux")
            .args(["send-keys", "-t", &self.0, key])
            .status()
            .expect("send-keys");
        assert!(ok.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

#[test]
fn the_screen_shows_the_windows_after_the_run_and_can_be_left() {
    let runs = Runs::new();
    let write = |name: &str, windows: &str| {
        let path = runs.path().join(name);
        std::fs::write(
            &path,
            format!(
                "plan: on-screen\ntitle: Windows on screen\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {{id: save, run: echo saved}}\n  - id: execute\n    steps:\n      - {{id: undo, run: echo undone}}\n  - id: verify\n    steps:\n      - {{id: ok, check: 'true'}}\npost_rollback:\n  windows: {windows}\n  post_checks:\n    - {{window: immediate, title: health, check: 'true', interval: 200ms}}\n"
            ),
        )
        .unwrap();
        path
    };
    let command = |plan: &Path| {
        format!(
            "env USER=tester ROLLBACK_RUNS_DIR={} {} run {}; echo EXIT=$?; sleep 600",
            runs.path().display(),
            common::bin(),
            plan.display()
        )
    };

    // Left while the immediate window is open: recorded, and the way back is shown.
    let long = write(
        "long.yaml",
        "{immediate: 10m, short-term: 20m, long-term: 30m}",
    );
    let t = Tmux::start("leave", &command(&long));
    t.wait_for("Your name");
    t.key("Enter");
    t.wait_for("run completed");
    t.key("q");
    let screen = t.wait_for("VALIDATION");
    assert!(
        screen.contains("immediate") && screen.contains("left"),
        "{screen}"
    );
    t.wait_for("health");
    t.key("q");
    let screen = t.wait_for("EXIT=0");
    assert!(
        screen.contains("validation left with windows open"),
        "{screen}"
    );
    let run = runs.only_run();
    let records = segment(&run);
    assert_eq!(of_type(&records, "validation_left").len(), 1);
    assert_eq!(ended(&records), None);
    drop(t);

    // Watched to the end: the verdict on screen, then any key closes.
    std::fs::remove_dir_all(&run).unwrap();
    let short = write(
        "short.yaml",
        "{immediate: 2s, short-term: 3s, long-term: 4s}",
    );
    let t = Tmux::start("end", &command(&short));
    t.wait_for("Your name");
    t.key("Enter");
    t.wait_for("run completed");
    t.key("q");
    let screen = t.wait_for("NOT VALIDATED");
    assert!(screen.contains("passed"), "{screen}");
    assert!(screen.contains("nothing to sample"), "{screen}");
    t.key("Enter");
    let screen = t.wait_for("EXIT=0");
    assert!(screen.contains("validation not validated"), "{screen}");
}

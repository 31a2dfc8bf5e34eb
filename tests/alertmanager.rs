//! The alertmanager probe against a real Alertmanager (Debian's `prometheus-alertmanager`)
//! started here on free loopback ports, sending to the webhook receiver; alerts are posted to
//! its API as Prometheus would. Without the binary the test fails saying so.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rollback::probe::alertmanager::Receiver;
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(30);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private Alertmanager whose only receiver is a webhook to `webhook_port`.
struct Alertmanager {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Alertmanager {
    fn start(webhook_port: u16) -> Alertmanager {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            format!(
                "route:\n  receiver: rollback\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: rollback\n    webhook_configs:\n      - url: http://127.0.0.1:{webhook_port}/\n        send_resolved: true\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start prometheus-alertmanager ({e}): install it (`apt-get install -y prometheus-alertmanager`; .ci/run does)"
                )
            });
        let am = Alertmanager {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        common::wait_until(
            &format!("alertmanager to answer\n{}", am.log()),
            LIMIT,
            || {
                ureq::get(&format!("{}/-/ready", am.url))
                    .call()
                    .ok()
                    .filter(|r| r.status() == 200)
            },
        );
        am
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Posts one alert as Prometheus does; `resolved` sets its end to now.
    fn post(&self, labels: serde_json::Value, resolved: bool) {
        let mut alert = json!({"labels": labels, "annotations": {"summary": "from the test"}});
        if resolved {
            alert["endsAt"] = json!(chrono::Utc::now().to_rfc3339());
        }
        let body = json!([alert]).to_string();
        let status = ureq::post(&format!("{}/api/v2/alerts", self.url))
            .header("Content-Type", "application/json")
            .send(body)
            .map(|r| r.status().as_u16())
            .unwrap_or_else(|e| panic!("posting to alertmanager: {e}\n{}", self.log()));
        assert_eq!(status, 200, "{}", self.log());
    }
}

fn labels(alertname: &str) -> Vec<(String, String)> {
    vec![
        ("alertname".to_string(), alertname.to_string()),
        ("category".to_string(), "security".to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firing_and_resolved_alerts_from_a_real_alertmanager() {
    let receiver = Receiver::start(0).await.unwrap();
    let am = Alertmanager::start(receiver.port());
    let waf = labels("WafBlockSpike");
    assert_eq!(receiver.firing(&waf), json!([]), "nothing fires at first");

    let blocking = |f: Box<dyn FnOnce() + Send>| tokio::task::spawn_blocking(f);
    let am = std::sync::Arc::new(am);
    let a = am.clone();
    blocking(Box::new(move || {
        a.post(
            json!({"alertname": "WafBlockSpike", "category": "security"}),
            false,
        );
        a.post(
            json!({"alertname": "DiskFull", "category": "storage"}),
            false,
        );
    }))
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + LIMIT;
    let firing = loop {
        let f = receiver.firing(&waf);
        if f.as_array().is_some_and(|a| !a.is_empty()) {
            break f;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no alert reached the receiver\n{}",
            am.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(firing[0]["labels"]["alertname"], "WafBlockSpike");
    assert_eq!(firing[0]["annotations"]["summary"], "from the test");
    assert_eq!(
        firing.as_array().unwrap().len(),
        1,
        "labels filter: {firing}"
    );
    // Empty labels match every firing alert, once the other group arrives too.
    loop {
        if receiver.firing(&[]).as_array().unwrap().len() == 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", am.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let a = am.clone();
    blocking(Box::new(move || {
        a.post(
            json!({"alertname": "WafBlockSpike", "category": "security"}),
            true,
        )
    }))
    .await
    .unwrap();
    loop {
        if receiver.firing(&waf) == json!([]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the resolved alert still fires\n{}",
            am.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(receiver.firing(&[]).as_array().unwrap().len(), 1);
}

/// Sends raw bytes to the receiver and returns its status line.
fn raw(port: u16, request: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_refuses_what_is_not_a_webhook() {
    let receiver = Receiver::start(0).await.unwrap();
    let port = receiver.port();
    let answers = tokio::task::spawn_blocking(move || {
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            64 * 1024 * 1024
        );
        [
            raw(port, b"GET / HTTP/1.1\r\n\r\n"),
            raw(port, b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"),
            raw(port, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            raw(port, huge.as_bytes()),
            raw(
                port,
                b"POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\n{\"alerts\":[{\"status\":\"firing\"}]}        ",
            ),
        ]
    })
    .await
    .unwrap();
    assert!(answers[0].contains("405"), "{answers:?}");
    assert!(answers[1].contains("400"), "{answers:?}");
    assert!(answers[2].contains("411"), "{answers:?}");
    assert!(answers[3].contains("413"), "{answers:?}");
    assert!(answers[4].contains("200"), "{answers:?}");
    assert_eq!(receiver.firing(&[]).as_array().unwrap().len(), 1);
    // A second receiver cannot take the same port: a clear error, not a panic.
    let err = Receiver::start(port).await.unwrap_err();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[test]
fn an_alert_sent_by_alertmanager_starts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = include_str!("plans/base.yaml");
    let head = base.split("triggers:\n").next().unwrap();
    let plan = dir.path().join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "{head}triggers:\n  - name: waf\n    use: waf-alert\n    severity: critical\n    interval: 100ms\n    alertmanager: {{port: {port}, labels: {{alertname: WafBlockSpike}}}}\n"
        ),
    )
    .unwrap();
    let mut watch = Command::new(common::bin())
        .args([
            "watch",
            "--headless",
            "--json",
            "--drill",
            "--approve-as",
            "alice",
        ])
        .arg(&plan)
        .env("ROLLBACK_RUNS_DIR", runs.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = watch.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let mut seen = Vec::new();
    let mut wait_for = |needle: &str| loop {
        match lines.recv_timeout(LIMIT) {
            Ok(l) => {
                seen.push(l.clone());
                if l.contains(needle) {
                    return;
                }
            }
            Err(_) => {
                let _ = watch.kill();
                panic!("no line with {needle}: {seen:#?}")
            }
        }
    };
    // The receiver listens: the trigger has seen no alert.
    wait_for(r#""state":"healthy""#);
    let am = Alertmanager::start(port);
    am.post(
        json!({"alertname": "WafBlockSpike", "category": "security"}),
        false,
    );
    wait_for(r#""state":"fired""#);
    wait_for(r#""policy":"start""#);
    let status = common::wait_until("the run to end", LIMIT, || watch.try_wait().unwrap());
    assert_eq!(status.code(), Some(0), "{}", am.log());
    let run = std::fs::read_dir(runs.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.join("timeline.jsonl").is_file())
        .expect("a run directory");
    let first = common::timeline(&run);
    let started: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(started["fired"]["name"], "waf");
    assert_eq!(
        started["fired"]["value"][0]["labels"]["alertname"], "WafBlockSpike",
        "{started}"
    );
}

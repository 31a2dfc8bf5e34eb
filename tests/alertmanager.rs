//! The alertmanager probe against a real Alertmanager (Debian's `prometheus-alertmanager`)
//! started here on free loopback ports, sending to the webhook receiver with a bearer token;
//! alerts are posted to its API as Prometheus would. Without the binary the test fails saying
//! so. The receiver's guards against other peers are in alertmanager_guard.rs.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::receiver::{Siege, free_port, plan_with_receiver};
use rollback::probe::alertmanager::{Bounds, Receiver, Token, Webhook};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(30);
const TOKEN: &str = "s3cret-webhook-token";

fn webhook(tls: Option<(&Path, &Path)>) -> Webhook {
    Webhook {
        port: 0,
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        token: Token::new("am_token", TOKEN),
        tls: tls.map(|(c, k)| (c.to_path_buf(), k.to_path_buf())),
    }
}

/// A private Alertmanager whose only receiver is one webhook.
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
    /// `webhook` is the YAML of its webhook's `url` and `http_config`, indented for the list
    /// entry.
    fn start(webhook: &str) -> Alertmanager {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            format!(
                "route:\n  receiver: rollback\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: rollback\n    webhook_configs:\n      - send_resolved: true\n{webhook}"
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

/// The `url` and `http_config` of a webhook sending `credentials` as its bearer token.
fn to(url: &str, credentials: &str) -> String {
    format!(
        "        url: {url}\n        http_config:\n          authorization: {{type: Bearer, credentials: '{credentials}'}}\n"
    )
}

fn labels(alertname: &str) -> Vec<(String, String)> {
    vec![
        ("alertname".to_string(), alertname.to_string()),
        ("category".to_string(), "security".to_string()),
    ]
}

/// Waits, without blocking the runtime, until `receiver` shows `n` alerts for `labels`.
async fn until_firing(
    receiver: &Receiver,
    labels: &[(String, String)],
    n: usize,
    am: &Alertmanager,
) {
    let deadline = Instant::now() + LIMIT;
    while receiver.firing(labels).as_array().map(Vec::len) != Some(n) {
        assert!(
            Instant::now() < deadline,
            "{} alerts, not {n}: {}\n{}",
            receiver.firing(labels),
            receiver.firing(&[]),
            am.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs `f` on a blocking thread: the Alertmanager client calls block.
async fn blocking(f: impl FnOnce() + Send + 'static) {
    tokio::task::spawn_blocking(f).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firing_and_resolved_alerts_from_a_real_alertmanager() {
    let receiver = Receiver::start(&webhook(None)).await.unwrap();
    // The token as a file, with the newline editors leave: Alertmanager trims it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let port = receiver.port();
    let am = Alertmanager::start(&format!(
        "        url: http://127.0.0.1:{port}/\n        http_config:\n          authorization: {{type: Bearer, credentials_file: '{}'}}\n",
        file.display()
    ));
    let waf = labels("WafBlockSpike");
    assert_eq!(receiver.firing(&waf), json!([]), "nothing fires at first");

    let am = Arc::new(am);
    let a = am.clone();
    blocking(move || {
        a.post(
            json!({"alertname": "WafBlockSpike", "category": "security"}),
            false,
        );
        a.post(
            json!({"alertname": "DiskFull", "category": "storage"}),
            false,
        );
    })
    .await;
    until_firing(&receiver, &waf, 1, &am).await;
    let firing = receiver.firing(&waf);
    assert_eq!(firing[0]["labels"]["alertname"], "WafBlockSpike");
    assert_eq!(firing[0]["annotations"]["summary"], "from the test");
    // Empty labels match every firing alert, once the other group arrives too.
    until_firing(&receiver, &[], 2, &am).await;

    let a = am.clone();
    blocking(move || {
        a.post(
            json!({"alertname": "WafBlockSpike", "category": "security"}),
            true,
        )
    })
    .await;
    until_firing(&receiver, &waf, 0, &am).await;
    assert_eq!(receiver.firing(&[]).as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alertmanager_with_the_wrong_token_fires_nothing() {
    let receiver = Receiver::start(&webhook(None)).await.unwrap();
    let port = receiver.port();
    let am = Arc::new(Alertmanager::start(&to(
        &format!("http://127.0.0.1:{port}/"),
        "not-the-token",
    )));
    let a = am.clone();
    blocking(move || a.post(json!({"alertname": "WafBlockSpike"}), false)).await;
    // Alertmanager tried, and was refused.
    let deadline = Instant::now() + LIMIT;
    while !am.log().contains("status code 401") {
        assert!(Instant::now() < deadline, "no refusal seen\n{}", am.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(receiver.firing(&[]), json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_sends_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let receiver = Receiver::start(&webhook(Some((&cert, &key))))
        .await
        .unwrap();
    let port = receiver.port();
    let am = Arc::new(Alertmanager::start(&format!(
        "{}          tls_config: {{ca_file: '{}'}}\n",
        to(&format!("https://127.0.0.1:{port}/"), TOKEN),
        cert.display()
    )));
    let a = am.clone();
    blocking(move || a.post(json!({"alertname": "WafBlockSpike"}), false)).await;
    until_firing(&receiver, &[], 1, &am).await;
    // Plain HTTP on the TLS port is not served.
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(LIMIT)).unwrap();
        let body = r#"{"alerts":[{"status":"firing","labels":{"alertname":"Plain"}}]}"#;
        let req = format!(
            "POST / HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(req.as_bytes());
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).to_string()
    })
    .await
    .unwrap();
    assert!(!answer.contains("200 OK"), "{answer}");
    assert_eq!(receiver.firing(&[]).as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_gets_past_strangers_holding_every_place() {
    let receiver = Receiver::start(&webhook(None)).await.unwrap();
    let port = receiver.port();
    let n = Bounds::default().connections;
    let siege = tokio::task::spawn_blocking(move || Siege::start(port, n))
        .await
        .unwrap();
    let am = Arc::new(Alertmanager::start(&to(
        &format!("http://127.0.0.1:{port}/"),
        TOKEN,
    )));
    let a = am.clone();
    blocking(move || a.post(json!({"alertname": "WafBlockSpike"}), false)).await;
    // Taken while the strangers hold every place they can, and what they cost shows.
    until_firing(&receiver, &[], 1, &am).await;
    assert!(receiver.sample(&[]).is_err(), "strangers were closed");
    blocking(move || drop(siege)).await;
}

#[test]
fn an_alert_sent_by_alertmanager_starts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let port = free_port();
    let plan = plan_with_receiver(dir.path(), port, "{secret: true, required: true}");
    let mut watch = Command::new(common::bin())
        .args([
            "watch",
            "--headless",
            "--json",
            "--drill",
            "--approve-as",
            "alice",
        ])
        .args(["--var", &format!("am_token={TOKEN}")])
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
    let am = Alertmanager::start(&to(&format!("http://127.0.0.1:{port}/"), TOKEN));
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
    assert!(!first.contains(TOKEN), "the token is never recorded");
}

#[test]
fn a_watch_whose_token_has_no_value_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let port = free_port();
    let plan = plan_with_receiver(dir.path(), port, "{secret: true, env: true}");
    let out = Command::new(common::bin())
        .args(["watch", "--headless", "--json"])
        .arg(&plan)
        .env("ROLLBACK_RUNS_DIR", runs.path())
        .env_remove("am_token")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`am_token` holds the webhook's bearer token and has no value"),
        "{err}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens"
    );
}

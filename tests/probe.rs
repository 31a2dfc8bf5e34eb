//! Probes against real parts: real child processes, a real HTTP server on loopback started
//! here, and a real Prometheus started on a free port with its own data directory. Every
//! failure mode must come back as an error, never as a value that could pass.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::prometheus::Prometheus;
use rollback::monitor::jsonpath::JsonPath;
use rollback::monitor::spec::HttpSpec;
use rollback::monitor::{Outcome, Spec};
use rollback::plan::catalogue;
use rollback::plan::status::Statuses;
use rollback::plan::trigger::{HttpMethod, HttpValue};
use rollback::probe::{command, http, prometheus};
use serde_json::json;

const SHORT: Duration = Duration::from_secs(5);

// --- command -----------------------------------------------------------------------------

#[tokio::test]
async fn a_command_answers_with_a_number_or_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = |c: &'static str| command::run(c, SHORT, dir.path());
    assert_eq!(run("echo 0.25").await, Ok(json!(0.25)));
    assert_eq!(
        run(r#"printf '{"depth": 12}'"#).await,
        Ok(json!({"depth": 12}))
    );
    let garbage = run("echo twelve").await.unwrap_err();
    assert!(garbage.contains("neither a number nor JSON"), "{garbage}");
    let nothing = run("true").await.unwrap_err();
    assert!(nothing.contains("printed nothing"), "{nothing}");
    let failed = run("echo 5; echo 'no such metric' >&2; exit 3")
        .await
        .unwrap_err();
    assert!(
        failed.contains("exited with 3") && failed.contains("no such metric"),
        "{failed}"
    );
    let huge = run("head -c 100000 /dev/zero | tr '\\0' 1")
        .await
        .unwrap_err();
    assert!(huge.contains("more than 64 KiB"), "{huge}");
}

#[tokio::test]
async fn a_command_that_hangs_is_killed_with_its_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let cmd = format!("echo $$ > {}; sleep 300 & sleep 300", pids.display());
    let err = command::run(&cmd, Duration::from_millis(300), dir.path())
        .await
        .unwrap_err();
    assert!(err.contains("did not answer within 300ms"), "{err}");
    let pgid: i32 = std::fs::read_to_string(&pids)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The group is gone, the background `sleep` included.
    common::wait_until("the probe's group to be gone", SHORT, || {
        (!rollback::runner::orphan::group_alive(pgid)).then_some(())
    });
}

// --- http --------------------------------------------------------------------------------

/// A tiny HTTP/1.1 server on a free loopback port, one thread per connection. Requests to
/// `/hang` are read and never answered until the server is dropped.
struct Server {
    port: u16,
    _stop: mpsc::Sender<()>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = mpsc::channel::<()>();
        let stopped = std::sync::Arc::new(std::sync::Mutex::new(stopped));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let stopped = stopped.clone();
                std::thread::spawn(move || serve(stream, &stopped));
            }
        });
        Server { port, _stop: stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve(stream: TcpStream, stopped: &std::sync::Mutex<mpsc::Receiver<()>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut length = 0;
    let mut token = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("x-token:") {
            token = Some(h["x-token:".len()..].trim().to_string());
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let (status, extra, reply) = match path.as_str() {
        "/number" => (200, "", "0.25".to_string()),
        "/json" => (
            200,
            "",
            r#"{"data": {"ratio": 0.9, "items": [1, 2]}}"#.into(),
        ),
        "/error" => (500, "", r#"{"ratio": 0.0}"#.into()),
        "/garbage" => (200, "", "<html>hello</html>".into()),
        "/unavailable" => (503, "", "down".into()),
        "/loop" => (302, "Location: /loop\r\n", String::new()),
        "/echo" if token.as_deref() == Some("s3cret") => {
            (200, "", String::from_utf8_lossy(&body).into_owned())
        }
        "/echo" => (401, "", "{}".into()),
        "/hang" => {
            // Holds the connection open, silent, until the test ends.
            let _ = stopped.lock().map(|rx| rx.recv());
            return;
        }
        _ => (404, "", "{}".into()),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{reply}",
        reply.len()
    );
}

fn get(url: String) -> HttpSpec {
    HttpSpec {
        url,
        method: HttpMethod::Get,
        headers: Vec::new(),
        body: None,
        status: Statuses::default(),
        jsonpath: None,
        value: HttpValue::Body,
    }
}

#[tokio::test]
async fn http_answers_are_json_selected_by_jsonpath() {
    let s = Server::start();
    assert_eq!(
        http::run(get(s.url("/number")), SHORT, &Default::default()).await,
        Ok(json!(0.25))
    );
    let spec = HttpSpec {
        jsonpath: Some(JsonPath::parse("$.data.ratio").unwrap()),
        ..get(s.url("/json"))
    };
    assert_eq!(
        http::run(spec, SHORT, &Default::default()).await,
        Ok(json!(0.9))
    );
    let spec = HttpSpec {
        jsonpath: Some(JsonPath::parse("$.data.items[*]").unwrap()),
        ..get(s.url("/json"))
    };
    assert_eq!(
        http::run(spec, SHORT, &Default::default()).await,
        Ok(json!([1, 2]))
    );
    let spec = HttpSpec {
        method: HttpMethod::Post,
        headers: vec![("X-Token".into(), "s3cret".into())],
        body: Some(r#"{"posted": 7}"#.into()),
        jsonpath: Some(JsonPath::parse("$.posted").unwrap()),
        ..get(s.url("/echo"))
    };
    assert_eq!(
        http::run(spec, SHORT, &Default::default()).await,
        Ok(json!(7))
    );
    let spec = HttpSpec {
        value: HttpValue::Status,
        ..get(s.url("/unavailable"))
    };
    assert_eq!(
        http::run(spec, SHORT, &Default::default()).await,
        Ok(json!(503))
    );
}

#[tokio::test]
async fn every_http_failure_is_an_error_never_a_value() {
    let s = Server::start();
    let cases = [
        (
            "a 500",
            get(s.url("/error")),
            "answered HTTP 500, expected 2xx",
        ),
        ("not JSON", get(s.url("/garbage")), "which is not JSON"),
        (
            "a redirect loop",
            get(s.url("/loop")),
            "redirects more than",
        ),
        ("a missing header", get(s.url("/echo")), "HTTP 401"),
        (
            "a JSONPath that matches nothing",
            HttpSpec {
                jsonpath: Some(JsonPath::parse("$.data.missing").unwrap()),
                ..get(s.url("/json"))
            },
            "matches nothing",
        ),
        (
            "a refused connection",
            get("http://127.0.0.1:1/".into()),
            "127.0.0.1:1",
        ),
    ];
    for (what, spec, want) in cases {
        let err = http::run(spec, SHORT, &Default::default())
            .await
            .unwrap_err();
        assert!(err.contains(want), "{what}: {err}");
    }
}

#[tokio::test]
async fn a_server_that_hangs_does_not_hang_the_probe() {
    let s = Server::start();
    let err = http::run(
        get(s.url("/hang")),
        Duration::from_millis(300),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("did not answer within 300ms"), "{err}");
}

// --- prometheus --------------------------------------------------------------------------

#[test]
fn prometheus_instant_queries_and_catalogue_triggers_against_a_real_server() {
    let p = Prometheus::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let q = |query: &str| rt.block_on(prometheus::query(&p.url, query, SHORT, &Default::default()));

    let up = q("up").unwrap();
    assert_eq!(up[0]["labels"]["job"], "prometheus", "{up}");
    assert_eq!(up[0]["value"], json!(1.0), "values arrive as numbers: {up}");
    let requests = q("sum by (code) (prometheus_http_requests_total)").unwrap();
    assert!(
        requests
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["value"].as_f64().unwrap() >= 1.0),
        "{requests}"
    );
    assert_eq!(q("scalar(up)").unwrap(), json!(1.0));
    assert!(q("up{").unwrap_err().contains("the query failed"));
    assert!(q("up[1m]").unwrap_err().contains("range vector"));
    assert!(q("0/0 * up").unwrap_err().contains("not a finite number"));
    let nobody = rt
        .block_on(prometheus::query(
            "http://127.0.0.1:1",
            "up",
            SHORT,
            &Default::default(),
        ))
        .unwrap_err();
    assert!(nobody.contains("127.0.0.1:1"), "{nobody}");

    // Every catalogue query is PromQL this server accepts (with and without a selector).
    for e in catalogue::entries() {
        let Some(template) = &e.prometheus else {
            continue;
        };
        for selector in ["", r#"job="prometheus""#] {
            let query = template.replace("${selector}", selector);
            match q(&query) {
                Ok(_) => {}
                Err(err) => assert!(
                    err.contains("not a finite number"),
                    "{}: {query}: {err}",
                    e.name
                ),
            }
        }
    }

    // A catalogue trigger judged on real answers: targets up is healthy; none found is no
    // data, an error sample, never healthy (and not a fire: a selector typo looks the same).
    let judge = |selector: &str| {
        let plan = format!(
            "{}triggers:\n  - name: up\n    use: availability\n    prometheus: {{url: '{}', selector: '{selector}'}}\n",
            include_str!("plans/base.yaml")
                .split("triggers:")
                .next()
                .unwrap(),
            p.url
        );
        let loaded = rollback::plan::load::load_bytes("p.yaml", plan.into_bytes()).unwrap();
        let spec = Spec::resolve(&loaded.plan.triggers[0]).unwrap();
        let answer = rt.block_on(rollback::probe::sample(
            &spec.probe,
            SHORT,
            &Default::default(),
        ));
        spec.judge(Duration::ZERO, answer).outcome
    };
    assert_eq!(judge(r#"job="prometheus""#), Outcome::Success);
    assert_eq!(judge(r#"job="nothing-here""#), Outcome::Error);
}

#[test]
fn load_on_a_real_prometheus_fires_a_trigger_and_the_run_starts() {
    let p = Prometheus::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let query = r#"sum(prometheus_http_requests_total{handler="/api/v1/query"})"#;
    let before = rt
        .block_on(prometheus::query(&p.url, query, SHORT, &Default::default()))
        .map(|v| v[0]["value"].as_f64().unwrap_or(0.0))
        .unwrap_or(0.0);
    let dir = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.yaml");
    let head = include_str!("plans/base.yaml")
        .split("triggers:")
        .next()
        .unwrap();
    std::fs::write(
        &plan,
        format!(
            "{head}triggers:\n  - name: queries\n    prometheus: {{url: '{}', query: '{query}'}}\n    interval: 200ms\n    condition: result.exists(s, s.value > {}.0)\n    severity: critical\n",
            p.url,
            before as u64 + 20
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
            "eve",
        ])
        .arg(&plan)
        .env("ROLLBACK_RUNS_DIR", runs.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Load: queries the server counts, scraped into the series the trigger watches.
    for _ in 0..30 {
        rt.block_on(prometheus::query(&p.url, "up", SHORT, &Default::default()))
            .unwrap();
    }
    let status = common::wait_until(
        "the watch to fire and the run to end",
        Duration::from_secs(60),
        || watch.try_wait().unwrap(),
    );
    let mut out = String::new();
    watch
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{out}");
    assert!(out.contains(r#""state":"fired""#), "{out}");
    let run = std::fs::read_dir(runs.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|d| d.join("timeline.jsonl").is_file())
        .expect("a run");
    let started: serde_json::Value =
        serde_json::from_str(common::timeline(&run).lines().next().unwrap()).unwrap();
    assert_eq!(started["fired"]["name"], "queries");
    assert!(
        started["fired"]["value"][0]["value"].as_f64().unwrap() > before + 20.0,
        "{started}"
    );
}

//! The webhook receiver against peers that are not Alertmanager: no token or a wrong one
//! (refused before the body is read), too many connections, silent ones, large bodies, a
//! flood of alerts, no file descriptors left. `rollback validate` on receivers that would
//! be open doors is in triggers.rs.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::receiver::{
    FIRING, Siege, TOKEN, bearer, exchange, free_port, post, status, trickle, webhook,
};
use rollback::probe::Receivers;
use rollback::probe::alertmanager::{BODY_CAP, Bounds, Receiver, Token, Webhook};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(15);

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_the_token_is_refused_before_its_body_is_read() {
    let receiver = Receiver::start(&webhook()).await.unwrap();
    let port = receiver.port();
    let answers = blocking(move || {
        [
            // A body announced and never sent: waiting for it would take the deadline.
            "POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n".to_string(),
            "POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n".to_string(),
            format!(
                "POST / HTTP/1.1\r\n{}Content-Length: 1000\r\n\r\n",
                bearer("wrong")
            ),
            post(&bearer("wrong"), FIRING),
            post(&bearer(&format!("{TOKEN}x")), FIRING),
            post(&format!("Authorization: Basic {TOKEN}\r\n"), FIRING),
            post("", FIRING),
        ]
        .map(|r| exchange(port, r.as_bytes()))
    })
    .await;
    for (answer, took) in &answers {
        assert_eq!(status(answer), "HTTP/1.1 401 Unauthorized", "{answers:?}");
        assert!(answer.contains("WWW-Authenticate: Bearer\r\n"), "{answer}");
        assert!(*took < Duration::from_secs(3), "{took:?}: {answer}");
    }
    assert_eq!(receiver.firing(&[]), json!([]), "nothing fires");
    let (answer, _) =
        blocking(move || exchange(port, post(&bearer(TOKEN), FIRING).as_bytes())).await;
    assert_eq!(status(&answer), "HTTP/1.1 200 OK");
    assert_eq!(receiver.firing(&[]).as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_refuses_what_is_not_a_webhook() {
    let receiver = Receiver::start(&webhook()).await.unwrap();
    let port = receiver.port();
    let auth = bearer(TOKEN);
    let answers = blocking(move || {
        [
            format!("GET / HTTP/1.1\r\n{auth}\r\n"),
            post(&auth, "hello"),
            format!("POST / HTTP/1.1\r\n{auth}Transfer-Encoding: chunked\r\n\r\n"),
            format!(
                "POST / HTTP/1.1\r\n{auth}Content-Length: {}\r\n\r\n",
                BODY_CAP + 1
            ),
            post(&auth, r#"{"alerts":[{"status":"firing"}]}"#),
        ]
        .map(|r| exchange(port, r.as_bytes()))
    })
    .await;
    let codes: Vec<&str> = answers.iter().map(|(a, _)| status(a)).collect();
    assert_eq!(
        codes,
        [
            "HTTP/1.1 405 Method Not Allowed",
            "HTTP/1.1 400 Bad Request",
            "HTTP/1.1 411 Length Required",
            "HTTP/1.1 413 Content Too Large",
            "HTTP/1.1 200 OK",
        ]
    );
    assert!(answers[3].1 < Duration::from_secs(3), "413 before the body");
    // The alert taken, and the notification refused as too large: it may have held one that
    // matters, so it counts as firing.
    let firing = receiver.firing(&[]);
    assert_eq!(firing.as_array().unwrap().len(), 2, "{firing}");
    assert_eq!(firing[1]["overflow"], true, "{firing}");
    // A second receiver cannot take the same port: a clear error, not a panic.
    let taken = Webhook { port, ..webhook() };
    let err = Receiver::start(&taken).await.unwrap_err();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    // Nor does one start without a token to check.
    let open = Webhook {
        token: Token::new("am_token", " "),
        ..webhook()
    };
    let err = Receiver::start(&open).await.unwrap_err();
    assert!(err.contains("without its token"), "{err}");
}

/// Whether `n` connections to `port` are established and the receiver has read all they
/// sent (/proc/net/tcp: its side of each, with nothing left in its receive queue).
fn all_read(port: u16, n: usize) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let ours: Vec<u64> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local = u16::from_str_radix(f.get(1)?.rsplit(':').next()?, 16).ok()?;
            let queue = u64::from_str_radix(f.get(4)?.rsplit(':').next()?, 16).ok()?;
            (local == port && f.get(3) == Some(&"01")).then_some(queue)
        })
        .collect();
    ours.len() >= n && ours.iter().all(|q| *q == 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_token_holders_hold_every_place_one_more_is_refused_at_once() {
    let receiver = Receiver::start(&webhook()).await.unwrap();
    let port = receiver.port();
    let limit = Bounds::default().connections;
    assert_eq!(limit, 64);
    let (extra, took, holders) = blocking(move || {
        // Each shows the token and holds its place until the deadline, its body unsent.
        let head = format!(
            "POST / HTTP/1.1\r\n{}Content-Length: 10\r\n\r\n",
            bearer(TOKEN)
        );
        let holders: Vec<TcpStream> = (0..limit)
            .map(|_| {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.write_all(head.as_bytes()).unwrap();
                s
            })
            .collect();
        common::wait_until("every head read", LIMIT, || {
            all_read(port, limit).then_some(())
        });
        let (answer, took) = exchange(port, b"");
        (answer, took, holders)
    })
    .await;
    assert_eq!(
        status(&extra),
        "HTTP/1.1 503 Service Unavailable",
        "{extra}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    let err = receiver.sample(&[]).unwrap_err();
    assert!(err.contains("1 answered 503"), "{err}");
    drop(holders);
    // Their places free as they close.
    let answer = blocking(move || {
        common::wait_until("a place to free", LIMIT, || {
            let (a, _) = exchange(port, post(&bearer(TOKEN), FIRING).as_bytes());
            a.starts_with("HTTP/1.1 200").then_some(a)
        })
    })
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"));
    let err = receiver.sample(&[]).unwrap_err();
    assert!(err.contains("ended by their sender in the middle"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_makes_room_and_a_silent_one_is_closed_at_its_head_deadline() {
    let bounds = Bounds {
        connections: 1,
        head: Duration::from_millis(300),
        ..Bounds::default()
    };
    let receiver = Receiver::start_with(&webhook(), bounds).await.unwrap();
    let port = receiver.port();
    let (taken, evicted, closed_after) = blocking(move || {
        let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
        silent.set_read_timeout(Some(LIMIT)).unwrap();
        // The only place is the silent stranger's: a request with the token takes it.
        let (taken, _) = exchange(port, post(&bearer(TOKEN), FIRING).as_bytes());
        let evicted = matches!(silent.read(&mut [0; 1]), Ok(0) | Err(_));
        // Alone, a silent stranger is closed when its time for a head runs out. The place
        // frees once the request before has ended: until then the receiver says 503.
        common::wait_until("a silent stranger to be let in", LIMIT, || {
            let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
            silent.set_read_timeout(Some(LIMIT)).unwrap();
            let start = Instant::now();
            let mut said = Vec::new();
            let _ = silent.read_to_end(&mut said);
            (!said.starts_with(b"HTTP/1.1 503")).then(|| (taken.clone(), evicted, start.elapsed()))
        })
    })
    .await;
    assert_eq!(status(&taken), "HTTP/1.1 200 OK");
    assert!(evicted, "the stranger was closed to make room");
    assert!(closed_after < Duration::from_secs(3), "{closed_after:?}");
    assert_eq!(receiver.firing(&[]).as_array().unwrap().len(), 1);
    // Neither may have been Alertmanager's, but neither could be read: not healthy.
    let err = receiver.sample(&[]).unwrap_err();
    assert!(
        err.contains("closed before their head came, to make room"),
        "{err}"
    );
    assert!(
        err.contains("closed without a whole head within 300ms"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_holding_every_place_neither_keep_the_token_out_nor_look_healthy() {
    let port = free_port();
    let waf = vec![("alertname".to_string(), "Waf".to_string())];
    let receivers = Receivers::start([(Webhook { port, ..webhook() }, waf.clone())]).await;
    assert_eq!(
        receivers.sample(port, &waf),
        Ok(json!([])),
        "healthy at first"
    );
    let n = Bounds::default().connections;
    let siege = blocking(move || Siege::start(port, n)).await;
    // Alertmanager's POST comes after all of them, and is taken at once.
    let (answer, took) =
        blocking(move || exchange(port, post(&bearer(TOKEN), FIRING).as_bytes())).await;
    assert_eq!(status(&answer), "HTTP/1.1 200 OK", "{answer}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // A stranger was closed to make room: whatever the alerts, the sample is an error.
    let err = receivers.sample(port, &waf).unwrap_err();
    assert!(err.contains("closed before their head came"), "{err}");
    // Closed after 2 s, they come back; every sample meanwhile is an error.
    let deadline = Instant::now() + LIMIT;
    while siege.reopened() < n {
        assert!(Instant::now() < deadline, "{} closed", siege.reopened());
        let sample = receivers.sample(port, &waf);
        assert!(sample.is_err(), "{sample:?}");
        // A trigger's interval.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let err = receivers.sample(port, &waf).unwrap_err();
    assert!(
        err.contains("closed without a whole head within 2s"),
        "{err}"
    );
    blocking(move || drop(siege)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_trickling_its_head_is_cut_off_at_the_head_deadline() {
    let receiver = Receiver::start(&webhook()).await.unwrap();
    let port = receiver.port();
    // Slowly enough that the head's time runs out before its pieces do.
    let (cut_after, sent) =
        blocking(move || trickle(port, Duration::from_millis(100), LIMIT)).await;
    assert!(
        cut_after < Duration::from_secs(4),
        "{cut_after:?}, {sent} bytes"
    );
    let err = receiver.sample(&[]).unwrap_err();
    assert!(
        err.contains("1 closed without a whole head within 2s"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_alerts_is_capped_and_still_fires() {
    let bounds = Bounds {
        alerts: 10,
        ..Bounds::default()
    };
    let receiver = Receiver::start_with(&webhook(), bounds).await.unwrap();
    let port = receiver.port();
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let ended =
        json!({"alerts": [{"status": "firing", "labels": {"alertname": "Old"}, "endsAt": past}]});
    let flood: Vec<_> = (0..500)
        .map(|i| json!({"status": "firing", "labels": {"alertname": "Flood"}, "fingerprint": format!("f{i}")}))
        .collect();
    let flood = json!({ "alerts": flood });
    let answers = blocking(move || {
        [FIRING.to_string(), ended.to_string(), flood.to_string()]
            .map(|b| status(&exchange(port, post(&bearer(TOKEN), &b).as_bytes()).0).to_string())
    })
    .await;
    assert!(
        answers.iter().all(|a| a == "HTTP/1.1 200 OK"),
        "{answers:?}"
    );
    let flood = receiver.firing(&[("alertname".into(), "Flood".into())]);
    assert_eq!(
        flood.as_array().unwrap().len(),
        10 + 1,
        "the newest, and the overflow"
    );
    // The Waf alert was pushed out; its trigger still sees firing.
    let waf = receiver.firing(&[("alertname".into(), "Waf".into())]);
    assert_eq!(waf[0]["overflow"], true, "{waf}");
    let old = receiver.firing(&[("alertname".into(), "Old".into())]);
    assert_eq!(
        old.as_array().unwrap().len(),
        1,
        "ended, so not held: {old}"
    );
    assert_eq!(old[0]["overflow"], true, "{old}");
}

/// Set in the child process that runs out of file descriptors.
const CHILD: &str = "ROLLBACK_TEST_NO_FDS";

#[test]
fn out_of_file_descriptors_the_receiver_waits_instead_of_spinning() {
    if std::env::var_os(CHILD).is_some() {
        return out_of_file_descriptors();
    }
    // The limit is the process's: lowered in a child of its own, not under the other tests.
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "out_of_file_descriptors_the_receiver_waits_instead_of_spinning",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("cpu while out of descriptors:"), "{text}");
}

fn out_of_file_descriptors() {
    use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage, setrlimit};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let receiver = runtime.block_on(Receiver::start(&webhook())).unwrap();
    let port = receiver.port();
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    setrlimit(Resource::RLIMIT_NOFILE, open + 16, hard).unwrap();
    // Take every descriptor left but one, which the client takes: accept() has none.
    let mut fillers = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        fillers.push(f);
        assert!(fillers.len() < 1000, "the limit did not hold");
    }
    fillers.pop();
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(
        std::fs::File::open("/dev/null").is_err(),
        "no descriptor left"
    );
    let cpu = || {
        let u = getrusage(UsageWho::RUSAGE_SELF).unwrap();
        let ms = |t: nix::sys::time::TimeVal| t.tv_sec() * 1000 + t.tv_usec() / 1000;
        ms(u.user_time()) + ms(u.system_time())
    };
    // A measuring span, not a wait for something: how busy is the process meanwhile?
    let before = cpu();
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu() - before;
    println!("cpu while out of descriptors: {used} ms in 1000 ms");
    assert!(
        used < 250,
        "the accept loop spins: {used} ms of CPU in one second"
    );
    // Descriptors free again: the waiting connection is served.
    drop(fillers);
    setrlimit(Resource::RLIMIT_NOFILE, soft, hard).unwrap();
    client.set_read_timeout(Some(LIMIT)).unwrap();
    client
        .write_all(post(&bearer(TOKEN), FIRING).as_bytes())
        .unwrap();
    let mut answer = String::new();
    let _ = client.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert_eq!(receiver.firing(&[]).as_array().unwrap().len(), 1);
    drop(receiver);
    runtime.shutdown_timeout(Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_keeps_only_what_its_triggers_ask_about() {
    use rollback::probe::Receivers;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let on = |labels: &[(&str, &str)]| {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        (Webhook { port, ..webhook() }, labels.collect::<Vec<_>>())
    };
    let waf = on(&[("alertname", "Waf")]);
    let receivers = Receivers::start([waf.clone(), on(&[("category", "auth")])]).await;
    // A flood of alerts no trigger asks about: held nowhere, and no trigger fires.
    let flood: Vec<_> = (0..2000)
        .map(|i| json!({"status": "firing", "labels": {"alertname": "DiskFull"}, "fingerprint": format!("d{i}")}))
        .collect();
    let flood = json!({ "alerts": flood }).to_string();
    let answers = blocking(move || {
        [flood, FIRING.to_string()]
            .map(|b| status(&exchange(port, post(&bearer(TOKEN), &b).as_bytes()).0).to_string())
    })
    .await;
    assert!(
        answers.iter().all(|a| a == "HTTP/1.1 200 OK"),
        "{answers:?}"
    );
    let seen = receivers.sample(port, &waf.1).unwrap();
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    assert_eq!(seen[0]["labels"]["alertname"], "Waf");
    let auth = vec![("category".to_string(), "auth".to_string())];
    assert_eq!(receivers.sample(port, &auth).unwrap(), json!([]));
    drop(receivers);
    // Two settings for one port: neither listens, and both say why.
    let other = Webhook {
        token: Token::new("other", "another-token"),
        ..waf.0.clone()
    };
    let receivers = Receivers::start([waf.clone(), (other, auth)]).await;
    let err = receivers.sample(port, &waf.1).unwrap_err();
    assert!(err.contains("differ in token, bind or tls"), "{err}");
}

//! Peers of the Alertmanager webhook receiver, for its tests: requests over raw sockets,
//! strangers holding connections open, a stranger trickling its head, and a plan whose
//! trigger listens for Alertmanager.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rollback::probe::alertmanager::{Token, Webhook};

pub const TOKEN: &str = "s3cret-webhook-token";

pub const FIRING: &str =
    r#"{"alerts":[{"status":"firing","labels":{"alertname":"Waf"},"fingerprint":"w"}]}"#;

/// A webhook on a free port of 127.0.0.1 with `TOKEN`, plain HTTP.
pub fn webhook() -> Webhook {
    Webhook {
        port: 0,
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        token: Token::new("am_token", TOKEN),
        tls: None,
    }
}

/// A webhook POST of `body` with `auth` (a whole header line, or nothing).
pub fn post(auth: &str, body: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

pub fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

/// Sends `request` and returns the whole answer and how long it took to come.
pub fn exchange(port: u16, request: &[u8]) -> (String, Duration) {
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.write_all(request);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).to_string(),
        start.elapsed(),
    )
}

pub fn status(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

/// Whether the receiver closed `s` (or answered, which it does only as it closes), looking
/// without waiting.
fn closed(s: &mut TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 512];
    let open = matches!(s.read(&mut buf), Err(e) if e.kind() == ErrorKind::WouldBlock);
    s.set_nonblocking(false).unwrap();
    !open
}

/// Strangers holding `n` connections to `port` open, sending nothing, each opened again as
/// soon as the receiver closes it, until dropped. The first `n` are connected when `start`
/// returns.
pub struct Siege {
    stop: Arc<AtomicBool>,
    reopened: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Siege {
    pub fn start(port: u16, n: usize) -> Siege {
        let connect = move || TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut held: Vec<TcpStream> = (0..n).map(|_| connect()).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let reopened = Arc::new(AtomicUsize::new(0));
        let (halt, count) = (stop.clone(), reopened.clone());
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                for s in held.iter_mut() {
                    if closed(s) {
                        *s = connect();
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
                // The strangers' pace, not a wait for the receiver.
                std::thread::park_timeout(Duration::from_millis(10));
            }
        });
        Siege {
            stop,
            reopened,
            thread: Some(thread),
        }
    }

    /// How many connections the receiver closed and the strangers opened again.
    pub fn reopened(&self) -> usize {
        self.reopened.load(Ordering::Relaxed)
    }
}

impl Drop for Siege {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A stranger sending a head that never ends, one byte each `every`, until the receiver
/// cuts it off or `limit` passes: how long it was connected, and the bytes it sent.
pub fn trickle(port: u16, every: Duration, limit: Duration) -> (Duration, usize) {
    let head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut sent = 0;
    while start.elapsed() < limit {
        let byte = head.get(sent).copied().unwrap_or(b'a');
        if s.write_all(&[byte]).is_err() || closed(&mut s) {
            break;
        }
        sent += 1;
        // The stranger's pace, not a wait for the receiver.
        std::thread::park_timeout(every);
    }
    (start.elapsed(), sent)
}

/// The plan tests/plans/base.yaml with one alertmanager trigger on `port` sampled each
/// 100 ms, its token in `am_token` declared with `token_var`.
pub fn plan_with_receiver(dir: &Path, port: u16, token_var: &str) -> PathBuf {
    let base = include_str!("../plans/base.yaml");
    let head = base.split("triggers:\n").next().unwrap();
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "{head}triggers:\n  - name: waf\n    use: waf-alert\n    severity: critical\n    interval: 100ms\n    alertmanager: {{port: {port}, labels: {{alertname: WafBlockSpike}}, token: am_token}}\nvars:\n  am_token: {token_var}\n"
        ),
    )
    .unwrap();
    plan
}

/// A port free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

//! The Alertmanager probe: a webhook receiver on a loopback port. Alertmanager POSTs groups
//! of alerts to it; firing alerts are kept (by fingerprint) and resolved ones dropped. A
//! sample is the list of firing alerts whose labels include the trigger's labels, so
//! `size(result) > 0` fires while a matching alert fires.
//!
//! A minimal HTTP/1.1 server on tokio's listener: one request per connection, a
//! `Content-Length` body capped at `BODY_CAP`, a deadline per connection so a silent client
//! holds nothing. The receiver stops when its handle is dropped.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value as Json, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Webhook bodies larger than this are refused (Alertmanager's groups are far smaller).
pub const BODY_CAP: usize = 1024 * 1024;
/// Headers larger than this are refused.
const HEAD_CAP: usize = 16 * 1024;
/// A connection that has not sent its request by then is closed.
const DEADLINE: Duration = Duration::from_secs(10);

/// The firing alerts, by fingerprint.
type Firing = Arc<Mutex<HashMap<String, Alert>>>;

/// One alert as the webhook sends it (fields not listed are ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub fingerprint: String,
}

#[derive(Debug, Deserialize)]
struct Notification {
    alerts: Vec<Alert>,
}

/// A listening receiver; dropping it stops it.
#[derive(Debug)]
pub struct Receiver {
    port: u16,
    firing: Firing,
    task: tokio::task::AbortHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Listens on 127.0.0.1:`port` (0 picks a free port; `port()` says which).
    pub async fn start(port: u16) -> Result<Receiver, String> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            format!("the Alertmanager webhook receiver cannot listen on 127.0.0.1:{port}: {e}")
        })?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let firing = Firing::default();
        let shared = firing.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            let firing = shared.clone();
                            connections.spawn(async move {
                                let _ = tokio::time::timeout(DEADLINE, serve(stream, &firing)).await;
                            });
                        }
                    }
                    Some(_) = connections.join_next() => {}
                }
            }
        })
        .abort_handle();
        Ok(Receiver { port, firing, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The firing alerts carrying every one of `labels`, oldest first, as the condition sees
    /// them: a list of `{labels, annotations, startsAt}`.
    pub fn firing(&self, labels: &[(String, String)]) -> Json {
        let firing = self.firing.lock().unwrap_or_else(|e| e.into_inner());
        let mut matching: Vec<&Alert> = firing
            .values()
            .filter(|a| labels.iter().all(|(k, v)| a.labels.get(k) == Some(v)))
            .collect();
        matching
            .sort_by(|a, b| (&a.starts_at, &a.fingerprint).cmp(&(&b.starts_at, &b.fingerprint)));
        Json::Array(
            matching
                .into_iter()
                .map(|a| json!({"labels": a.labels, "annotations": a.annotations, "startsAt": a.starts_at}))
                .collect(),
        )
    }
}

/// Takes one notification in: firing alerts are kept, resolved ones dropped.
fn apply(firing: &Firing, notification: Notification) {
    let mut firing = firing.lock().unwrap_or_else(|e| e.into_inner());
    for alert in notification.alerts {
        // Alertmanager always sends a fingerprint; the labels identify an alert otherwise.
        let key = if alert.fingerprint.is_empty() {
            format!("{:?}", alert.labels)
        } else {
            alert.fingerprint.clone()
        };
        if alert.status == "resolved" {
            firing.remove(&key);
        } else {
            firing.insert(key, alert);
        }
    }
}

async fn serve(mut stream: TcpStream, firing: &Firing) {
    let (status, why) = match read_request(&mut stream).await {
        Ok(body) => match serde_json::from_slice::<Notification>(&body) {
            Ok(n) => {
                apply(firing, n);
                ("200 OK", String::new())
            }
            Err(e) => (
                "400 Bad Request",
                format!("not an Alertmanager webhook: {e}\n"),
            ),
        },
        Err((status, why)) => (status, format!("{why}\n")),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{why}",
        why.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

type Refusal = (&'static str, &'static str);

/// Reads a POST request and returns its body.
async fn read_request(stream: &mut TcpStream) -> Result<Vec<u8>, Refusal> {
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > HEAD_CAP {
            return Err(("431 Request Header Fields Too Large", "headers too large"));
        }
        let mut chunk = [0u8; 4096];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| ("400 Bad Request", "read failed"))?;
        if n == 0 {
            return Err(("400 Bad Request", "incomplete request"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head =
        std::str::from_utf8(&buf[..head_end]).map_err(|_| ("400 Bad Request", "bad head"))?;
    let mut lines = head.split("\r\n");
    let method = lines.next().and_then(|l| l.split(' ').next()).unwrap_or("");
    if method != "POST" {
        return Err(("405 Method Not Allowed", "POST the webhook here"));
    }
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let length = length.ok_or(("411 Length Required", "a Content-Length is required"))?;
    if length > BODY_CAP {
        return Err(("413 Content Too Large", "the body is larger than 1 MiB"));
    }
    let mut body = buf.split_off(head_end);
    while body.len() < length {
        let mut chunk = vec![0u8; (length - body.len()).min(64 * 1024)];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| ("400 Bad Request", "read failed"))?;
        if n == 0 {
            return Err((
                "400 Bad Request",
                "the body is shorter than its Content-Length",
            ));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(body)
}

/// The receivers a watch listens with, one per port (triggers may share one).
#[derive(Debug, Default)]
pub struct Receivers {
    by_port: HashMap<u16, Result<Receiver, String>>,
}

impl Receivers {
    /// Starts one receiver per port; a port that cannot be listened on is remembered as
    /// the error its triggers' samples will be.
    pub async fn start(ports: impl IntoIterator<Item = u16>) -> Receivers {
        let mut by_port = HashMap::new();
        for port in ports {
            if let std::collections::hash_map::Entry::Vacant(e) = by_port.entry(port) {
                e.insert(Receiver::start(port).await);
            }
        }
        Receivers { by_port }
    }

    /// The sample for a trigger listening on `port` for `labels`.
    pub fn sample(&self, port: u16, labels: &[(String, String)]) -> Result<Json, String> {
        match self.by_port.get(&port) {
            Some(Ok(r)) => Ok(r.firing(labels)),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("no webhook receiver was started on port {port}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(alerts: Json) -> Notification {
        serde_json::from_value(json!({ "alerts": alerts })).unwrap()
    }

    #[test]
    fn firing_alerts_are_kept_and_resolved_ones_dropped() {
        let firing = Firing::default();
        apply(
            &firing,
            note(json!([
                {"status": "firing", "labels": {"alertname": "Waf", "category": "security"}, "fingerprint": "a"},
                {"status": "firing", "labels": {"alertname": "Disk"}, "fingerprint": "b"},
            ])),
        );
        assert_eq!(firing.lock().unwrap().len(), 2);
        apply(
            &firing,
            note(
                json!([{"status": "resolved", "labels": {"alertname": "Waf"}, "fingerprint": "a"}]),
            ),
        );
        let left: Vec<String> = firing.lock().unwrap().keys().cloned().collect();
        assert_eq!(left, vec!["b".to_string()]);
    }
}

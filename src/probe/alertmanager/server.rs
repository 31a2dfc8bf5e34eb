//! The receiver's server, a minimal HTTP/1.1 one on tokio's listener: one request per
//! connection, at most `Bounds::connections` at once (others get a 503 unread), each within
//! `Bounds::deadline`, TLS when set. An accept() that fails for want of file descriptors is
//! retried after a pause, never in a busy loop.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::Bounds;
use super::request::{self, Head, Key, Notification, Refusal, TOO_LARGE};
use super::store::Store;

/// What every connection of a receiver shares.
pub(super) struct Shared {
    pub key: Key,
    pub store: Mutex<Store>,
    pub bounds: Bounds,
    pub tls: Option<TlsAcceptor>,
}

/// The answer to a connection over the limit, written without reading anything.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

const INCOMPLETE: Refusal = Refusal {
    status: "400 Bad Request",
    why: "the request ended early",
};

/// How long to wait after accept() failed. Out of file descriptors or memory, the next
/// accept() fails the same way at once: wait for some to be freed. Other errors concern
/// one connection; a short pause still keeps an unexpected one from spinning.
pub(super) fn pause(e: &io::Error) -> Duration {
    use nix::libc::{EMFILE, ENFILE, ENOBUFS, ENOMEM};
    match e.raw_os_error() {
        Some(EMFILE | ENFILE | ENOBUFS | ENOMEM) => Duration::from_millis(100),
        _ => Duration::from_millis(5),
    }
}

/// Accepts connections until the task is aborted, which ends the connections too.
pub(super) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let permits = Arc::new(Semaphore::new(shared.bounds.connections));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let shared = shared.clone();
                        connections.spawn(async move {
                            let deadline = shared.bounds.deadline;
                            let _ = tokio::time::timeout(deadline, connection(stream, &shared)).await;
                            drop(permit);
                        });
                    }
                    Err(_) => {
                        if shared.tls.is_none() {
                            let _ = stream.try_write(BUSY);
                        }
                    }
                },
                Err(e) => tokio::time::sleep(pause(&e)).await,
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

async fn connection(stream: TcpStream, shared: &Shared) {
    match &shared.tls {
        Some(tls) => {
            if let Ok(stream) = tls.accept(stream).await {
                exchange(stream, shared).await;
            }
        }
        None => exchange(stream, shared).await,
    }
}

/// Reads one request, takes its alerts in, answers.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, shared: &Shared) {
    let answer = read(&mut stream, shared).await;
    let now = chrono::Utc::now();
    let store = || shared.store.lock().unwrap_or_else(|e| e.into_inner());
    let (status, why) = match answer {
        Ok(n) => {
            store().apply(n, now);
            ("200 OK", "")
        }
        Err(r) => {
            // Refused after its token was checked: the alerts not taken may be the ones
            // that matter.
            if r == TOO_LARGE {
                store().refused(now);
            }
            (r.status, r.why)
        }
    };
    respond(stream, status, why).await;
}

async fn respond<S: AsyncWrite + Unpin>(mut stream: S, status: &str, why: &str) {
    let challenge = if status.starts_with("401") {
        "WWW-Authenticate: Bearer\r\n"
    } else {
        ""
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{challenge}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{why}\n",
        why.len() + 1
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads the head until it decides, then (only for an authorised request) the body.
async fn read<S: AsyncRead + Unpin>(
    stream: &mut S,
    shared: &Shared,
) -> Result<Notification, Refusal> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (start, length) = loop {
        if let Head::Body { start, length } = request::head(&buf, &shared.key, shared.bounds.body)?
        {
            break (start, length);
        }
        let n = stream.read(&mut chunk).await.map_err(|_| INCOMPLETE)?;
        if n == 0 {
            return Err(INCOMPLETE);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut body = buf.split_off(start);
    body.truncate(length);
    body.reserve_exact(length - body.len());
    let left = (length - body.len()) as u64;
    (&mut *stream)
        .take(left)
        .read_to_end(&mut body)
        .await
        .map_err(|_| INCOMPLETE)?;
    if body.len() < length {
        return Err(INCOMPLETE);
    }
    request::notification(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_descriptors_pauses_the_accept_loop() {
        for errno in [nix::libc::EMFILE, nix::libc::ENFILE] {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(pause(&e), Duration::from_millis(100), "{e}");
        }
        let aborted = io::Error::from_raw_os_error(nix::libc::ECONNABORTED);
        assert!(pause(&aborted) > Duration::ZERO, "never a busy loop");
        assert!(pause(&aborted) < Duration::from_millis(100));
    }
}

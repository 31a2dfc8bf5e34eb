//! The receiver's server, a minimal HTTP/1.1 one on tokio's listener: one request per
//! connection, in one of `Bounds::connections` places (`places`). From its accept a
//! connection has `Bounds::head` for its TLS handshake and a head with the token, which is
//! all a stranger can hold a place for, then until `Bounds::deadline` for its body. Each
//! request not taken is counted (`refusals`). An accept() that fails for want of file
//! descriptors is retried after a pause, never in a busy loop.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsAcceptor;

use super::Bounds;
use super::places::{Place, Places};
use super::refusals::{Dropped, Refusals};
use super::request::{self, HEAD_CAP, HEAD_PIECES, Key, Refusal, Scan, TOO_LARGE};
use super::store::Store;

/// What every connection of a receiver shares.
pub(super) struct Shared {
    pub key: Key,
    pub store: Mutex<Store>,
    pub refusals: Mutex<Refusals>,
    pub bounds: Bounds,
    pub tls: Option<TlsAcceptor>,
}

impl Shared {
    fn refused(&self, why: Dropped) {
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        refusals.record(why, std::time::Instant::now());
    }
}

/// The answer to a connection refused for want of a place, written without reading anything.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

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
    let places = Places::new(shared.bounds.connections);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => admit(stream, &places, &shared, &mut connections),
                Err(e) => tokio::time::sleep(pause(&e)).await,
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// Gives a new connection a place, or refuses it, and serves it.
fn admit(
    stream: TcpStream,
    places: &Arc<Places>,
    shared: &Arc<Shared>,
    connections: &mut JoinSet<()>,
) {
    let accepted = Instant::now();
    let Some((mut place, evicted)) = places.admit() else {
        if shared.tls.is_none() {
            let _ = stream.try_write(BUSY);
        }
        return shared.refused(Dropped::Busy);
    };
    if evicted {
        shared.refused(Dropped::Evicted);
    }
    let id = place.id();
    let shared = shared.clone();
    let task = connections.spawn(async move {
        if let Some(why) = connection(stream, &mut place, &shared, accepted).await {
            shared.refused(why);
        }
    });
    places.ends_with(id, task);
}

/// Serves one connection: `None` once its request was taken (or it sent nothing at all),
/// else why not.
async fn connection(
    stream: TcpStream,
    place: &mut Place,
    shared: &Shared,
    accepted: Instant,
) -> Option<Dropped> {
    let Some(tls) = &shared.tls else {
        return exchange(stream, place, shared, accepted).await;
    };
    match timeout_at(accepted + shared.bounds.head, tls.accept(stream)).await {
        Ok(Ok(stream)) => exchange(stream, place, shared, accepted).await,
        Ok(Err(_)) => Some(Dropped::Tls),
        Err(_) => Some(Dropped::SlowHead),
    }
}

/// Why a read did not give a head or a body.
enum Failed {
    Refused(Refusal),
    /// The peer closed, or the connection failed; `sent`: after some of its request.
    Ended {
        sent: bool,
    },
}

/// Reads one request, takes its alerts in, answers.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    place: &mut Place,
    shared: &Shared,
    accepted: Instant,
) -> Option<Dropped> {
    let bounds = &shared.bounds;
    let by = accepted + bounds.deadline;
    let refused = |r: Refusal| {
        if r == TOO_LARGE {
            // Refused after its token was checked: the alerts not taken may be the ones that
            // matter.
            let mut store = shared.store.lock().unwrap_or_else(|e| e.into_inner());
            store.refused(chrono::Utc::now());
        }
        Some(Dropped::Answered(r.status))
    };
    // A stranger holds its place no longer than this, its answer included.
    let head_by = accepted + bounds.head;
    let (buf, start, length) =
        match timeout_at(head_by, head(&mut stream, &shared.key, bounds.body)).await {
            Ok(Ok(head)) => head,
            Ok(Err(Failed::Refused(r))) => {
                respond(stream, r.status, r.why, head_by).await;
                return refused(r);
            }
            Ok(Err(Failed::Ended { sent })) => return sent.then_some(Dropped::Cut),
            Err(_) => return Some(Dropped::SlowHead),
        };
    if !place.trust() {
        // Its place was given to a newer connection just now; that was counted.
        return None;
    }
    let body = match timeout_at(by, body(&mut stream, buf, start, length)).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return Some(Dropped::Cut),
        Err(_) => return Some(Dropped::SlowBody),
    };
    match request::notification(&body) {
        Ok(n) => {
            let now = chrono::Utc::now();
            shared
                .store
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .apply(n, now);
            respond(stream, "200 OK", "", by).await;
            None
        }
        Err(r) => {
            respond(stream, r.status, r.why, by).await;
            refused(r)
        }
    }
}

async fn respond<S: AsyncWrite + Unpin>(mut stream: S, status: &str, why: &str, by: Instant) {
    let challenge = if status.starts_with("401") {
        "WWW-Authenticate: Bearer\r\n"
    } else {
        ""
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{challenge}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{why}\n",
        why.len() + 1
    );
    let _ = timeout_at(by, async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Reads a head until it decides: the bytes read, where the body starts in them, and its
/// length. Each piece is looked at once, and a head in too many pieces is refused.
async fn head<S: AsyncRead + Unpin>(
    stream: &mut S,
    key: &Key,
    cap: usize,
) -> Result<(Vec<u8>, usize, usize), Failed> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut scan = Scan::default();
    for _ in 0..HEAD_PIECES {
        let n = match stream.read(&mut chunk).await {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(Failed::Ended {
                    sent: !buf.is_empty(),
                });
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = scan.end(&buf) {
            let (start, length) = request::judge(&buf[..end], key, cap).map_err(Failed::Refused)?;
            return Ok((buf, start, length));
        }
        if buf.len() > HEAD_CAP {
            return Err(Failed::Refused(request::TOO_LONG));
        }
    }
    Err(Failed::Refused(request::TOO_MANY_PIECES))
}

/// Reads the rest of a body of `length` bytes from `start` in `buf`.
async fn body<S: AsyncRead + Unpin>(
    stream: &mut S,
    mut buf: Vec<u8>,
    start: usize,
    length: usize,
) -> io::Result<Vec<u8>> {
    let mut body = buf.split_off(start);
    body.truncate(length);
    body.reserve_exact(length - body.len());
    let left = (length - body.len()) as u64;
    stream.take(left).read_to_end(&mut body).await?;
    if body.len() < length {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(body)
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

//! Reading a webhook request, with no I/O so a fuzzer can drive it (fuzz/fuzz_targets/
//! alertmanager_request.rs). The head decides everything before a byte of the body is read:
//! who sends it (the bearer token), what (a POST) and how much (a `Content-Length` under the
//! cap). Only then is the body read and parsed as Alertmanager's JSON.

use std::collections::BTreeMap;

use httparse::{EMPTY_HEADER, Request, Status};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Webhook bodies larger than this are refused (Alertmanager's groups are far smaller; its
/// `max_alerts` keeps a large group under it).
pub const BODY_CAP: usize = 1024 * 1024;
/// A head larger than this is refused.
pub const HEAD_CAP: usize = 16 * 1024;
/// More headers than this are refused (Alertmanager sends six).
const HEADERS: usize = 32;

/// Why a request is refused: its status line and one line for the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub status: &'static str,
    pub why: &'static str,
}

const fn refuse(status: &'static str, why: &'static str) -> Refusal {
    Refusal { status, why }
}

pub const UNAUTHORIZED: Refusal = refuse(
    "401 Unauthorized",
    "send the bearer token: Authorization: Bearer TOKEN",
);

/// Refused after the token was checked: the sender holds it, and its alerts were not taken.
pub const TOO_LARGE: Refusal = refuse(
    "413 Content Too Large",
    "the body is larger than the receiver takes: set max_alerts",
);

/// The token a request must carry, kept as its SHA-256 digest: digests of equal length,
/// compared in constant time, tell a peer neither the token's bytes nor its length.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl Key {
    pub fn new(token: &str) -> Key {
        Key(Sha256::digest(token.as_bytes()).into())
    }

    /// Whether an `Authorization` value is `Bearer TOKEN` (the scheme in any case).
    pub fn admits(&self, value: &[u8]) -> bool {
        let value = value.trim_ascii();
        let Some(space) = value.iter().position(|b| *b == b' ' || *b == b'\t') else {
            return false;
        };
        if !value[..space].eq_ignore_ascii_case(b"bearer") {
            return false;
        }
        let digest: [u8; 32] = Sha256::digest(value[space..].trim_ascii()).into();
        digest.ct_eq(&self.0).into()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(***)")
    }
}

/// What the head of a request says so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// The head is not complete: read more.
    Partial,
    /// A body of `length` bytes follows, from `start`.
    Body { start: usize, length: usize },
}

/// Reads the head in `bytes` (what arrived so far): a request that is not an authorised POST
/// with a `Content-Length` of at most `cap` is refused, the token checked first.
pub fn head(bytes: &[u8], key: &Key, cap: usize) -> Result<Head, Refusal> {
    match Scan::default().end(bytes) {
        Some(end) => {
            judge(&bytes[..end], key, cap).map(|(start, length)| Head::Body { start, length })
        }
        None if bytes.len() > HEAD_CAP => Err(TOO_LONG),
        None => Ok(Head::Partial),
    }
}

pub const TOO_LONG: Refusal = refuse(
    "431 Request Header Fields Too Large",
    "the head is too large",
);

/// A head that came in more pieces than this is refused: each read costs, and one byte at a
/// time a stranger could make many. Alertmanager sends its head in one or two.
pub const HEAD_PIECES: usize = 64;

pub const TOO_MANY_PIECES: Refusal = refuse("400 Bad Request", "the head came in too many pieces");

/// Looks for the blank line that ends a head as its bytes come, each byte looked at about
/// once however they are split: a peer sending one at a time costs no more than one
/// sending all.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scan {
    from: usize,
}

impl Scan {
    /// Where the head in `bytes` ends (just past its blank line), once it does. `bytes`
    /// only grows between calls.
    pub fn end(&mut self, bytes: &[u8]) -> Option<usize> {
        let from = self.from.min(bytes.len());
        for i in memchr::memchr_iter(b'\n', &bytes[from..]).map(|i| from + i) {
            match &bytes[i + 1..] {
                [b'\n', ..] => return Some(i + 2),
                [b'\r', b'\n', ..] => return Some(i + 3),
                _ => {}
            }
        }
        // A newline in the last two bytes may end the head once more come.
        self.from = bytes.len().saturating_sub(2);
        None
    }
}

/// Decides on a whole head, `bytes` up to its blank line: where the body starts, and its
/// length.
pub fn judge(bytes: &[u8], key: &Key, cap: usize) -> Result<(usize, usize), Refusal> {
    let mut headers = [EMPTY_HEADER; HEADERS];
    let mut req = Request::new(&mut headers);
    let start = match req.parse(bytes) {
        Ok(Status::Complete(n)) if n > HEAD_CAP => return Err(TOO_LONG),
        Ok(Status::Complete(n)) => n,
        Err(httparse::Error::TooManyHeaders) => return Err(TOO_LONG),
        Ok(Status::Partial) | Err(_) => {
            return Err(refuse("400 Bad Request", "not an HTTP/1.1 request"));
        }
    };
    let named = |name: &'static str| {
        req.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let mut auth = named("authorization");
    let admitted = match (auth.next(), auth.next()) {
        (Some(value), None) => key.admits(value),
        _ => false,
    };
    if !admitted {
        return Err(UNAUTHORIZED);
    }
    if req.method != Some("POST") {
        return Err(refuse("405 Method Not Allowed", "POST the webhook here"));
    }
    if named("transfer-encoding").next().is_some() {
        return Err(refuse(
            "411 Length Required",
            "send a Content-Length, not chunks",
        ));
    }
    let mut length = None;
    for value in named("content-length") {
        let n = std::str::from_utf8(value.trim_ascii())
            .ok()
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<usize>().ok());
        match (n, length) {
            (None, _) => return Err(refuse("400 Bad Request", "a bad Content-Length")),
            (Some(n), Some(m)) if n != m => {
                return Err(refuse("400 Bad Request", "two Content-Lengths"));
            }
            (Some(n), _) => length = Some(n),
        }
    }
    let Some(length) = length else {
        return Err(refuse(
            "411 Length Required",
            "a Content-Length is required",
        ));
    };
    if length > cap {
        return Err(TOO_LARGE);
    }
    Ok((start, length))
}

/// One alert as the webhook sends it (fields not listed are ignored).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
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
    /// Alertmanager sends Go's zero time (year 1) while an alert fires.
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub fingerprint: String,
}

/// A webhook body: its alerts, how many more the group had that Alertmanager left out (its
/// `max_alerts`), and the labels the group shares.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub alerts: Vec<Alert>,
    #[serde(default)]
    pub truncated_alerts: u64,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
}

/// Parses a webhook body.
pub fn notification(body: &[u8]) -> Result<Notification, Refusal> {
    serde_json::from_slice(body)
        .map_err(|_| refuse("400 Bad Request", "not an Alertmanager webhook"))
}

/// A whole request at once: `None` while more bytes are needed. Bytes after the body are
/// ignored (one request per connection).
pub fn request(bytes: &[u8], key: &Key, cap: usize) -> Result<Option<Notification>, Refusal> {
    match head(bytes, key, cap)? {
        Head::Partial => Ok(None),
        Head::Body { start, length } => match bytes.get(start..start + length) {
            Some(body) => notification(body).map(Some),
            None => Ok(None),
        },
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;

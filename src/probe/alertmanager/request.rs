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
    let too_large = refuse(
        "431 Request Header Fields Too Large",
        "the head is too large",
    );
    let mut headers = [EMPTY_HEADER; HEADERS];
    let mut req = Request::new(&mut headers);
    let start = match req.parse(bytes) {
        Ok(Status::Partial) if bytes.len() > HEAD_CAP => return Err(too_large),
        Ok(Status::Partial) => return Ok(Head::Partial),
        Ok(Status::Complete(n)) if n > HEAD_CAP => return Err(too_large),
        Ok(Status::Complete(n)) => n,
        Err(httparse::Error::TooManyHeaders) => return Err(too_large),
        Err(_) => return Err(refuse("400 Bad Request", "not an HTTP/1.1 request")),
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
    Ok(Head::Body { start, length })
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
mod tests {
    use super::*;

    const BODY: &str = r#"{"alerts":[{"status":"firing","labels":{"a":"b"}}]}"#;

    fn post(headers: &str, body: &str) -> Vec<u8> {
        format!("POST / HTTP/1.1\r\nHost: x\r\n{headers}\r\n{body}").into_bytes()
    }

    fn with_token(body: &str) -> Vec<u8> {
        post(
            &format!(
                "Authorization: Bearer s3cret\r\nContent-Length: {}\r\n",
                body.len()
            ),
            body,
        )
    }

    #[test]
    fn the_token_is_checked_before_anything_else() {
        let key = Key::new("s3cret");
        for auth in [
            "",
            "Authorization: Bearer wrong\r\n",
            "Authorization: Basic s3cret\r\n",
            "Authorization: Bearer s3cret2\r\n",
            "Authorization: s3cret\r\n",
            "Authorization: Bearer s3cret\r\nAuthorization: Bearer s3cret\r\n",
        ] {
            // A length far over the cap: the token is refused first, with no body read.
            let req = post(&format!("{auth}Content-Length: 99999999999\r\n"), "");
            assert_eq!(head(&req, &key, BODY_CAP), Err(UNAUTHORIZED), "{auth:?}");
        }
        let get = b"GET / HTTP/1.1\r\n\r\n";
        assert_eq!(head(get, &key, BODY_CAP), Err(UNAUTHORIZED));
        for ok in ["Bearer s3cret", "bearer  s3cret ", "BEARER\ts3cret"] {
            assert!(key.admits(ok.as_bytes()), "{ok}");
        }
    }

    #[test]
    fn an_authorised_request_is_read_in_pieces() {
        let key = Key::new("s3cret");
        let req = with_token(BODY);
        let body_at = req.len() - BODY.len();
        assert_eq!(request(&req[..10], &key, BODY_CAP), Ok(None));
        assert_eq!(
            head(&req[..body_at], &key, BODY_CAP),
            Ok(Head::Body {
                start: body_at,
                length: BODY.len()
            })
        );
        assert_eq!(request(&req[..req.len() - 1], &key, BODY_CAP), Ok(None));
        let n = request(&req, &key, BODY_CAP).unwrap().unwrap();
        assert_eq!(n.alerts[0].labels["a"], "b");
        assert_eq!(n.truncated_alerts, 0);
    }

    #[test]
    fn what_is_not_a_webhook_is_refused() {
        let key = Key::new("s3cret");
        let auth = "Authorization: Bearer s3cret\r\n";
        let status = |req: Vec<u8>| {
            request(&req, &key, 100)
                .map(|_| "ok")
                .unwrap_or_else(|r| r.status)
        };
        assert_eq!(status(with_token("hello")), "400 Bad Request");
        assert_eq!(
            status(with_token(&"x".repeat(101))),
            "413 Content Too Large"
        );
        assert!(
            status(post(&format!("{auth}Transfer-Encoding: chunked\r\n"), "")).starts_with("411")
        );
        assert!(status(post(auth, "")).starts_with("411"));
        for cl in ["+5", "-1", "5 5", "0x5", ""] {
            let req = post(&format!("{auth}Content-Length: {cl}\r\n"), "hello");
            assert_eq!(status(req), "400 Bad Request", "{cl:?}");
        }
        let two = post(
            &format!("{auth}Content-Length: 2\r\nContent-Length: 3\r\n"),
            "{}x",
        );
        assert_eq!(status(two), "400 Bad Request");
        let put = format!("PUT / HTTP/1.1\r\n{auth}Content-Length: 2\r\n\r\n{{}}");
        assert!(status(put.into_bytes()).starts_with("405"));
        let many: String = (0..HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        assert!(status(post(&format!("{auth}{many}"), "")).starts_with("431"));
        assert!(status(vec![b'a'; HEAD_CAP + 1]).starts_with("431"));
        let endless = format!("POST / HTTP/1.1\r\nX: {}", "y".repeat(HEAD_CAP));
        assert!(status(endless.into_bytes()).starts_with("431"));
    }
}

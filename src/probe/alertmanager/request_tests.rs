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
    assert!(status(post(&format!("{auth}Transfer-Encoding: chunked\r\n"), "")).starts_with("411"));
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

#[test]
fn the_end_of_a_head_is_found_however_its_bytes_are_split() {
    for (req, body) in [
        (with_token(BODY), BODY.len()),
        (b"POST / HTTP/1.1\nA: b\n\n{}".to_vec(), 2),
        (b"POST / HTTP/1.1\r\nA: b\n\r\n{}".to_vec(), 2),
    ] {
        let whole = Scan::default().end(&req);
        assert_eq!(whole, Some(req.len() - body), "{req:?}");
        // One byte at a time, and in every two pieces.
        let mut scan = Scan::default();
        let one = (1..=req.len()).find_map(|n| scan.end(&req[..n]));
        assert_eq!(one, whole, "{req:?}");
        for cut in 0..req.len() {
            let mut scan = Scan::default();
            let found = scan.end(&req[..cut]).or_else(|| scan.end(&req));
            assert_eq!(found, whole, "cut at {cut}");
        }
    }
    let mut scan = Scan::default();
    assert_eq!(scan.end(b"POST / HTTP/1.1\r\nA: b\r\n"), None);
    assert_eq!(scan.end(b"POST / HTTP/1.1\r\nA: b\r\n\r"), None);
    let whole = b"POST / HTTP/1.1\r\nA: b\r\n\r\n";
    assert_eq!(scan.end(whole), Some(whole.len()));
}

//! Any bytes as a webhook request to the Alertmanager receiver: no panic, nothing read past
//! the cap, and nothing taken in without the token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollback::probe::alertmanager::request::{BODY_CAP, Head, Key, head, request};

const TOKEN: &str = "fuzz-token";

fuzz_target!(|data: &[u8]| {
    let key = Key::new(TOKEN);
    // As they come: the head decides, with or without a token among the bytes.
    if let Ok(Head::Body { start, length }) = head(data, &key, BODY_CAP) {
        assert!(length <= BODY_CAP && start <= data.len());
        assert!(
            data.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "a request without the token got past the head"
        );
    }
    let _ = request(data, &key, BODY_CAP);
    // As a body behind a valid head, so the JSON parser sees them too.
    let mut framed = format!(
        "POST / HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n",
        data.len()
    )
    .into_bytes();
    framed.extend_from_slice(data);
    match request(&framed, &key, BODY_CAP) {
        Ok(None) => panic!("a whole request read as incomplete"),
        Ok(Some(_)) | Err(_) => {}
    }
});

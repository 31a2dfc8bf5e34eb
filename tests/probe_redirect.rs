//! An HTTP probe never carries the plan's headers to another origin: against two real
//! loopback servers, a redirect from one to the other is not followed (an error sample
//! saying where it leads), while a redirect within the origin is, headers and all.

mod common;

use std::time::Duration;

use common::http::{Reply, Scripted};
use rollback::monitor::spec::HttpSpec;
use rollback::monitor::{Outcome, Spec};
use rollback::plan::status::Statuses;
use rollback::plan::trigger::{HttpMethod, HttpValue};
use rollback::probe::http;
use serde_json::json;

const SHORT: Duration = Duration::from_secs(5);

/// B answers anything, and keeps what it saw.
fn origin_b() -> Scripted {
    Scripted::start(|_| Reply::new(200, r#"{"ratio": 0.1}"#))
}

/// A redirects `/to-b` to B, `/here` to its own `/data`, which wants the token.
fn origin_a(b_port: u16) -> Scripted {
    Scripted::start(move |r| match r.path() {
        "/to-b" => Reply::redirect(302, &format!("http://127.0.0.1:{b_port}/data?k=v")),
        "/to-b-relative" => Reply::redirect(307, &format!("//127.0.0.1:{b_port}/data")),
        "/here" => Reply::redirect(301, "data?page=1"),
        "/post-303" => Reply::redirect(303, "/data"),
        "/post-307" => Reply::redirect(307, "/echo"),
        "/echo" if r.method == "POST" => Reply::new(200, &r.body),
        "/nowhere" => Reply::new(302, ""),
        "/data" if r.header("authorization") == Some("Bearer s3cret") => {
            Reply::new(200, r#"{"ratio": 0.1}"#)
        }
        "/data" => Reply::new(401, "{}"),
        _ => Reply::new(404, "{}"),
    })
}

fn spec(url: String, value: HttpValue) -> HttpSpec {
    HttpSpec {
        url,
        method: HttpMethod::Get,
        headers: vec![
            ("Authorization".into(), "Bearer s3cret".into()),
            ("X-Api-Key".into(), "k3y".into()),
        ],
        body: None,
        status: Statuses::default(),
        jsonpath: None,
        value,
    }
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_an_error_and_the_headers_never_reach_it() {
    let b = origin_b();
    let a = origin_a(b.port);
    for (path, value) in [
        ("/to-b?token=qs3cret", HttpValue::Body),
        ("/to-b-relative", HttpValue::Body),
        ("/to-b", HttpValue::Status),
    ] {
        let err = http::run(spec(a.url(path), value), SHORT, &Default::default())
            .await
            .unwrap_err();
        let b_url = format!("http://127.0.0.1:{}/data", b.port);
        assert!(
            err.contains(&b_url) && err.contains("another origin: not followed"),
            "{path}: {err}"
        );
        assert!(
            !err.contains("qs3cret") && !err.contains("k=v"),
            "no query in the message: {err}"
        );
    }
    assert!(
        b.seen().is_empty(),
        "the other origin saw requests: {:?}",
        b.seen()
    );
    // As a trigger sees it: an error sample, never a value the condition could pass.
    let trigger = format!(
        "{}triggers:\n  - name: t\n    http: {{url: '{}', headers: {{Authorization: 'Bearer s3cret'}}}}\n    condition: result.ratio > 0.5\n",
        include_str!("plans/base.yaml")
            .split("triggers:")
            .next()
            .unwrap(),
        a.url("/to-b")
    );
    let loaded = rollback::plan::load::load_bytes("p.yaml", trigger.into_bytes()).unwrap();
    let spec = Spec::resolve(&loaded.plan.triggers[0]).unwrap();
    let answer = rollback::probe::sample(&spec.probe, SHORT, &Default::default()).await;
    let sample = spec.judge(Duration::ZERO, answer);
    assert_eq!(sample.outcome, Outcome::Error, "{sample:?}");
    assert!(b.seen().is_empty());
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_the_headers() {
    let b = origin_b();
    let a = origin_a(b.port);
    let got = http::run(
        spec(a.url("/here"), HttpValue::Body),
        SHORT,
        &Default::default(),
    )
    .await;
    assert_eq!(got, Ok(json!({"ratio": 0.1})));
    let seen = a.seen();
    let last = seen.last().unwrap();
    assert_eq!(last.target, "/data?page=1");
    assert_eq!(last.header("authorization"), Some("Bearer s3cret"));
    assert_eq!(last.header("x-api-key"), Some("k3y"));
    assert!(b.seen().is_empty());
}

#[tokio::test]
async fn a_post_is_asked_again_as_a_get_after_303_and_as_a_post_after_307() {
    let b = origin_b();
    let a = origin_a(b.port);
    let post = |path: &str| HttpSpec {
        method: HttpMethod::Post,
        body: Some(r#"{"ratio": 0.7}"#.into()),
        ..spec(a.url(path), HttpValue::Body)
    };
    assert_eq!(
        http::run(post("/post-303"), SHORT, &Default::default()).await,
        Ok(json!({"ratio": 0.1}))
    );
    let seen = a.seen();
    let last = seen.last().unwrap();
    assert_eq!((last.method.as_str(), last.body.as_str()), ("GET", ""));
    assert_eq!(
        http::run(post("/post-307"), SHORT, &Default::default()).await,
        Ok(json!({"ratio": 0.7}))
    );
    let err = http::run(
        spec(a.url("/nowhere"), HttpValue::Body),
        SHORT,
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("HTTP 302 without a Location"), "{err}");
}

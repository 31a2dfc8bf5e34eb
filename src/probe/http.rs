//! The HTTP probe, on `ureq` (blocking, small, rustls without OpenSSL) in a blocking task.
//! A timeout, a refused connection, a redirect loop or to another origin, a status outside
//! the expected ones, an empty body, a body that is not JSON or a JSONPath that matches
//! nothing are all errors. The request has a global deadline, and the caller stops waiting
//! shortly after it whatever the thread does.

use std::time::{Duration, Instant};

use serde_json::Value as Json;
use ureq::Agent;

use super::origin::{follow, shown};
use crate::mask::Mask;
use crate::monitor::spec::HttpSpec;
use crate::plan::trigger::{HttpMethod, HttpValue};

/// Bodies larger than this are refused rather than read.
pub const BODY_CAP: u64 = 4 * 1024 * 1024;
/// Redirects followed before the answer counts as a loop.
const MAX_REDIRECTS: u32 = 5;
/// How long after the request's own deadline the caller gives up on the thread.
const SLACK: Duration = Duration::from_millis(500);

/// The status and body of one answer, for probes that read them differently.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends the request and reads the answer, both within `timeout`. Redirects are followed
/// only within the URL's origin, headers and all; one to another origin is an error.
/// `mask`: the run's secrets, masked in a URL before it is shortened for a message, so no
/// part of one is ever shown.
pub async fn fetch(
    method: HttpMethod,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    timeout: Duration,
    mask: &Mask,
) -> Result<Answer, String> {
    let url_shown = shown(&mask.text(&url));
    let mask = mask.clone();
    let task =
        tokio::task::spawn_blocking(move || blocking(method, url, &headers, body, timeout, &mask));
    match tokio::time::timeout(timeout + SLACK, task).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => Err(format!("the request to {url_shown} failed: {e}")),
        Err(_) => Err(late(&url_shown, timeout)),
    }
}

fn late(url_shown: &str, timeout: Duration) -> String {
    format!(
        "{url_shown} did not answer within {}",
        crate::plan::duration::format(timeout)
    )
}

/// One agent for every probe: its connection pool and TLS configuration (root certificates
/// parsed once) are shared; each request carries its own deadline. It follows no redirect
/// itself: `blocking` decides which to follow.
fn agent() -> &'static Agent {
    static AGENT: std::sync::LazyLock<Agent> = std::sync::LazyLock::new(|| {
        Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("rollback/", env!("CARGO_PKG_VERSION")))
            .build()
            .into()
    });
    &AGENT
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

fn blocking(
    mut method: HttpMethod,
    mut url: String,
    headers: &[(String, String)],
    mut body: Option<String>,
    timeout: Duration,
    mask: &Mask,
) -> Result<Answer, String> {
    let deadline = Instant::now() + timeout;
    let first = shown(&mask.text(&url));
    let mut redirects = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(late(&first, timeout));
        }
        let mut response = send(method, &url, headers, body.clone(), left)
            .map_err(|e| describe(&mask.text(&url), timeout, e))?;
        let status = response.status().as_u16();
        if !is_redirect(status) {
            let body = response
                .body_mut()
                .with_config()
                .limit(BODY_CAP)
                .read_to_string()
                .map_err(|e| describe(&mask.text(&url), timeout, e))?;
            return Ok(Answer { status, body });
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| {
                format!(
                    "{} answered HTTP {status} without a Location it can follow",
                    shown(&mask.text(&url))
                )
            })?;
        let next = follow(&url, location).map_err(|e| mask.text(&e).into_owned())?;
        if redirects == MAX_REDIRECTS {
            return Err(format!(
                "{first} redirects more than {MAX_REDIRECTS} times (a redirect loop?)"
            ));
        }
        redirects += 1;
        // As browsers do: 303 (and 301/302 after a POST) asks again with GET, no body.
        if status == 303 || (status != 307 && status != 308 && method == HttpMethod::Post) {
            method = HttpMethod::Get;
            body = None;
        }
        url = next;
    }
}

fn send(
    method: HttpMethod,
    url: &str,
    headers: &[(String, String)],
    body: Option<String>,
    left: Duration,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let agent = agent();
    match method {
        HttpMethod::Get => {
            let mut req = agent.get(url);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.config().timeout_global(Some(left)).build().call()
        }
        HttpMethod::Post => {
            let mut req = agent.post(url);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.config()
                .timeout_global(Some(left))
                .build()
                .send(body.unwrap_or_default())
        }
    }
}

/// Why a request failed, naming the URL without its query (where secrets may sit).
fn describe(url: &str, timeout: Duration, e: ureq::Error) -> String {
    let url = shown(url);
    match e {
        ureq::Error::Timeout(_) => late(&url, timeout),
        ureq::Error::BodyExceedsLimit(_) => {
            format!("{url} answered more than {} MiB", BODY_CAP / (1024 * 1024))
        }
        // Its text repeats the whole URL.
        ureq::Error::BadUri(_) => format!("{url} is not a URL the probe can ask"),
        other => format!("{url}: {other}"),
    }
}

/// `${NAME}` in `text` replaced by `lookup(NAME)`: secrets such as tokens reach headers
/// from the environment, never from the plan's text.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + 2 + len];
        let value =
            lookup(name).ok_or_else(|| format!("the environment variable `{name}` is not set"))?;
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The HTTP probe: the status code, or the JSON body (through the JSONPath when given).
/// With `value: status` every status is the answer and the condition judges it; a body is
/// an answer only with an expected status, and an empty one is no data.
pub async fn run(spec: HttpSpec, timeout: Duration, mask: &Mask) -> Result<Json, String> {
    let headers = spec
        .headers
        .iter()
        .map(|(k, v)| {
            expand(v, |name| std::env::var(name).ok())
                .map(|v| (k.clone(), v))
                .map_err(|e| format!("header `{k}`: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let answer = fetch(
        spec.method,
        spec.url.clone(),
        headers,
        spec.body.clone(),
        timeout,
        mask,
    )
    .await?;
    if spec.value == HttpValue::Status {
        return Ok(Json::from(answer.status));
    }
    let url = shown(&mask.text(&spec.url));
    if !spec.status.accepts(answer.status) {
        return Err(format!(
            "{url} answered HTTP {}, expected {}",
            answer.status, spec.status
        ));
    }
    let text = answer.body.trim();
    if text.is_empty() {
        return Err(format!(
            "{url} answered HTTP {} with an empty body: no data",
            answer.status
        ));
    }
    let body: Json = serde_json::from_str(text).map_err(|_| {
        let start: String = mask.text(text).chars().take(60).collect();
        format!("{url} answered `{start}`, which is not JSON")
    })?;
    match &spec.jsonpath {
        None => Ok(body),
        Some(path) => path.select(&body),
    }
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn headers_take_secrets_from_the_environment() {
        let env = |name: &str| (name == "TOKEN").then(|| "s3cret".to_string());
        assert_eq!(expand("Bearer ${TOKEN}", env), Ok("Bearer s3cret".into()));
        assert_eq!(expand("plain", env), Ok("plain".into()));
        assert_eq!(expand("${TOKEN}-${TOKEN}", env), Ok("s3cret-s3cret".into()));
        assert_eq!(expand("$TOKEN {x}", env), Ok("$TOKEN {x}".into()));
        assert!(
            expand("${MISSING}", env)
                .unwrap_err()
                .contains("`MISSING` is not set")
        );
    }
}

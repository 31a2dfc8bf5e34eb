//! The Prometheus probe: one instant query through the HTTP API. A vector becomes a list of
//! `{labels, value}` with the value as a number (the API sends it as text); a scalar
//! becomes a number. A failed query, an answer whose HTTP status is not 2xx (whatever its
//! body says), a range vector or a value that is not a finite number (NaN from 0/0 when
//! there is no traffic) is an error sample. An empty vector is returned as it is: the
//! trigger's judge calls it no data (see `monitor::spec::Reads`).

use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value as Json, json};

use super::http::fetch;
use super::origin::shown;
use crate::plan::trigger::HttpMethod;

/// Runs `query` against the server at `base` (e.g. `http://prometheus:9090`).
/// `mask`: the run's secrets, masked in messages before anything is shortened.
pub async fn query(
    base: &str,
    query: &str,
    timeout: Duration,
    mask: &crate::mask::Mask,
) -> Result<Json, String> {
    let url = format!(
        "{}/api/v1/query?query={}",
        base.trim_end_matches('/'),
        utf8_percent_encode(query, NON_ALPHANUMERIC)
    );
    let answer = fetch(HttpMethod::Get, url, Vec::new(), None, timeout, mask).await?;
    let server = shown(&mask.text(base));
    let body: Json = serde_json::from_str(&answer.body).map_err(|_| {
        format!(
            "{server} answered HTTP {} without the Prometheus API's JSON",
            answer.status
        )
    })?;
    if body["status"] != "success" {
        let why = body["error"].as_str().unwrap_or("no reason given");
        return Err(format!("the query failed (HTTP {}): {why}", answer.status));
    }
    // A proxy or a struggling server may send a good-looking body with a failing status.
    if !(200..300).contains(&answer.status) {
        return Err(format!(
            "{server} answered HTTP {}: an answer counts only with a 2xx status",
            answer.status
        ));
    }
    convert(&body["data"])
}

/// The API's `data` as the condition sees it.
pub fn convert(data: &Json) -> Result<Json, String> {
    let result = &data["result"];
    match data["resultType"].as_str() {
        Some("vector") => {
            let series = result.as_array().ok_or("a vector without a result list")?;
            series
                .iter()
                .map(|s| {
                    Ok(json!({
                        "labels": s["metric"].clone(),
                        "value": number(&s["value"])?,
                    }))
                })
                .collect::<Result<Vec<_>, String>>()
                .map(Json::Array)
        }
        Some("scalar") => number(result),
        Some("string") => Ok(result[1].clone()),
        Some("matrix") => Err(
            "the query returns a range vector: write an instant query (e.g. wrap it in rate() or avg_over_time())"
                .into(),
        ),
        other => Err(format!("unknown result type {other:?}")),
    }
}

/// `[timestamp, "1.5"]` to 1.5.
fn number(pair: &Json) -> Result<Json, String> {
    let text = pair[1].as_str().ok_or("a sample without a value")?;
    let value: f64 = text
        .parse()
        .map_err(|_| format!("the value `{text}` is not a number"))?;
    serde_json::Number::from_f64(value)
        .map(Json::Number)
        .ok_or_else(|| format!("the value is {text}, not a finite number (no data?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_become_labels_and_numbers() {
        let data = json!({"resultType": "vector", "result": [
            {"metric": {"job": "api"}, "value": [1700000000.1, "0.25"]},
        ]});
        assert_eq!(
            convert(&data),
            Ok(json!([{"labels": {"job": "api"}, "value": 0.25}]))
        );
        let data = json!({"resultType": "scalar", "result": [1700000000.1, "3"]});
        assert_eq!(convert(&data), Ok(json!(3.0)));
    }

    #[test]
    fn what_is_not_a_finite_instant_value_is_an_error() {
        let nan = json!({"resultType": "vector", "result": [{"metric": {}, "value": [1, "NaN"]}]});
        assert!(convert(&nan).unwrap_err().contains("not a finite number"));
        let matrix = json!({"resultType": "matrix", "result": []});
        assert!(convert(&matrix).unwrap_err().contains("range vector"));
    }
}

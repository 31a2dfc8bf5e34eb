//! Automatic rollback triggers as plans write them: a probe sampled on an interval and a
//! condition over its result, or `use:` of a trigger from the standard's catalogue.
//! Doc comments here become the schema's descriptions, written for plan authors.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

use super::duration::Dur;
use super::loc::{Entries, Loc};

/// A trigger: when its condition holds on enough samples, the rollback should start.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Identifier, unique in the plan; shown when the trigger fires.
    #[schemars(pattern(super::model::ID_PATTERN))]
    pub name: Loc<String>,
    /// A trigger of the catalogue (`rollback triggers` lists them) whose defaults this one takes.
    #[serde(default, rename = "use")]
    #[schemars(schema_with = "catalogue_names")]
    pub uses: Option<Loc<String>>,
    /// The catalogue trigger's threshold, in its unit: `5%`, `500ms`, or a plain number.
    #[serde(default)]
    pub threshold: Option<Loc<Threshold>>,
    /// Probe: a shell command that prints a number or JSON on stdout.
    #[serde(default)]
    pub command: Option<Loc<String>>,
    /// Probe: an HTTP request.
    #[serde(default)]
    pub http: Option<Loc<HttpProbe>>,
    /// Probe: a Prometheus instant query.
    #[serde(default)]
    pub prometheus: Option<Loc<PrometheusProbe>>,
    /// Probe: alerts that Alertmanager sends to a webhook receiver, with a bearer token.
    #[serde(default)]
    pub alertmanager: Option<Loc<AlertmanagerProbe>>,
    /// A probe that has not answered after this long is an error sample. Default 10s.
    #[serde(default)]
    pub timeout: Option<Loc<Dur>>,
    /// Time between samples. Default 30s.
    #[serde(default)]
    pub interval: Option<Loc<Dur>>,
    /// Samples in the evaluation window (the most recent ones count). Default 5.
    #[serde(default)]
    pub count: Option<Loc<u32>>,
    /// Wait before the first sample (e.g. while a deployment settles). Default none.
    #[serde(default)]
    pub initial_delay: Option<Loc<Dur>>,
    /// CEL expression over `result` (and `threshold`) that is true when the sample is bad,
    /// e.g. `result > 0.05` or `size(result) == 0`.
    #[serde(default)]
    pub condition: Option<Loc<String>>,
    /// CEL expression that is true when the sample cannot tell; a person is asked.
    #[serde(default)]
    pub inconclusive: Option<Loc<String>>,
    /// The trigger fires when more than this many samples of the window are bad. Default 0.
    #[serde(default)]
    pub failure_limit: Option<Loc<u32>>,
    /// More than this many probe errors in a row and the trigger is reported blind. Default 4.
    #[serde(default)]
    pub consecutive_error_limit: Option<Loc<u32>>,
    /// What firing does: critical starts at once, high after a cancel window, medium asks.
    #[serde(default)]
    pub severity: Option<Loc<TriggerSeverity>>,
    /// For a high trigger: how long operators may cancel before the rollback starts. Default 60s.
    #[serde(default)]
    pub cancel_window: Option<Loc<Dur>>,
    /// One line shown when the trigger fires.
    #[serde(default)]
    pub explain: Option<String>,
}

/// How urgent a firing trigger is: `critical` starts the rollback at once, `high` after a
/// visible cancel window, `medium` alerts and asks the operator (never starts on its own).
// No doc comments on the variants: they would turn the schema's `enum` into a `oneOf`,
// whose error messages do not list the allowed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerSeverity {
    Critical,
    High,
    Medium,
}

impl TriggerSeverity {
    pub fn name(self) -> &'static str {
        match self {
            TriggerSeverity::Critical => "critical",
            TriggerSeverity::High => "high",
            TriggerSeverity::Medium => "medium",
        }
    }
}

/// An HTTP request whose answer is the sample.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpProbe {
    /// The URL to request (http or https).
    #[serde(default)]
    pub url: Option<Loc<String>>,
    /// GET (default) or POST.
    #[serde(default)]
    pub method: Option<Loc<HttpMethod>>,
    /// Request headers.
    #[serde(default)]
    pub headers: Entries<String>,
    /// Request body (POST).
    #[serde(default)]
    pub body: Option<String>,
    /// The statuses taken as an answer: a code (`200`), a class (`2xx`) or a list
    /// (`[2xx, 503]`); any other is an error sample. Default: any 2xx.
    #[serde(default)]
    pub status: Option<Loc<super::status::Statuses>>,
    /// JSONPath into the JSON body selecting the value, e.g. `$.data.ratio`.
    #[serde(default)]
    pub jsonpath: Option<Loc<String>>,
    /// `body` (default): the result is the body (as JSON, or a number);
    /// `status`: the result is the status code, whatever it is (the condition judges it).
    #[serde(default)]
    pub value: Option<Loc<HttpValue>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpValue {
    Body,
    Status,
}

/// A Prometheus instant query; the result is a list of `{labels, value}`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrometheusProbe {
    /// The server, e.g. `http://prometheus:9090`.
    #[serde(default)]
    pub url: Option<Loc<String>>,
    /// PromQL. Catalogue triggers bring their own; `${selector}` in it is replaced by `selector`.
    #[serde(default)]
    pub query: Option<Loc<String>>,
    /// Label matchers narrowing a catalogue query to your service, e.g. `job="checkout"`.
    #[serde(default)]
    pub selector: Option<Loc<String>>,
}

/// Firing alerts that match these labels are bad samples.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerProbe {
    /// Port the webhook receiver listens on (127.0.0.1 unless `bind` says otherwise).
    #[serde(default)]
    pub port: Option<Loc<u16>>,
    /// Labels an alert must carry to count, e.g. `{alertname: WafBlockSpike}`.
    #[serde(default)]
    pub labels: Entries<String>,
    /// Required: the plan variable, declared with `secret: true`, holding the bearer token
    /// Alertmanager sends (`http_config: {authorization: {credentials: ...}}`). Requests
    /// without it are refused.
    #[serde(default)]
    pub token: Option<Loc<String>>,
    /// The address to listen on instead of 127.0.0.1, e.g. `0.0.0.0` or `10.0.0.5`.
    #[serde(default)]
    pub bind: Option<Loc<String>>,
    /// Serve HTTPS with this certificate and key.
    #[serde(default)]
    pub tls: Option<Loc<TlsFiles>>,
}

/// A certificate and its private key, PEM files; a relative path is from the plan's directory.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, the server's certificate first.
    #[serde(default)]
    pub cert: Option<Loc<String>>,
    /// The private key.
    #[serde(default)]
    pub key: Option<Loc<String>>,
}

/// A threshold as written: `5%`, `500ms`, `2s` or a plain number. Its unit is checked
/// against the catalogue trigger it overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold(pub String);

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Threshold)
    }
}

impl JsonSchema for Threshold {
    fn schema_name() -> Cow<'static, str> {
        "Threshold".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "type": ["string", "number"],
            "description": "A threshold in the catalogue trigger's unit: 5% (percent), 500ms (duration) or a plain number.",
            "examples": ["5%", "500ms", 100],
        })
    }
}

/// The catalogue's names as examples, which editors offer as completions. Not an `enum`:
/// validation names the nearest one for a typo, which a schema error could not.
fn catalogue_names(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = crate::plan::catalogue::entries()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    schemars::json_schema!({
        "type": "string",
        "description": "A trigger of the catalogue (`rollback triggers` lists them) whose defaults this one takes.",
        "examples": names,
    })
}

impl Trigger {
    /// The probes this trigger declares itself (a valid trigger has at most one).
    pub fn probes(&self) -> Vec<(&'static str, super::loc::Pos)> {
        let mut out = Vec::new();
        if let Some(c) = &self.command {
            out.push(("command", c.pos));
        }
        if let Some(h) = &self.http {
            out.push(("http", h.pos));
        }
        if let Some(p) = &self.prometheus {
            out.push(("prometheus", p.pos));
        }
        if let Some(a) = &self.alertmanager {
            out.push(("alertmanager", a.pos));
        }
        out
    }
}

//! A trigger as the watcher runs it: the plan's fields over the catalogue entry it uses,
//! with every default filled in and its conditions compiled once.

use std::time::Duration;

use serde_json::Value as Json;

use super::jsonpath::JsonPath;
use super::judge::Judge;
use super::webhook::Webhook;
use super::window::{Limits, Sample};
use crate::plan::catalogue::{self, Entry, Unit};
use crate::plan::condition::Condition;
use crate::plan::status::Statuses;
use crate::plan::trigger::{HttpMethod, HttpValue, Trigger, TriggerSeverity};

/// Probes answer within this unless the trigger says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What to ask, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeSpec {
    Command(String),
    Http(HttpSpec),
    Prometheus {
        url: String,
        query: String,
    },
    Alertmanager {
        labels: Vec<(String, String)>,
        webhook: Webhook,
    },
    /// A drill exercise's trigger: nothing is asked; its answers are played on the watch's
    /// clock, `healthy` until `after` has passed, `firing` from then on.
    Drill {
        healthy: Json,
        firing: Json,
        after: Duration,
    },
}

impl ProbeSpec {
    /// The answer a played probe gives at `at` (time since the watch began, on its clock);
    /// `None` for probes that must be asked.
    pub fn played(&self, at: Duration) -> Option<Json> {
        match self {
            ProbeSpec::Drill {
                healthy,
                firing,
                after,
            } => Some(if at >= *after { firing } else { healthy }.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpSpec {
    pub url: String,
    pub method: HttpMethod,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// The statuses taken as an answer (with `value: status` every status is the answer).
    pub status: Statuses,
    pub jsonpath: Option<JsonPath>,
    pub value: HttpValue,
}

/// What a trigger's answers are, for telling an answer from no data at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reads {
    /// Whatever the probe answers is judged: a command's output, an HTTP body, the firing
    /// alerts (none firing is Alertmanager's healthy answer).
    #[default]
    Answer,
    /// Prometheus series: a query that matches none has no data, an error sample, and is
    /// never judged by the condition.
    Series,
}

/// Why an empty vector is not judged.
pub const NO_SERIES: &str = "the query matched no series: no data, never healthy (a selector that matches nothing, or a target no longer scraped?)";

/// A trigger ready to watch.
#[derive(Debug)]
pub struct Spec {
    pub name: String,
    pub uses: Option<String>,
    pub probe: ProbeSpec,
    /// Kept from the trigger's own probe when a drill plays its answers instead.
    pub reads: Reads,
    pub timeout: Duration,
    pub limits: Limits,
    pub condition: Condition,
    pub inconclusive: Option<Condition>,
    pub threshold: Option<f64>,
    pub severity: TriggerSeverity,
    /// How long a high trigger's cancel window lasts.
    pub cancel_window: Duration,
    /// The condition as written, for the record of what fired.
    pub condition_text: String,
    pub explain: String,
}

impl Spec {
    /// Resolves a trigger of a validated plan; the error says what validation would.
    pub fn resolve(t: &Trigger) -> Result<Spec, String> {
        let entry: Option<&Entry> = match &t.uses {
            Some(u) => Some(
                catalogue::find(u)
                    .ok_or_else(|| format!("no trigger `{}` in the catalogue", u.value))?,
            ),
            None => None,
        };
        let threshold = match (&t.threshold, entry) {
            (Some(w), Some(e)) => Some(e.unit.parse(&w.value.0)?),
            (Some(w), None) => Some(Unit::of_written(&w.value.0).parse(&w.value.0)?),
            (None, Some(e)) => e.default_threshold(),
            (None, None) => None,
        };
        let probe = probe(t, entry)?;
        let reads = match probe {
            ProbeSpec::Prometheus { .. } => Reads::Series,
            _ => Reads::Answer,
        };
        let condition_text = t
            .condition
            .as_ref()
            .map(|c| c.value.clone())
            .or_else(|| entry.map(|e| e.condition.clone()))
            .ok_or_else(|| format!("trigger `{}` has no `condition`", t.name.value))?;
        let compile =
            |text: &str| Condition::compile(text).map_err(|e| format!("`{text}`: {}", e.message));
        let defaults = Limits::default();
        let limits = Limits {
            interval: t
                .interval
                .as_ref()
                .map(|d| d.0)
                .or_else(|| entry.and_then(Entry::interval))
                .unwrap_or(defaults.interval),
            count: t.count.as_ref().map(|c| c.value).unwrap_or(defaults.count),
            initial_delay: t.initial_delay.as_ref().map(|d| d.0).unwrap_or_default(),
            failure_limit: t
                .failure_limit
                .as_ref()
                .map(|f| f.value)
                .or_else(|| entry.and_then(|e| e.failure_limit))
                .unwrap_or(defaults.failure_limit),
            consecutive_error_limit: t
                .consecutive_error_limit
                .as_ref()
                .map(|c| c.value)
                .unwrap_or(defaults.consecutive_error_limit),
        };
        Ok(Spec {
            name: t.name.value.clone(),
            uses: entry.map(|e| e.name.clone()),
            probe,
            reads,
            timeout: t.timeout.as_ref().map(|d| d.0).unwrap_or(DEFAULT_TIMEOUT),
            limits,
            condition: compile(&condition_text)?,
            cancel_window: t
                .cancel_window
                .as_ref()
                .map(|d| d.0)
                .unwrap_or(super::policy::DEFAULT_CANCEL_WINDOW),
            inconclusive: t.inconclusive.as_ref().map(|c| compile(c)).transpose()?,
            threshold,
            severity: t
                .severity
                .as_ref()
                .map(|s| s.value)
                .or(entry.map(|e| e.severity))
                .unwrap_or(TriggerSeverity::Medium),
            explain: t.explain.clone().unwrap_or_else(|| {
                entry
                    .map(|e| e.explain_with(t.threshold.as_ref().map(|w| w.value.0.as_str())))
                    .unwrap_or_else(|| format!("`{condition_text}` holds"))
            }),
            condition_text,
        })
    }

    /// The plan's variables in the probe's text, as `${name}`, the way steps see them (a
    /// command probe gets them in its environment instead). Other `${...}` stay: header
    /// secrets come from the environment when the probe runs. A webhook takes its token.
    pub fn with_vars(mut self, vars: &[(String, String)]) -> Spec {
        let fill = |text: &mut String| {
            for (name, value) in vars {
                *text = text.replace(&format!("${{{name}}}"), value);
            }
        };
        match &mut self.probe {
            ProbeSpec::Command(_) | ProbeSpec::Drill { .. } => {}
            ProbeSpec::Alertmanager { webhook, .. } => webhook.token.fill(vars),
            ProbeSpec::Http(h) => {
                fill(&mut h.url);
                h.body.iter_mut().for_each(fill);
                h.headers.iter_mut().for_each(|(_, v)| fill(v));
            }
            ProbeSpec::Prometheus { url, query } => {
                fill(url);
                fill(query);
            }
        }
        self
    }

    /// Judges one probe answer: an error stays an error; no series is an error; a
    /// condition that cannot be evaluated is an error too; never a pass by default.
    pub fn judge(&self, at: Duration, answer: Result<Json, String>) -> Sample {
        self.judging().sample(at, answer)
    }

    /// What judges this trigger's answers, to take apart (to a thread of its own).
    pub fn judging(&self) -> Judge {
        Judge {
            condition: self.condition.clone(),
            inconclusive: self.inconclusive.clone(),
            threshold: self.threshold,
            reads: self.reads,
            mask: Default::default(),
        }
    }
}

fn probe(t: &Trigger, entry: Option<&Entry>) -> Result<ProbeSpec, String> {
    let name = &t.name.value;
    if let Some(c) = &t.command {
        return Ok(ProbeSpec::Command(c.value.clone()));
    }
    let kind = t
        .probes()
        .first()
        .map(|p| p.0)
        .or_else(|| entry.map(Entry::probe_kind))
        .ok_or_else(|| format!("trigger `{name}` has no probe"))?;
    match kind {
        "http" => {
            let h = t.http.as_ref().map(|h| &h.value);
            let template = entry.and_then(|e| e.http.clone()).unwrap_or_default();
            let url = h
                .and_then(|h| h.url.as_ref())
                .map(|u| u.value.clone())
                .ok_or_else(|| format!("trigger `{name}` needs `http.url`"))?;
            Ok(ProbeSpec::Http(HttpSpec {
                url,
                method: h
                    .and_then(|h| h.method.as_ref())
                    .map(|m| m.value)
                    .unwrap_or(HttpMethod::Get),
                headers: h
                    .map(|h| {
                        h.headers
                            .iter()
                            .map(|(k, v)| (k.value.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                body: h.and_then(|h| h.body.clone()),
                status: h
                    .and_then(|h| h.status.as_ref())
                    .map(|s| s.value.clone())
                    .or(template.status)
                    .unwrap_or_default(),
                jsonpath: h
                    .and_then(|h| h.jsonpath.as_ref())
                    .map(|j| j.value.clone())
                    .or(template.jsonpath)
                    .map(|j| JsonPath::parse(&j))
                    .transpose()?,
                value: h
                    .and_then(|h| h.value.as_ref())
                    .map(|v| v.value)
                    .or(template.value)
                    .unwrap_or(HttpValue::Body),
            }))
        }
        "prometheus" => {
            let p = t.prometheus.as_ref().map(|p| &p.value);
            let url = p
                .and_then(|p| p.url.as_ref())
                .map(|u| u.value.clone())
                .ok_or_else(|| format!("trigger `{name}` needs `prometheus.url`"))?;
            let query = p
                .and_then(|p| p.query.as_ref())
                .map(|q| q.value.clone())
                .or_else(|| entry.and_then(|e| e.prometheus.clone()))
                .ok_or_else(|| format!("trigger `{name}` needs `prometheus.query`"))?;
            let selector = p
                .and_then(|p| p.selector.as_ref())
                .map(|s| s.value.as_str())
                .unwrap_or("");
            Ok(ProbeSpec::Prometheus {
                url,
                query: query.replace("${selector}", selector),
            })
        }
        _ => {
            let a = t.alertmanager.as_ref().map(|a| &a.value);
            let mut labels: Vec<(String, String)> = entry
                .and_then(|e| e.alertmanager.as_ref())
                .map(|a| a.labels.clone().into_iter().collect())
                .unwrap_or_default();
            for (k, v) in a.iter().flat_map(|a| a.labels.iter()) {
                labels.retain(|(lk, _)| lk != &k.value);
                labels.push((k.value.clone(), v.clone()));
            }
            let webhook = Webhook::resolve(name, a)?;
            Ok(ProbeSpec::Alertmanager { labels, webhook })
        }
    }
}

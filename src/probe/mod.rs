//! EDGE: the probes that answer a trigger's question. Each returns the answer as JSON or
//! why there is none; every failure (a timeout, a bad exit, garbage, an unexpected status)
//! is an error sample for the monitor, never a pass. Each has a timeout, and a probe that
//! hangs never hangs its caller. `evaluate` judges an answer apart from the loop that asked.

pub mod alertmanager;
pub mod command;
pub mod evaluate;
pub mod http;
pub mod origin;
pub mod prometheus;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value as Json;

use crate::mask::Mask;
use crate::monitor::ProbeSpec;

pub use alertmanager::Receivers;

/// What probes share: where command probes run (the plan's directory) and the variables in
/// their environment, the webhook receivers alertmanager probes read, and the secrets every
/// answer is masked of before anyone sees it.
#[derive(Debug)]
pub struct Context {
    pub workdir: PathBuf,
    pub env: Vec<(String, String)>,
    pub receivers: Receivers,
    pub mask: Mask,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            workdir: PathBuf::from("."),
            env: Vec::new(),
            receivers: Receivers::default(),
            mask: Mask::default(),
        }
    }
}

/// Asks once. Why there is no answer comes back masked of the run's secrets; an answer comes
/// back as it came, to be judged as it is: the judge masks it in the sample it keeps, before
/// it is shown, journaled or recorded (`monitor::Judge`).
pub async fn sample(probe: &ProbeSpec, timeout: Duration, cx: &Context) -> Result<Json, String> {
    ask(probe, timeout, cx)
        .await
        .map_err(|why| cx.mask.text(&why).into_owned())
}

async fn ask(probe: &ProbeSpec, timeout: Duration, cx: &Context) -> Result<Json, String> {
    let receivers = &cx.receivers;
    match probe {
        ProbeSpec::Command(cmd) => {
            command::run_with(cmd, timeout, &cx.workdir, &cx.env, &cx.mask).await
        }
        ProbeSpec::Http(spec) => http::run(spec.clone(), timeout, &cx.mask).await,
        ProbeSpec::Prometheus { url, query } => {
            prometheus::query(url, query, timeout, &cx.mask).await
        }
        ProbeSpec::Alertmanager { labels, webhook } => receivers.sample(webhook.port, labels),
        // Its answer depends on the watch's clock, which the watch passes to `played`.
        ProbeSpec::Drill { .. } => {
            Err("a drill's trigger is played by the watch, not asked".into())
        }
    }
}

/// The webhook receivers (port, token, address, TLS) the probes of `specs` listen with, each
/// with the labels its probe asks about.
pub fn receiver_ports<'a>(
    probes: impl IntoIterator<Item = &'a ProbeSpec>,
) -> Vec<(alertmanager::Webhook, Vec<(String, String)>)> {
    probes
        .into_iter()
        .filter_map(|p| match p {
            ProbeSpec::Alertmanager { webhook, labels } => Some((webhook.clone(), labels.clone())),
            _ => None,
        })
        .collect()
}

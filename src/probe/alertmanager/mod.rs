//! The Alertmanager probe: a webhook receiver. Alertmanager POSTs groups of alerts to it with
//! a bearer token; firing alerts are held (by fingerprint), resolved and expired ones dropped.
//! A sample is the list of firing alerts whose labels include the trigger's labels, so
//! `size(result) > 0` fires while a matching alert fires.
//!
//! Anything that reaches the port is a stranger until its token is checked, which happens
//! before its body is read (`request`); what the receiver holds is bounded (`Bounds`): the
//! connections at once, strangers making room for newcomers (`places`), the time each may
//! take, the body, the alerts held (`store`). A request it refuses or drops makes the next
//! samples errors (`refusals`). It listens on 127.0.0.1 unless the plan binds it elsewhere,
//! over TLS if the plan says so. The receiver stops when its handle is dropped.

mod places;
mod refusals;
pub mod request;
mod server;
mod store;
mod tls;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tokio::net::TcpListener;

pub use crate::monitor::webhook::{Token, Webhook};
use crate::monitor::{ProbeSpec, Spec};
use refusals::Refusals;
pub use request::BODY_CAP;
use request::Key;
use server::Shared;
pub use store::Labels;
use store::Store;

/// What a receiver holds at most.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Connections served at once. One more closes the oldest that has not shown the token
    /// yet, or is answered 503 and closed unread when all have.
    pub connections: usize,
    /// A connection that has not done its TLS handshake and sent a head with the token by
    /// then (from its accept) is closed.
    pub head: Duration,
    /// A connection that has not sent its whole request by then is closed.
    pub deadline: Duration,
    /// The largest body taken.
    pub body: usize,
    /// Firing alerts held, and about how many bytes they may take.
    pub alerts: usize,
    pub bytes: usize,
    /// How long after a request was refused or dropped samples are errors.
    pub hold: Duration,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            connections: 64,
            head: Duration::from_secs(2),
            deadline: Duration::from_secs(10),
            body: BODY_CAP,
            alerts: 1000,
            bytes: 8 * 1024 * 1024,
            hold: Duration::from_secs(60),
        }
    }
}

/// A listening receiver; dropping it stops it.
pub struct Receiver {
    port: u16,
    webhook: Webhook,
    shared: Arc<Shared>,
    task: tokio::task::AbortHandle,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("port", &self.port)
            .field("webhook", &self.webhook)
            .finish()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Listens as `webhook` says (port 0 picks a free port; `port()` says which), keeping
    /// every alert.
    pub async fn start(webhook: &Webhook) -> Result<Receiver, String> {
        Receiver::start_with(webhook, Bounds::default()).await
    }

    /// `start`, within other bounds.
    pub async fn start_with(webhook: &Webhook, bounds: Bounds) -> Result<Receiver, String> {
        Receiver::launch(webhook, bounds, Vec::new()).await
    }

    /// `start`, keeping only the alerts that carry one of `filters` (the labels of the
    /// triggers it serves): a flood of others neither fills it nor concerns them.
    pub async fn start_for(webhook: &Webhook, filters: Vec<Labels>) -> Result<Receiver, String> {
        Receiver::launch(webhook, Bounds::default(), filters).await
    }

    async fn launch(
        webhook: &Webhook,
        bounds: Bounds,
        filters: Vec<Labels>,
    ) -> Result<Receiver, String> {
        let token = webhook.token.value().ok_or_else(|| {
            format!(
                "the webhook receiver on port {} does not start without its token: `{}` has no value",
                webhook.port, webhook.token.var
            )
        })?;
        let tls = match &webhook.tls {
            Some((cert, key)) => Some(tls::acceptor(cert, key)?),
            None => None,
        };
        let addr = SocketAddr::new(webhook.bind, webhook.port);
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            format!("the Alertmanager webhook receiver cannot listen on {addr}: {e}")
        })?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let shared = Arc::new(Shared {
            key: Key::new(token),
            store: Mutex::new(Store::new(bounds.alerts, bounds.bytes, filters)),
            refusals: Mutex::new(Refusals::new(bounds.hold, bounds.head, bounds.deadline)),
            bounds,
            tls,
        });
        let task = tokio::spawn(server::serve(listener, shared.clone())).abort_handle();
        Ok(Receiver {
            port,
            webhook: webhook.clone(),
            shared,
            task,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The firing alerts carrying every one of `labels`, oldest first, as the condition sees
    /// them: a list of `{labels, annotations, startsAt}`; last, once alerts were pushed out
    /// for room, one more saying so (`overflow: true`).
    pub fn firing(&self, labels: &[(String, String)]) -> Json {
        let mut store = self.shared.store.lock().unwrap_or_else(|e| e.into_inner());
        store.firing(labels, chrono::Utc::now())
    }

    /// A trigger's sample: `firing(labels)`, or an error while a request refused or dropped
    /// (since the trigger's last sample, or in the last `Bounds::hold`) may have carried
    /// an alert it waits for.
    pub fn sample(&self, labels: &[(String, String)]) -> Result<Json, String> {
        let mut refusals = self
            .shared
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        refusals.check(labels, Instant::now())?;
        drop(refusals);
        Ok(self.firing(labels))
    }
}

/// Gets a watch's webhooks ready before it starts: each has its token's value, and its TLS
/// files, taken from the plan's directory `dir`, load. A receiver that could not tell who
/// sends it alerts would be an open door: the watch refuses to start instead.
pub fn ready(specs: &mut [Spec], dir: &Path) -> Result<(), String> {
    for spec in specs {
        let ProbeSpec::Alertmanager { webhook, .. } = &mut spec.probe else {
            continue;
        };
        let var = &webhook.token.var;
        if webhook.token.value().is_none() {
            return Err(format!(
                "trigger `{}`: `{var}` holds the webhook's bearer token and has no value: give --var {var}=TOKEN, or set {var} in the environment (with `env: true` on the variable)",
                spec.name
            ));
        }
        if let Some((cert, key)) = &mut webhook.tls {
            *cert = dir.join(&*cert);
            *key = dir.join(&*key);
            tls::acceptor(cert, key).map_err(|e| format!("trigger `{}`: {e}", spec.name))?;
        }
    }
    Ok(())
}

/// The receivers a watch listens with, one per port (triggers may share one).
#[derive(Debug, Default)]
pub struct Receivers {
    by_port: HashMap<u16, (Webhook, Result<Receiver, String>)>,
}

impl Receivers {
    /// Starts one receiver per port for the triggers' webhooks and labels; a port that
    /// cannot be listened on is remembered as the error its triggers' samples will be, and
    /// so is a port two settings ask for.
    pub async fn start(webhooks: impl IntoIterator<Item = (Webhook, Labels)>) -> Receivers {
        let mut wanted: Vec<(Webhook, Vec<Labels>, bool)> = Vec::new();
        for (webhook, labels) in webhooks {
            match wanted.iter_mut().find(|(w, _, _)| w.port == webhook.port) {
                Some((first, filters, agree)) => {
                    *agree &= *first == webhook;
                    filters.push(labels);
                }
                None => wanted.push((webhook, vec![labels], true)),
            }
        }
        let mut by_port = HashMap::new();
        for (webhook, filters, agree) in wanted {
            let receiver = if agree {
                Receiver::start_for(&webhook, filters).await
            } else {
                let port = webhook.port;
                Err(format!(
                    "triggers on port {port} differ in token, bind or tls"
                ))
            };
            by_port.insert(webhook.port, (webhook, receiver));
        }
        Receivers { by_port }
    }

    /// The sample for a trigger listening on `port` for `labels`.
    pub fn sample(&self, port: u16, labels: &[(String, String)]) -> Result<Json, String> {
        match self.by_port.get(&port) {
            Some((_, Ok(r))) => r.sample(labels),
            Some((_, Err(e))) => Err(e.clone()),
            None => Err(format!("no webhook receiver was started on port {port}")),
        }
    }
}

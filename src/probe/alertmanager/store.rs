//! The alerts a receiver holds: firing ones by fingerprint, resolved ones and those whose
//! `endsAt` has passed dropped, at most `alerts` of them in about `bytes`, and only those its
//! triggers ask about (their label sets; none given, all). A new alert that finds no room
//! pushes out the one refreshed longest ago. An alert missed so (or left out by Alertmanager,
//! or in a body too large) may be the one a trigger waits for, and a trigger that then looked
//! healthy would hide it: from then on the samples of each trigger it may concern carry one
//! more firing entry saying so. Time is given, never read.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value as Json, json};

use super::request::{Alert, Notification};

/// What an alert costs beyond its text, roughly (maps, strings, the index).
const OVERHEAD: usize = 256;

/// Labels as triggers ask for them: an alert must carry each.
pub type Labels = Vec<(String, String)>;

#[derive(Debug)]
pub struct Store {
    held: HashMap<String, Held>,
    /// Keys by the turn they were last refreshed in, oldest first.
    order: BTreeMap<u64, String>,
    turn: u64,
    bytes: usize,
    max_alerts: usize,
    max_bytes: usize,
    /// The earliest `endsAt` held, to skip looking for expired alerts before it.
    soonest: Option<DateTime<Utc>>,
    misses: Misses,
}

#[derive(Debug)]
struct Held {
    alert: Alert,
    ends: Option<DateTime<Utc>>,
    turn: u64,
    size: usize,
}

impl Store {
    pub fn new(max_alerts: usize, max_bytes: usize, filters: Vec<Labels>) -> Store {
        Store {
            held: HashMap::new(),
            order: BTreeMap::new(),
            turn: 0,
            bytes: 0,
            max_alerts: max_alerts.max(1),
            max_bytes,
            soonest: None,
            misses: Misses::new(filters),
        }
    }

    /// Takes one notification in, received at `now`.
    pub fn apply(&mut self, notification: Notification, now: DateTime<Utc>) {
        if notification.truncated_alerts > 0 {
            // What was left out shares the group's labels, and may carry any others.
            let group = &notification.group_labels;
            self.misses.count(notification.truncated_alerts, now, |f| {
                f.iter().all(|(k, v)| group.get(k).is_none_or(|g| g == v))
            });
        }
        for alert in notification.alerts {
            if !self.misses.wanted(&alert.labels) {
                continue;
            }
            // Alertmanager always sends a fingerprint; the labels identify an alert otherwise.
            let key = if alert.fingerprint.is_empty() {
                format!("{:?}", alert.labels)
            } else {
                alert.fingerprint.clone()
            };
            self.remove(&key);
            let ends = end(&alert.ends_at);
            if alert.status == "resolved" || ends.is_some_and(|e| e <= now) {
                continue;
            }
            let size = size(&key, &alert);
            if self.held.len() >= self.max_alerts || self.bytes + size > self.max_bytes {
                self.expire(now);
            }
            while !self.held.is_empty()
                && (self.held.len() >= self.max_alerts || self.bytes + size > self.max_bytes)
            {
                let Some((_, oldest)) = self.order.pop_first() else {
                    break;
                };
                if let Some(gone) = self.remove(&oldest) {
                    self.misses
                        .count(1, now, |f| carries(&gone.alert.labels, f));
                }
            }
            self.turn += 1;
            self.order.insert(self.turn, key.clone());
            self.bytes += size;
            if let Some(e) = ends {
                self.soonest = Some(self.soonest.map_or(e, |s| s.min(e)));
            }
            let turn = self.turn;
            self.held.insert(
                key,
                Held {
                    alert,
                    ends,
                    turn,
                    size,
                },
            );
        }
    }

    /// The firing alerts carrying every one of `labels` at `now`, oldest first, as the
    /// condition sees them: a list of `{labels, annotations, startsAt}`; and last, once an
    /// alert was missed, one more that says so.
    pub fn firing(&mut self, labels: &[(String, String)], now: DateTime<Utc>) -> Json {
        self.expire(now);
        let mut matching: Vec<&Alert> = self
            .held
            .values()
            .map(|h| &h.alert)
            .filter(|a| carries(&a.labels, labels))
            .collect();
        matching
            .sort_by(|a, b| (&a.starts_at, &a.fingerprint).cmp(&(&b.starts_at, &b.fingerprint)));
        let mut out: Vec<Json> = matching
            .into_iter()
            .map(|a| json!({"labels": a.labels, "annotations": a.annotations, "startsAt": a.starts_at}))
            .collect();
        if let Some((missed, since)) = self.misses.about(labels) {
            let labels: serde_json::Map<String, Json> = labels
                .iter()
                .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
                .collect();
            let summary = format!(
                "the receiver missed {missed} alerts or notifications that may be one of these: pushed out (it holds {}), left out by Alertmanager, or in a body too large",
                self.max_alerts
            );
            out.push(json!({
                "labels": labels,
                "annotations": {"summary": summary},
                "startsAt": since.to_rfc3339_opts(SecondsFormat::Secs, true),
                "overflow": true,
            }));
        }
        Json::Array(out)
    }

    /// Counts a notification refused as too large, at `now`: it may have held any alert.
    pub fn refused(&mut self, now: DateTime<Utc>) {
        self.misses.count(1, now, |_| true);
    }

    fn remove(&mut self, key: &str) -> Option<Held> {
        let h = self.held.remove(key)?;
        self.order.remove(&h.turn);
        self.bytes -= h.size;
        Some(h)
    }

    /// Drops the alerts whose end has come.
    fn expire(&mut self, now: DateTime<Utc>) {
        if self.soonest.is_none_or(|s| s > now) {
            return;
        }
        let gone: Vec<String> = self
            .held
            .iter()
            .filter(|(_, h)| h.ends.is_some_and(|e| e <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            self.remove(&key);
        }
        self.soonest = self.held.values().filter_map(|h| h.ends).min();
    }
}

/// Whether `labels` carry each of `wanted`.
fn carries(labels: &BTreeMap<String, String>, wanted: &[(String, String)]) -> bool {
    wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Alerts that could not be kept, counted for each label set they may concern.
#[derive(Debug)]
struct Misses {
    /// The label sets the receiver's triggers ask about; none: every alert is kept.
    filters: Vec<Labels>,
    /// How many were missed and since when: for each filter, then last for any labels.
    seen: Vec<Option<(u64, DateTime<Utc>)>>,
}

impl Misses {
    fn new(filters: Vec<Labels>) -> Misses {
        let seen = vec![None; filters.len() + 1];
        Misses { filters, seen }
    }

    /// Whether an alert with `labels` is one a trigger asks about.
    fn wanted(&self, labels: &BTreeMap<String, String>) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| carries(labels, f))
    }

    /// Counts `n` missed at `now` for the filters `may` says they may concern, and for any.
    fn count(&mut self, n: u64, now: DateTime<Utc>, may: impl Fn(&Labels) -> bool) {
        let last = self.filters.len();
        for i in 0..=last {
            if i == last || may(&self.filters[i]) {
                let (count, since) = self.seen[i].get_or_insert((0, now));
                *count += n;
                *since = (*since).min(now);
            }
        }
    }

    /// What was missed that may concern `labels`.
    fn about(&self, labels: &[(String, String)]) -> Option<(u64, DateTime<Utc>)> {
        let i = self.filters.iter().position(|f| f == labels);
        self.seen[i.unwrap_or(self.filters.len())]
    }
}

/// An alert's end, if it has one: Alertmanager sends Go's zero time (year 1) for none.
fn end(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .filter(|d| d.timestamp() > 0)
}

fn size(key: &str, a: &Alert) -> usize {
    let map =
        |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>();
    OVERHEAD
        + key.len()
        + map(&a.labels)
        + map(&a.annotations)
        + a.status.len()
        + a.starts_at.len()
        + a.ends_at.len()
        + a.fingerprint.len()
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;

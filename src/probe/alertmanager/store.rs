//! The alerts a receiver holds: firing ones by fingerprint, resolved ones and those whose
//! `endsAt` has passed dropped, at most `alerts` of them in about `bytes`. A new alert that
//! finds no room pushes out the one refreshed longest ago; from then on every sample carries
//! one more firing entry saying so, since the alert pushed out may be the one a trigger waits
//! for, and a trigger that then looked healthy would hide it. Time is given, never read.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value as Json, json};

use super::request::{Alert, Notification};

/// What an alert costs beyond its text, roughly (maps, strings, the index).
const OVERHEAD: usize = 256;

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
    /// Alerts pushed out for room or left out by Alertmanager, notifications refused as too
    /// large, and when the first of these was.
    missed: u64,
    refused: u64,
    since: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct Held {
    alert: Alert,
    ends: Option<DateTime<Utc>>,
    turn: u64,
    size: usize,
}

impl Store {
    pub fn new(max_alerts: usize, max_bytes: usize) -> Store {
        Store {
            held: HashMap::new(),
            order: BTreeMap::new(),
            turn: 0,
            bytes: 0,
            max_alerts: max_alerts.max(1),
            max_bytes,
            soonest: None,
            missed: 0,
            refused: 0,
            since: None,
        }
    }

    /// Takes one notification in, received at `now`.
    pub fn apply(&mut self, notification: Notification, now: DateTime<Utc>) {
        if notification.truncated_alerts > 0 {
            self.missed += notification.truncated_alerts;
            self.since.get_or_insert(now);
        }
        for alert in notification.alerts {
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
                if let Some((_, oldest)) = self.order.pop_first() {
                    self.remove(&oldest);
                }
                self.missed += 1;
                self.since.get_or_insert(now);
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
            .filter(|a| labels.iter().all(|(k, v)| a.labels.get(k) == Some(v)))
            .collect();
        matching
            .sort_by(|a, b| (&a.starts_at, &a.fingerprint).cmp(&(&b.starts_at, &b.fingerprint)));
        let mut out: Vec<Json> = matching
            .into_iter()
            .map(|a| json!({"labels": a.labels, "annotations": a.annotations, "startsAt": a.starts_at}))
            .collect();
        if let Some(since) = self.since {
            let labels: serde_json::Map<String, Json> = labels
                .iter()
                .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
                .collect();
            let summary = format!(
                "the receiver could not keep every alert sent: {} pushed out (it holds {}) or left out by Alertmanager, {} notifications too large; any of them may be one of these",
                self.missed, self.max_alerts, self.refused
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

    /// Counts a notification refused as too large, at `now`.
    pub fn refused(&mut self, now: DateTime<Utc>) {
        self.refused += 1;
        self.since.get_or_insert(now);
    }

    fn remove(&mut self, key: &str) {
        if let Some(h) = self.held.remove(key) {
            self.order.remove(&h.turn);
            self.bytes -= h.size;
        }
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
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn alert(fp: &str, name: &str, status: &str, ends: &str) -> Alert {
        Alert {
            status: status.into(),
            labels: [("alertname".to_string(), name.to_string())].into(),
            fingerprint: fp.into(),
            ends_at: ends.into(),
            ..Default::default()
        }
    }

    fn count(store: &mut Store, name: &str, now: DateTime<Utc>) -> usize {
        let labels = [("alertname".to_string(), name.to_string())];
        store.firing(&labels, now).as_array().unwrap().len()
    }

    fn note(alerts: Vec<Alert>) -> Notification {
        Notification {
            alerts,
            truncated_alerts: 0,
        }
    }

    const ZERO: &str = "0001-01-01T00:00:00Z";

    #[test]
    fn firing_alerts_are_kept_and_resolved_ones_dropped() {
        let mut s = Store::new(10, 1 << 20);
        s.apply(
            note(vec![
                alert("a", "Waf", "firing", ZERO),
                alert("b", "Disk", "firing", ""),
            ]),
            at(0),
        );
        assert_eq!(s.firing(&[], at(0)).as_array().unwrap().len(), 2);
        s.apply(note(vec![alert("a", "Waf", "resolved", ZERO)]), at(1));
        assert_eq!(count(&mut s, "Waf", at(1)), 0);
        assert_eq!(count(&mut s, "Disk", at(1)), 1);
    }

    #[test]
    fn alerts_whose_end_has_passed_are_dropped() {
        let mut s = Store::new(10, 1 << 20);
        let ends = at(60).to_rfc3339();
        s.apply(note(vec![alert("a", "Waf", "firing", &ends)]), at(0));
        s.apply(
            note(vec![alert("b", "Waf", "firing", &at(-1).to_rfc3339())]),
            at(0),
        );
        assert_eq!(count(&mut s, "Waf", at(59)), 1, "the past one never counts");
        assert_eq!(count(&mut s, "Waf", at(60)), 0, "expired");
        assert!(s.held.is_empty() && s.order.is_empty() && s.bytes == 0);
    }

    #[test]
    fn a_flood_keeps_the_newest_and_the_overflow_keeps_firing() {
        let mut s = Store::new(100, 1 << 20);
        s.apply(note(vec![alert("waf", "Waf", "firing", ZERO)]), at(0));
        // Refreshing keeps an alert's place: no overflow yet.
        for i in 0..99 {
            s.apply(
                note(vec![alert(&format!("d{i}"), "Disk", "firing", ZERO)]),
                at(1),
            );
        }
        assert_eq!(count(&mut s, "Waf", at(1)), 1);
        // A flood of other alerts pushes the oldest out: the Waf trigger must not look healthy.
        let flood = (0..1000).map(|i| alert(&format!("f{i}"), "Flood", "firing", ZERO));
        s.apply(note(flood.collect()), at(2));
        assert_eq!(s.held.len(), 100);
        let waf = s.firing(&[("alertname".into(), "Waf".into())], at(3));
        assert_eq!(waf.as_array().unwrap().len(), 1, "{waf}");
        assert_eq!(waf[0]["overflow"], true);
        assert_eq!(waf[0]["labels"]["alertname"], "Waf");
        assert!(
            waf[0]["annotations"]["summary"]
                .as_str()
                .unwrap()
                .contains("1000 pushed out")
        );
        // The newest of the flood are the ones held.
        assert_eq!(count(&mut s, "Flood", at(3)), 101);
        assert!(s.held.contains_key("f999") && !s.held.contains_key("f899"));
    }

    #[test]
    fn bytes_are_bounded_too() {
        let mut s = Store::new(1000, 64 * 1024);
        let big = |i: usize| Alert {
            annotations: [("description".to_string(), "x".repeat(10_000))].into(),
            ..alert(&format!("b{i}"), "Big", "firing", ZERO)
        };
        s.apply(note((0..50).map(big).collect()), at(0));
        assert!(s.bytes <= 64 * 1024, "{}", s.bytes);
        assert!(s.held.len() < 10);
        assert_eq!(s.bytes, s.held.values().map(|h| h.size).sum::<usize>());
    }

    #[test]
    fn alerts_left_out_or_refused_are_missed_too() {
        let mut s = Store::new(10, 1 << 20);
        assert_eq!(s.firing(&[], at(0)), json!([]));
        s.apply(
            Notification {
                alerts: vec![alert("a", "Disk", "firing", ZERO)],
                truncated_alerts: 3,
            },
            at(1),
        );
        let waf = s.firing(&[("alertname".into(), "Waf".into())], at(2));
        assert_eq!(waf[0]["overflow"], true, "{waf}");
        let mut s = Store::new(10, 1 << 20);
        s.refused(at(1));
        let summary = &s.firing(&[], at(2))[0]["annotations"]["summary"];
        assert!(
            summary
                .as_str()
                .unwrap()
                .contains("1 notifications too large"),
            "{summary}"
        );
    }
}

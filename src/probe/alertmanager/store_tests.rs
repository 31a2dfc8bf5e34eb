//! The store's tests: what is held, for how long, and what a trigger sees once alerts were
//! missed.

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
        ..Default::default()
    }
}

const ZERO: &str = "0001-01-01T00:00:00Z";

#[test]
fn firing_alerts_are_kept_and_resolved_ones_dropped() {
    let mut s = Store::new(10, 1 << 20, vec![]);
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
    let mut s = Store::new(10, 1 << 20, vec![]);
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
    let mut s = Store::new(100, 1 << 20, vec![]);
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
            .contains("missed 1000 alerts")
    );
    // The newest of the flood are the ones held.
    assert_eq!(count(&mut s, "Flood", at(3)), 101);
    assert!(s.held.contains_key("f999") && !s.held.contains_key("f899"));
}

#[test]
fn bytes_are_bounded_too() {
    let mut s = Store::new(1000, 64 * 1024, vec![]);
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
    let mut s = Store::new(10, 1 << 20, vec![]);
    assert_eq!(s.firing(&[], at(0)), json!([]));
    s.apply(
        Notification {
            alerts: vec![alert("a", "Disk", "firing", ZERO)],
            truncated_alerts: 3,
            ..Default::default()
        },
        at(1),
    );
    let waf = s.firing(&[("alertname".into(), "Waf".into())], at(2));
    assert_eq!(waf[0]["overflow"], true, "{waf}");
    let mut s = Store::new(10, 1 << 20, vec![]);
    s.refused(at(1));
    let summary = &s.firing(&[], at(2))[0]["annotations"]["summary"];
    assert!(
        summary
            .as_str()
            .unwrap()
            .starts_with("the receiver missed 1 alerts"),
        "{summary}"
    );
}

fn name(n: &str) -> Labels {
    vec![("alertname".to_string(), n.to_string())]
}

#[test]
fn asked_for_some_labels_a_flood_of_others_is_not_kept_and_fires_nothing() {
    let mut s = Store::new(10, 1 << 20, vec![name("Waf"), name("Auth")]);
    s.apply(note(vec![alert("waf", "Waf", "firing", ZERO)]), at(0));
    let flood = (0..500).map(|i| alert(&format!("f{i}"), "Flood", "firing", ZERO));
    s.apply(note(flood.collect()), at(1));
    assert_eq!(s.held.len(), 1, "only what a trigger asks about is held");
    assert_eq!(count(&mut s, "Waf", at(2)), 1);
    assert_eq!(count(&mut s, "Auth", at(2)), 0, "nothing missed");
    // A flood of Waf alerts: the Waf trigger sees the newest and the overflow; Auth nothing.
    let waf = (0..50).map(|i| alert(&format!("w{i}"), "Waf", "firing", ZERO));
    s.apply(note(waf.collect()), at(3));
    let seen = s.firing(&name("Waf"), at(4));
    assert_eq!(seen.as_array().unwrap().len(), 11, "{seen}");
    assert_eq!(seen[10]["overflow"], true);
    assert_eq!(count(&mut s, "Auth", at(4)), 0);
}

#[test]
fn left_out_alerts_concern_the_triggers_their_group_may_match() {
    let mut s = Store::new(10, 1 << 20, vec![name("Waf"), name("Auth")]);
    let group: BTreeMap<String, String> = [("alertname".into(), "Waf".into())].into();
    s.apply(
        Notification {
            truncated_alerts: 7,
            group_labels: group,
            ..Default::default()
        },
        at(0),
    );
    let waf = s.firing(&name("Waf"), at(1));
    assert_eq!(waf[0]["overflow"], true, "{waf}");
    assert!(
        waf[0]["annotations"]["summary"]
            .as_str()
            .unwrap()
            .contains("missed 7 alerts")
    );
    assert_eq!(
        count(&mut s, "Auth", at(1)),
        0,
        "a Waf group holds no Auth alert"
    );
    // A body too large may hold anything.
    s.refused(at(2));
    assert_eq!(count(&mut s, "Auth", at(3)), 1);
}

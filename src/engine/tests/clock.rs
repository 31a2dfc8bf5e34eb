//! Time: the escalation ladder and its acknowledgement.

use super::*;

#[test]
fn escalation_rises_at_5_15_and_30_minutes_once_each() {
    let mut h = Harness::new(None);
    h.start(None);
    let table: [(i64, i64, &[&str]); 8] = [
        (299, 999, &[]),
        (300, 0, &["escalation_raised"]),
        (301, 0, &[]),
        (600, 0, &["sla_breached"]),
        (899, 999, &[]),
        (900, 0, &["escalation_raised"]),
        (1800, 0, &["escalation_raised"]),
        (3600, 0, &[]),
    ];
    for (s, ms, want) in table {
        let d = h.at(s, ms).feed(Input::Tick);
        assert_eq!(kinds(&d.events), want, "at {s}.{ms:03}s");
    }
    let levels: Vec<u8> = h
        .log
        .iter()
        .filter_map(|e| match e {
            Event::EscalationRaised { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(levels, [2, 3, 4]);
    assert_eq!(h.state.escalation_action, "Full incident response");
}

#[test]
fn a_late_tick_raises_every_rung_it_passed_and_notifies_each() {
    let mut h = Harness::new(None);
    h.start(None);
    let d = h.at(1900, 0).feed(Input::Tick);
    assert_eq!(
        kinds(&d.events),
        [
            "escalation_raised",
            "escalation_raised",
            "escalation_raised",
            "sla_breached"
        ]
    );
    let on: Vec<String> = notified(&d).into_iter().map(|(_, c)| c).collect();
    assert_eq!(
        on,
        ["./page.sh", "./notify.sh", "./notify.sh", "./notify.sh"]
    );
    let payload = d
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Notify {
                on: "escalation_raised",
                payload,
                ..
            } => Some(payload.clone()),
            _ => None,
        })
        .expect("a payload");
    assert_eq!(payload["dedup_key"], "2027-01-15T08-00-00Z-t");
    assert_eq!(payload["level"], 2);
    assert_eq!(payload["action"], "Engage senior SRE");
    assert_eq!(payload["operator"], "alice");
    assert_eq!(payload["elapsed_s"], 1900);
}

#[test]
fn escalations_wait_for_acknowledgement() {
    let mut h = Harness::new(None);
    h.start(None);
    assert!(
        h.feed(Input::Acknowledge { by: "alice".into() })
            .refused
            .is_some()
    );
    h.at(300, 0).feed(Input::Tick);
    assert_eq!(h.state.unacknowledged(), Some(2));
    let d = h.feed(Input::Acknowledge { by: "alice".into() });
    assert_eq!(
        d.events,
        [Event::EscalationAcknowledged {
            level: 2,
            by: "alice".into()
        }]
    );
    assert_eq!(h.state.unacknowledged(), None);
}

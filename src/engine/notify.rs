//! The JSON a notify command reads on stdin.

use serde_json::{Value, json};

use super::event::Event;
use super::sla::SlaStatus;
use super::state::RunState;

/// The JSON a notify command reads on stdin. Its shape is documented and stable: new keys
/// may be added, none renamed. `dedup_key` is the run id, for paging tools.
pub fn notify_payload(st: &RunState, event: &Event, now_ms: i64, operator: &str) -> Value {
    let elapsed = st.elapsed_ms(now_ms);
    let sla = SlaStatus::new(elapsed, st.sla_ms());
    let info = st.info.as_ref();
    let current = st.running().or_else(|| st.cursor());
    let (phase, step) = current
        .map(|i| {
            let key = &st.steps[i].key;
            let phase = key.split('.').next().unwrap_or_default().to_string();
            (Some(phase), Some(key.clone()))
        })
        .unwrap_or((None, None));
    let (reason, outcome) = match event {
        Event::RunAborted { reason, .. } => (Some(reason.clone()), Some("aborted")),
        Event::RunFailed { reason } => (Some(reason.clone()), Some("failed")),
        Event::RunCompleted => (None, Some("completed")),
        Event::EscalationRaised { reason, .. } => (reason.clone(), None),
        _ => (None, None),
    };
    // A region's rung is its own, not the run's.
    let region_level = event
        .region()
        .and_then(|r| st.regions.iter().find(|c| c.name == r))
        .map(|c| c.escalation);
    let (level, action) = match event {
        Event::RegionEscalated { level, action, .. } => (*level, action.clone()),
        _ => (
            region_level.unwrap_or(st.escalation),
            st.escalation_action.clone(),
        ),
    };
    json!({
        "version": 1,
        "event": event.kind(),
        "run_id": info.map(|i| i.run_id.as_str()),
        "dedup_key": info.map(|i| i.run_id.as_str()),
        "plan": info.map(|i| i.plan.as_str()),
        "title": info.map(|i| i.title.as_str()),
        "mode": st.mode.name(),
        "level": level,
        "action": action,
        "region": event.region(),
        "elapsed_s": elapsed / 1000,
        "sla_s": sla.sla_ms / 1000,
        "sla_left_s": sla.remaining_ms() / 1000,
        "sla_breached": sla.breached(),
        "operator": operator,
        "phase": phase,
        "step": step,
        "outcome": outcome,
        "reason": reason,
        "ts": chrono::DateTime::from_timestamp_millis(now_ms)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
    })
}

//! The stakeholder status update: a few plain lines, ready to paste into a chat or an
//! incident ticket, built from the run's state.

use crate::engine::Record;
use crate::engine::describe::describe_stamped;
use crate::engine::sla::{SlaStatus, clock_text, countdown_text};
use crate::engine::{Mode, RunState, Status, Waiting};
use crate::plan::Plan;

/// What is going on, for people who are not at the keyboard.
pub fn status_update(plan: &Plan, st: &RunState, last: Option<&Record>, now_ms: i64) -> String {
    let mut out = Vec::new();
    let tag = match st.mode {
        Mode::Live => String::new(),
        m => format!("[{}] ", m.banner()),
    };
    out.push(format!(
        "{tag}Rollback status: {} ({})",
        plan.title.value, plan.plan.value
    ));
    let selected: Vec<usize> = (0..st.steps.len())
        .filter(|&i| st.steps[i].selected)
        .collect();
    let done = selected
        .iter()
        .filter(|&&i| st.steps[i].status.settled())
        .count();
    let current = st.running().or_else(|| st.cursor());
    if let Some(i) = current {
        let s = &st.steps[i];
        let phase = &plan.phases[s.phase];
        let phases_total = plan.phases.len();
        let what = match st.waiting() {
            Waiting::Running(_) => format!("{} running (attempt {})", s.key, s.attempts_used()),
            Waiting::Approval(_) => format!("{} waits for approval", s.key),
            Waiting::Manual(_) => format!("{} waits for a manual check", s.key),
            Waiting::PointOfNoReturn(_) => {
                format!("{} waits for confirmation: point of no return", s.key)
            }
            Waiting::Failure(_) => format!("{} failed; the operator decides", s.key),
            Waiting::Retry { .. } => format!("{} will be retried", s.key),
            Waiting::Interrupted(_) => format!("{} was interrupted; being checked", s.key),
            _ if s.status == Status::Pending => format!("{} next", s.key),
            _ => s.key.clone(),
        };
        out.push(format!(
            "Phase {} of {phases_total}: {} - {what} ({done} of {} steps done)",
            s.phase + 1,
            phase.title(),
            selected.len()
        ));
    } else if let Some(end) = &st.end {
        out.push(format!(
            "Outcome: {} ({done} of {} steps done)",
            end.outcome.word(),
            selected.len()
        ));
    }
    let end_ms = st.end.as_ref().map_or(now_ms, |e| e.at_ms);
    let sla = SlaStatus::new(st.elapsed_ms(end_ms), st.sla_ms());
    let against = if sla.breached() {
        format!(
            "SLA {} breached, {} over",
            clock_text(sla.sla_ms),
            clock_text(sla.overrun_ms())
        )
    } else {
        format!(
            "SLA {}, {} left",
            clock_text(sla.sla_ms),
            countdown_text(sla.remaining_ms())
        )
    };
    out.push(format!("Elapsed {}; {against}", clock_text(sla.elapsed_ms)));
    out.push(format!(
        "Escalation: level {} ({})",
        st.escalation, st.escalation_action
    ));
    if let Some((step, by, at)) = &st.ponr_passed {
        out.push(format!(
            "Point of no return passed at +{} (before {step}, confirmed by {by})",
            clock_text(st.elapsed_ms(*at))
        ));
    }
    if let Some(r) = last {
        out.push(format!(
            "Last event: {} {}",
            r.time().format("%H:%M:%S UTC"),
            describe_stamped(&r.stamped())
        ));
    }
    if let Some(info) = &st.info {
        out.push(format!("Run {} by {}", info.run_id, st.operator));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Event, Stamped};
    use crate::plan::load::parse_str;

    #[test]
    fn says_where_the_run_is_and_how_it_stands() {
        let plan = parse_str(
            "plan: p\ntitle: Roll back p\nlevel: 2\noperation: application\nautomation: semi\nsla: 5m\n\
             phases:\n  - id: capture\n    steps:\n      - {id: a, run: 'true'}\n  - id: verify\n    steps:\n      - {id: b, approve: ok?}\n",
        )
        .unwrap();
        let mut st = RunState::new(&plan, None);
        let info = crate::engine::RunInfo {
            run_id: "r1".into(),
            plan: "p".into(),
            title: "Roll back p".into(),
            team: None,
            plan_sha256: String::new(),
            level: 2,
            sla_ms: 300_000,
            scenario: None,
            regions: vec![],
            vars: vec![],
            var_sources: vec![],
            trigger: Default::default(),
            fired: None,
            plan_path: "p.yaml".into(),
            host: "h".into(),
            pid: 1,
            version: "t".into(),
            rehearsal: None,
            drill: None,
        };
        let stamp = |seq, ts_ms, event| Stamped {
            seq,
            mode: Mode::Drill,
            ts_ms,
            operator: "alice".into(),
            event,
        };
        st.apply(&stamp(0, 0, Event::RunStarted(Box::new(info))));
        st.apply(&stamp(
            1,
            1_000,
            Event::StepStarted {
                step: "capture.a".into(),
                attempt: 1,
                pid: None,
                pgid: None,
                log: "l".into(),
            },
        ));
        let text = status_update(&plan, &st, None, 372_000);
        assert_eq!(
            text,
            "[DRILL] Rollback status: Roll back p (p)\n\
             Phase 1 of 2: capture - capture.a running (attempt 1) (0 of 2 steps done)\n\
             Elapsed 06:12; SLA 05:00 breached, 01:12 over\n\
             Escalation: level 1 (Retry with logging)\n\
             Run r1 by alice"
        );
    }
}

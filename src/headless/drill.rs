//! What a headless drill prints beyond a run's events: where its variable values came from,
//! the drill clock, and each step's `explain` text before the step, and how it answers the
//! questions a headless run would stop at (the trainee is the approver of record).

use crate::engine::{Input, Mode, Waiting};
use crate::session::Session;

/// The drill's values, their sources, and its clock; nothing for other runs.
pub fn preamble(s: &Session) -> Vec<String> {
    let Some(info) = s.state().info.as_ref().filter(|_| s.mode() == Mode::Drill) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let drilled: Vec<String> = info
        .var_sources
        .iter()
        .filter(|(_, source)| source.starts_with("drill "))
        .map(|(k, source)| {
            let v = info
                .vars
                .iter()
                .find(|(n, _)| n == k)
                .map_or("", |(_, v)| v.as_str());
            format!("{k} = {} ({source})", crate::text::inline(v))
        })
        .collect();
    if !drilled.is_empty() {
        out.push(format!("drill values: {}", drilled.join(" · ")));
    }
    let speed = info.speed();
    if speed > 1.0 {
        out.push(format!(
            "drill clock: x{} (SLA, escalations and simulated steps run {} times faster)",
            crate::engine::clock::factor_text(speed),
            crate::engine::clock::factor_text(speed),
        ));
    }
    out
}

/// The `explain` text of flat step `i`, as lines to print.
pub fn explain(s: &Session, i: usize) -> Option<String> {
    let (pi, si) = s.locate(i);
    let text = s.plan().phases[pi].steps[si].explain.as_deref()?;
    let key = &s.state().steps.get(i)?.key;
    Some(format!(
        "  explain {key}: {}",
        crate::text::inline(&crate::text::flow(text))
    ))
}

/// A headless drill acknowledges each escalation as the trainee when it is raised, as it
/// passes gates: nobody is there to do it, and a drill played to its end in CI is not a
/// trainee's mistake.
/// `None` once `done` (the level last acknowledged) covers it, so a refusal never loops.
pub fn acknowledge(s: &Session, done: &mut u8) -> Option<Input> {
    let level = s.state().unacknowledged()?;
    if s.mode() != Mode::Drill || s.state().end.is_some() || level <= *done {
        return None;
    }
    *done = level;
    Some(Input::Acknowledge { by: trainee(s) })
}

/// Who answers for a headless drill: its trainee (`--trainee`, else the operator).
fn trainee(s: &Session) -> String {
    s.state()
        .info
        .as_ref()
        .and_then(|i| i.drill.as_ref())
        .map_or_else(|| s.operator().to_string(), |d| d.trainee.clone())
}

/// What a headless drill answers when no flag does: gates, manual checks and the point of no
/// return pass as the trainee, so a drill of any plan plays to its end.
pub fn answer(waiting: &Waiting, s: &Session) -> Option<Input> {
    if s.mode() != Mode::Drill {
        return None;
    }
    let by = trainee(s);
    match waiting {
        Waiting::Approval(_) => Some(Input::Approve { by }),
        Waiting::PointOfNoReturn(_) => Some(Input::ConfirmPointOfNoReturn { by }),
        Waiting::Manual(_) => Some(Input::ConfirmManual {
            by,
            note: Some("confirmed by the headless drill".into()),
        }),
        _ => None,
    }
}

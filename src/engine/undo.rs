//! Taking back events applied to a state: what a decision changed, kept before it changed it.
//! A decision tries its events out on the live state and puts it back afterwards, so its
//! cost does not grow with the plan (a copy of the state would copy every step).

use super::state::{RunState, StepState};

/// The state as it was before some events: the fields beside the steps, and each step an
/// event touched, as first seen.
#[derive(Debug, Default)]
pub struct Undo {
    fields: Option<Box<RunState>>,
    steps: Vec<(usize, StepState)>,
}

impl Undo {
    /// Keeps the fields (once) and step `step` (once) of `st` before they change.
    pub(super) fn save(&mut self, st: &RunState, step: Option<usize>) {
        if self.fields.is_none() {
            self.fields = Some(Box::new(st.without_steps()));
        }
        if let Some(i) = step
            && let Some(s) = st.steps.get(i)
            && !self.steps.iter().any(|(j, _)| *j == i)
        {
            self.steps.push((i, s.clone()));
        }
    }
}

impl RunState {
    /// Everything but the steps (which are left empty).
    fn without_steps(&self) -> RunState {
        RunState {
            info: self.info.clone(),
            mode: self.mode,
            operator: self.operator.clone(),
            started_ms: self.started_ms,
            steps: Vec::new(),
            index: self.index.clone(),
            rules: self.rules.clone(),
            regions: self.regions.clone(),
            first_open: self.first_open,
            running: self.running.clone(),
            escalation: self.escalation,
            escalation_action: self.escalation_action.clone(),
            escalations: self.escalations.clone(),
            acknowledged: self.acknowledged,
            sla_breached: self.sla_breached,
            ponr_passed: self.ponr_passed.clone(),
            orphans: self.orphans.clone(),
            paths_taken: self.paths_taken,
            end: self.end.clone(),
            left: self.left,
            resumes: self.resumes,
            last_seq: self.last_seq,
            last_ts_ms: self.last_ts_ms,
        }
    }

    /// Puts back what the events applied with `apply_undoable` since `undo` was new changed.
    pub fn restore(&mut self, undo: Undo) {
        if let Some(fields) = undo.fields {
            let steps = std::mem::take(&mut self.steps);
            *self = *fields;
            self.steps = steps;
        }
        for (i, s) in undo.steps {
            self.steps[i] = s;
        }
    }
}

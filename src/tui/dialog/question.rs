//! The questions the run asks: which dialog asks what it waits for, when one is opened
//! (by itself, or again with Enter), and when an open one no longer applies.

use super::{Modal, approval, manual};
use crate::engine::Waiting;
use crate::tui::app::App;

impl App {
    /// Opens the dialog that asks what the run waits for, if it waits for an answer: fresh
    /// (every field empty, the approver's filled with the operator's name) and guarded.
    pub(crate) fn ask(&mut self, waiting: &Waiting) {
        self.modal = Some(match waiting {
            Waiting::Approval(_) => {
                Modal::Approval(approval::field(self.session.operator(), self.theme))
            }
            Waiting::Manual(_) => Modal::Manual(manual::field()),
            Waiting::PointOfNoReturn(_) => Modal::PointOfNoReturn { enter: false },
            Waiting::Failure(_) => Modal::Failure,
            Waiting::RegionFailure(_) => Modal::RegionFailure,
            Waiting::Interrupted(_) => Modal::Interrupted,
            Waiting::Orphan { .. } => Modal::Orphan,
            Waiting::Finished(_) => Modal::Finished,
            _ => return,
        });
        self.asked = Some(waiting.clone());
        self.arm_guard();
    }

    /// Whether the open dialog no longer applies: the run asks something else now (another
    /// step's check is another question, with its own empty note), or the step to skip is
    /// no longer the one that can be.
    pub(crate) fn stale(&self, modal: &Modal, waiting: &Waiting) -> bool {
        match modal {
            Modal::Skip(_, step) => waiting.skippable() != Some(*step),
            m if m.is_question() => self.asked.as_ref() != Some(waiting),
            _ => false,
        }
    }
}

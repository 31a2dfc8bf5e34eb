//! The guard of a question: the run opens it by itself (or Enter opens it again), so a key
//! that comes before it has been on screen a moment was meant for what was there before:
//! a held or doubled key, one typed as the dialog appeared. Every such key is dropped,
//! whatever it is, and the key line says the keys come in a moment. The moment counts
//! from the first frame that shows the dialog, so keys read before it is drawn are
//! dropped however long the drawing took. A field a key opened (`n`, `s`, `a`, `i`) drops a
//! doubled press of that key for the same moment.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Modal;
use crate::tui::app::App;

/// When the question was first drawn, if it has been; the key that opened a field, and
/// when.
#[derive(Default)]
pub struct Guard {
    armed: bool,
    shown_ms: Cell<Option<i64>>,
    opener: Option<(KeyCode, i64)>,
}

impl App {
    /// A question opens: its guard holds until it has been drawn for `guard_ms`.
    pub(crate) fn arm_guard(&mut self) {
        self.guard.armed = true;
        self.guard.shown_ms.set(None);
    }

    /// Before a key is handled: whether it is the key that just opened the field again (a
    /// doubled or repeated press); only until another key comes.
    pub(crate) fn repeats_opener(&mut self, key: KeyEvent) -> bool {
        let Some((code, at)) = self.guard.opener.take() else {
            return false;
        };
        let field = self.modal.as_ref().is_some_and(Modal::has_field);
        let again = field && key.code == code && self.session.now_ms() - at < self.guard_ms;
        if again {
            self.guard.opener = Some((code, at));
        }
        again
    }

    /// After a key is handled: if it opened a field (`had_field` tells what was open
    /// before), a repeat of it is dropped for a moment.
    pub(crate) fn note_opener(&mut self, key: KeyEvent, had_field: bool) {
        if !had_field && self.modal.as_ref().is_some_and(Modal::has_field) {
            self.guard.opener = Some((key.code, self.session.now_ms()));
        }
    }

    /// The open dialog was drawn now; the guard counts from its first frame.
    pub(crate) fn drawn(&self) {
        if self.guard.armed && self.guard.shown_ms.get().is_none() {
            self.guard.shown_ms.set(Some(self.session.now_ms()));
        }
    }

    /// The open question does not take its keys yet.
    pub fn guarded(&self) -> bool {
        self.guard_ms > 0
            && self.guard.armed
            && !self.help
            && self.modal.as_ref().is_some_and(Modal::is_question)
            && self
                .guard
                .shown_ms
                .get()
                .is_none_or(|t| self.session.now_ms() - t < self.guard_ms)
    }

    /// When the guard ends, for the screen to show the dialog's keys then.
    pub fn guard_ends_ms(&self) -> Option<i64> {
        let shown = self.guard.shown_ms.get()?;
        self.guarded().then_some(shown + self.guard_ms)
    }

    /// The keys that pass the guard: ctrl-c (it only asks), and `q` where it is not typed
    /// into a field (on the summary it leaves a run that has ended).
    pub(crate) fn passes_guard(&self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') => ctrl,
            KeyCode::Char('q') => !ctrl && !self.modal.as_ref().is_some_and(Modal::has_field),
            _ => false,
        }
    }
}

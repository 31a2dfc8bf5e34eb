//! The dialogs over the run screen, one file each with its words and its keys. A question
//! the run asks opens by itself and takes keys only once it has been on screen a moment
//! (`guard`); Esc closes any dialog and never quits; `?` opens help over any of them.

mod abort;
mod approval;
mod failure;
mod finished;
pub(crate) mod guard;
mod help;
mod impact;
mod interrupted;
mod manual;
mod note;
mod orphan;
mod point_of_no_return;
mod question;
mod quit;
mod region_failure;
mod skip;
pub(crate) mod start_help;
mod status_update;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui_textarea::TextArea;

use super::app::App;
use super::theme::Theme;
use crate::plan::{Phase, Step};
use crate::session::Session;

pub use quit::{QuitChoice, quit_options};

/// A dialog over the run screen.
pub enum Modal {
    Approval(TextArea<'static>),
    Manual(TextArea<'static>),
    /// `enter`: Enter was pressed, and the dialog says why it did nothing.
    PointOfNoReturn {
        enter: bool,
    },
    Failure,
    /// A region failed for good under `on_region_failure: ask`: first, what happens to it.
    RegionFailure,
    /// The failed region is left failed: what happens to the other regions.
    RegionOthers,
    Interrupted,
    Orphan,
    /// A reason to skip step `.1`.
    Skip(TextArea<'static>, usize),
    Abort(TextArea<'static>),
    Note(TextArea<'static>),
    Status(String),
    Quit(usize),
    Finished,
    /// An impact figure for the report, typed as `KEY=VALUE` on the summary.
    Impact(TextArea<'static>),
}

impl Modal {
    /// A question the run asks: it opens by itself, is guarded, and closes when the run
    /// moves on.
    pub fn is_question(&self) -> bool {
        matches!(
            self,
            Modal::Approval(_)
                | Modal::Manual(_)
                | Modal::PointOfNoReturn { .. }
                | Modal::Failure
                | Modal::RegionFailure
                | Modal::RegionOthers
                | Modal::Interrupted
                | Modal::Orphan
                | Modal::Finished
        )
    }

    /// It has a text field, where a letter is typed rather than obeyed.
    pub fn has_field(&self) -> bool {
        matches!(
            self,
            Modal::Approval(_)
                | Modal::Manual(_)
                | Modal::Skip(..)
                | Modal::Abort(_)
                | Modal::Note(_)
                | Modal::Impact(_)
        )
    }
}

/// What a dialog shows: its title, its text, its input and its keys.
pub struct Dialog<'a> {
    pub title: String,
    pub title_style: Style,
    pub body: Text<'a>,
    pub input: Option<(&'a TextArea<'static>, u16)>,
    pub keys: Line<'static>,
    pub width: u16,
}

/// A key line: each key, then what it does.
pub(crate) fn keys(t: Theme, pairs: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in pairs {
        spans.push(Span::styled(format!(" {k}"), t.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    Line::from(spans)
}

/// What the guard shows before the key line: the keys are there to read, dimmed, and
/// work in a moment.
pub const GUARD_MARK: &str = " keys in a moment:";

/// The key line while the guard holds: the same keys, dimmed, after `GUARD_MARK`.
fn soon(t: Theme, keys: Line<'static>) -> Line<'static> {
    // A pair of its own, as the key line is cut into rows between pairs.
    let mut spans = vec![Span::styled(GUARD_MARK, t.dim()), Span::raw("")];
    spans.extend(
        keys.spans
            .into_iter()
            .map(|s| Span::styled(s.content, t.dim())),
    );
    Line::from(spans)
}

pub(crate) fn text_area(placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_placeholder_text(placeholder);
    t.set_cursor_line_style(Style::new());
    t
}

pub(crate) fn text_of(t: &TextArea) -> String {
    t.lines().join("\n").trim().to_string()
}

/// Enter without Alt: the dialog's answer.
fn is_enter(key: KeyEvent) -> bool {
    key.code == KeyCode::Enter && !key.modifiers.contains(KeyModifiers::ALT)
}

/// Alt-Enter or Ctrl-J: a new line in a text that may have several.
fn is_newline(key: KeyEvent) -> bool {
    (key.code == KeyCode::Enter && key.modifiers.contains(KeyModifiers::ALT))
        || (key.code == KeyCode::Char('j') && key.modifiers.contains(KeyModifiers::CONTROL))
}

/// The step the run waits on (the one the open question is about).
fn current(s: &Session) -> usize {
    s.state().waiting().step().unwrap_or(0)
}

/// The phase and plan step of step `i`.
fn step_of(s: &Session, i: usize) -> (&Phase, &Step) {
    let (pi, si) = s.locate(i);
    let phase = &s.plan().phases[pi];
    (phase, s.plan_step(i).unwrap_or(&phase.steps[si]))
}

/// The dialog on top, if any: help over everything, else the open dialog.
pub fn dialog(app: &App) -> Option<Dialog<'_>> {
    let t = app.theme;
    let mut d = if app.help {
        help::view(t)
    } else {
        match app.modal.as_ref()? {
            Modal::Approval(field) => approval::view(app, field),
            Modal::Manual(field) => manual::view(app, field),
            Modal::PointOfNoReturn { enter } => point_of_no_return::view(app, *enter),
            Modal::Failure => failure::view(&app.session, t),
            Modal::RegionFailure => region_failure::view(&app.session, t),
            Modal::RegionOthers => region_failure::others_view(&app.session, t),
            Modal::Interrupted => interrupted::view(&app.session, t),
            Modal::Orphan => orphan::view(&app.session, t),
            Modal::Skip(field, step) => skip::view(app, field, *step),
            Modal::Abort(field) => abort::view(app, field),
            Modal::Note(field) => note::view(t, field),
            Modal::Status(text) => status_update::view(t, text),
            Modal::Quit(choice) => quit::view(app, *choice),
            Modal::Finished => finished::view(&app.session, app.windows_after, t),
            Modal::Impact(field) => impact::view(t, field),
        }
    };
    if app.guarded() {
        d.keys = soon(t, std::mem::take(&mut d.keys));
    }
    Some(d)
}

impl App {
    /// Closes the open dialog; a question closed this way stays closed until Enter or
    /// until the run asks something else.
    pub(crate) fn close(&mut self) {
        if self.modal.as_ref().is_some_and(Modal::is_question) {
            self.dismissed = Some(self.session.state().waiting());
        }
        self.modal = None;
    }

    /// A key for the open dialog.
    pub(crate) fn modal_key(&mut self, key: KeyEvent) {
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c && !matches!(self.modal, Some(Modal::Quit(_))) {
            self.modal = Some(Modal::Quit(0));
            return;
        }
        if key.code == KeyCode::Esc {
            return self.close();
        }
        let Some(modal) = self.modal.as_ref() else {
            return;
        };
        // The escalation banner's key works over a dialog that types nothing: the banner
        // says to press it, whatever is open.
        let ack = key.code == KeyCode::Char('e') && key.modifiers.is_empty();
        if ack && !modal.has_field() && self.session.state().unacknowledged().is_some() {
            let by = self.session.operator().to_string();
            return self.send(crate::engine::Input::Acknowledge { by });
        }
        match modal {
            Modal::Approval(_) => approval::key(self, key),
            Modal::Manual(_) => manual::key(self, key),
            Modal::PointOfNoReturn { .. } => point_of_no_return::key(self, key),
            Modal::Failure => failure::key(self, key),
            Modal::RegionFailure => region_failure::key(self, key),
            Modal::RegionOthers => region_failure::others_key(self, key),
            Modal::Interrupted => interrupted::key(self, key),
            Modal::Orphan => orphan::key(self, key),
            Modal::Skip(..) => skip::key(self, key),
            Modal::Abort(_) => abort::key(self, key),
            Modal::Note(_) => note::key(self, key),
            Modal::Status(_) => self.modal = None,
            Modal::Quit(_) => quit::key(self, key),
            Modal::Finished => finished::key(self, key),
            Modal::Impact(_) => impact::key(self, key),
        }
    }

    /// Opens the skip dialog for the step the run waits on, if one can be skipped.
    pub(crate) fn ask_skip(&mut self) -> bool {
        let Some(step) = self.session.state().waiting().skippable() else {
            return false;
        };
        self.modal = Some(Modal::Skip(
            text_area("why is it skipped? (recorded)"),
            step,
        ));
        true
    }

    pub(crate) fn ask_abort(&mut self) {
        self.modal = Some(Modal::Abort(text_area("why? (recorded)")));
    }
}

//! A manual check: the operator confirms having checked it, with an optional note. Each
//! check starts with an empty note.

use crossterm::event::KeyEvent;
use ratatui::text::{Line, Text};
use ratatui_textarea::TextArea;

use super::{Dialog, Modal, current, is_enter, is_newline, keys, step_of, text_of};
use crate::engine::Input;
use crate::text;
use crate::tui::app::App;

pub(crate) fn field() -> TextArea<'static> {
    super::text_area("optional note for the record")
}

pub(super) fn view<'a>(app: &'a App, field: &'a TextArea<'static>) -> Dialog<'a> {
    let (t, s) = (app.theme, &app.session);
    let i = current(s);
    let (_, step) = step_of(s, i);
    Dialog {
        title: format!("Manual check: {}", s.state().steps[i].key),
        title_style: t.waiting(),
        body: Text::from(vec![
            Line::styled(text::flow(step.action().1), t.bold()),
            Line::raw(""),
            Line::raw("Confirm once you have checked it yourself. A note is optional."),
        ]),
        input: Some((field, 3)),
        keys: keys(
            t,
            &[
                ("enter", "confirm"),
                ("alt-enter", "new line"),
                ("esc", "not yet"),
            ],
        ),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let by = app.session.operator().to_string();
    let Some(Modal::Manual(field)) = app.modal.as_mut() else {
        return;
    };
    if is_newline(key) {
        field.insert_newline();
    } else if is_enter(key) {
        let note = Some(text_of(field));
        app.send(Input::ConfirmManual { by, note });
    } else {
        field.input(key);
    }
}

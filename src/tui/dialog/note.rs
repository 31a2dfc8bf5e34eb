//! A note for the timeline, recorded with the time and the operator's name.

use crossterm::event::KeyEvent;
use ratatui::text::{Line, Text};
use ratatui_textarea::TextArea;

use super::{Dialog, Modal, is_enter, is_newline, keys, text_of};
use crate::engine::Input;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub(super) fn view<'a>(t: Theme, field: &'a TextArea<'static>) -> Dialog<'a> {
    Dialog {
        title: "Note for the timeline".into(),
        title_style: t.title(),
        body: Text::from(vec![Line::raw("Recorded with the time and your name.")]),
        input: Some((field, 4)),
        keys: keys(
            t,
            &[
                ("enter", "save"),
                ("alt-enter", "new line"),
                ("esc", "cancel"),
            ],
        ),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let by = app.session.operator().to_string();
    let Some(Modal::Note(field)) = app.modal.as_mut() else {
        return;
    };
    if is_newline(key) {
        field.insert_newline();
    } else if is_enter(key) {
        let text = text_of(field);
        app.modal = None;
        app.send(Input::Note { by, text });
    } else {
        field.input(key);
    }
}

//! Aborting the rollback, with a reason; past the point of no return it says what that
//! means.

use crossterm::event::KeyEvent;
use ratatui::text::{Line, Text};
use ratatui_textarea::TextArea;

use super::{Dialog, Modal, is_enter, keys, text_of};
use crate::engine::Input;
use crate::tui::app::App;

pub(super) fn view<'a>(app: &'a App, field: &'a TextArea<'static>) -> Dialog<'a> {
    let t = app.theme;
    let mut body = vec![Line::raw(
        "Stop the rollback here? Running commands are killed.",
    )];
    if app.session.state().ponr_passed.is_some() {
        body.push(Line::styled(
            "⚠ The point of no return is passed: the system may be half rolled back. Aborting raises the escalation level.",
            t.failed(),
        ));
    }
    Dialog {
        title: "Abort the rollback".into(),
        title_style: t.failed(),
        body: Text::from(body),
        input: Some((field, 1)),
        keys: keys(t, &[("enter", "abort"), ("esc", "cancel, go on")]),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let by = app.session.operator().to_string();
    let Some(Modal::Abort(field)) = app.modal.as_mut() else {
        return;
    };
    if is_enter(key) {
        let reason = Some(text_of(field))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "aborted by the operator".into());
        app.modal = None;
        app.send(Input::Abort { by, reason });
    } else {
        field.input(key);
    }
}

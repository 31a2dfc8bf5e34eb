//! Skipping the step the run waits on, with a reason (recorded).

use crossterm::event::KeyEvent;
use ratatui::text::{Line, Text};
use ratatui_textarea::TextArea;

use super::{Dialog, Modal, is_enter, keys, text_of};
use crate::engine::Input;
use crate::tui::app::App;

pub(super) fn view<'a>(app: &'a App, field: &'a TextArea<'static>, step: usize) -> Dialog<'a> {
    let t = app.theme;
    let key = app.session.state().steps.get(step).map(|s| s.key.as_str());
    Dialog {
        title: format!("Skip {}", key.unwrap_or_default()),
        title_style: t.waiting(),
        body: Text::from(vec![Line::raw(
            "Why is this step skipped? The reason is recorded.",
        )]),
        input: Some((field, 1)),
        keys: keys(t, &[("enter", "skip it"), ("esc", "cancel")]),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let by = app.session.operator().to_string();
    let Some(Modal::Skip(field, _)) = app.modal.as_mut() else {
        return;
    };
    if is_enter(key) {
        let reason = text_of(field);
        app.send(Input::Skip { by, reason });
        if app.flash.is_none() {
            app.modal = None;
        }
    } else {
        field.input(key);
    }
}

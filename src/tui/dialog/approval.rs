//! An approval gate: who approves, recorded. The field holds the operator's name, ready
//! for Enter; typing replaces it with someone else's.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Text};
use ratatui_textarea::TextArea;

use super::{Dialog, Modal, current, is_enter, keys, step_of, text_of};
use crate::engine::Input;
use crate::text;
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// The field as the gate opens: `name`, selected, so the first letter typed replaces it.
pub(crate) fn field(name: &str, t: Theme) -> TextArea<'static> {
    let mut field = super::text_area("type the approver's name");
    field.set_selection_style(t.selected());
    field.insert_str(name);
    field.select_all();
    field
}

pub(super) fn view<'a>(app: &'a App, field: &'a TextArea<'static>) -> Dialog<'a> {
    let (t, s) = (app.theme, &app.session);
    let i = current(s);
    let (_, step) = step_of(s, i);
    let mut body = vec![Line::styled(text::flow(step.action().1), t.bold())];
    if let Some(role) = &step.role {
        body.push(Line::raw(format!("Who approves: {}", text::inline(role))));
    }
    body.push(Line::raw(""));
    body.push(Line::raw(
        "Enter records the name below as the approver; typing replaces it.",
    ));
    Dialog {
        title: format!("Approval gate: {}", s.state().steps[i].key),
        title_style: t.waiting(),
        body: Text::from(body),
        input: Some((field, 1)),
        keys: keys(
            t,
            &[
                ("enter", "approve"),
                ("tab", &format!("your name ({})", s.operator())),
                ("esc", "not yet"),
            ],
        ),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let (by, t) = (app.session.operator().to_string(), app.theme);
    let Some(Modal::Approval(field)) = app.modal.as_mut() else {
        return;
    };
    if is_enter(key) {
        let name = text_of(field);
        app.send(Input::Approve { by: name });
    } else if key.code == KeyCode::Tab {
        *field = self::field(&by, t);
    } else {
        field.input(key);
    }
}

//! The point of no return. Only `y` confirms it: Enter is the key an operator under stress
//! presses again and again, and a doubled Enter must not pass a point that cannot be undone.
//! Enter here says to press y instead of doing nothing silently.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Text};

use super::{Dialog, Modal, current, is_enter, keys, step_of};
use crate::engine::Input;
use crate::plan::{Step, StepKind};
use crate::text;
use crate::tui::app::App;

/// What kind of step it is, in words.
fn action_line(step: &Step) -> &'static str {
    match step.kind() {
        StepKind::Run => "a command",
        StepKind::Check => "a check",
        StepKind::Approve => "an approval gate",
        StepKind::Manual => "a manual check",
    }
}

pub(super) fn view(app: &App, enter: bool) -> Dialog<'_> {
    let (t, s) = (app.theme, &app.session);
    let i = current(s);
    let (phase, step) = step_of(s, i);
    let what = if step.point_of_no_return.set {
        format!("step {}", s.state().steps[i].key)
    } else {
        format!("phase {} ({})", phase.id.value, text::inline(phase.title()))
    };
    let mut body = vec![
        Line::styled(format!("Entering {what} cannot be undone."), t.bold()),
        Line::raw(""),
        Line::raw(format!(
            "Next: {} ({})",
            text::inline(step.title()),
            action_line(step)
        )),
    ];
    if let Some(e) = &step.explain {
        body.push(Line::styled(text::flow(e), t.dim()));
    }
    body.push(Line::raw(""));
    body.push(Line::raw(
        "After this point, aborting stops the rollback half way and escalates.",
    ));
    if enter {
        body.push(Line::raw(""));
        body.push(Line::styled(
            "Press y to confirm: enter does not pass a point of no return.",
            t.alarm(),
        ));
    }
    Dialog {
        title: "⚠ Point of no return".into(),
        title_style: t.alarm(),
        body: Text::from(body),
        input: None,
        keys: keys(t, &[("y", "confirm and go on"), ("n/esc", "not yet")]),
        width: 76,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let by = app.session.operator().to_string();
    match key.code {
        KeyCode::Char('y' | 'Y') => app.send(Input::ConfirmPointOfNoReturn { by }),
        KeyCode::Char('n') => app.close(),
        _ if is_enter(key) => app.modal = Some(Modal::PointOfNoReturn { enter: true }),
        _ => {}
    }
}

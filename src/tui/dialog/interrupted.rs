//! A step that was running when rollback stopped: run it again, skip it, or abort.

use crossterm::event::KeyEvent;
use ratatui::text::{Line, Text};

use super::{Dialog, current, keys};
use crate::session::Session;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub(super) fn view(s: &Session, t: Theme) -> Dialog<'_> {
    let i = current(s);
    let key = &s.state().steps[i].key;
    Dialog {
        title: format!("? Interrupted: {key}"),
        title_style: t.waiting(),
        body: Text::from(vec![Line::raw(format!(
            "{key} was running when rollback stopped (attempt {}). It may or may not have done its work: check before deciding.",
            s.state().steps[i].attempts_used()
        ))]),
        input: None,
        keys: keys(
            t,
            &[
                ("r", "run it again"),
                ("s", "skip (it is done)…"),
                ("a", "abort…"),
                ("esc", "look first"),
            ],
        ),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    super::failure::decide(app, key, false);
}

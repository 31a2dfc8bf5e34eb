//! A command left running by the rollback that stopped: wait for it, or kill it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Text};

use super::{Dialog, keys};
use crate::engine::{Input, Waiting};
use crate::session::Session;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub(super) fn view(s: &Session, t: Theme) -> Dialog<'_> {
    let (i, pgid) = match s.state().waiting() {
        Waiting::Orphan { step, pgid } => (step, pgid),
        _ => (0, 0),
    };
    Dialog {
        title: "Still running from before".into(),
        title_style: t.waiting(),
        body: Text::from(vec![Line::raw(format!(
            "{} is still running (process group {pgid}), left by the rollback that stopped. Nothing new starts until it is gone.",
            s.state().steps[i].key
        ))]),
        input: None,
        keys: keys(
            t,
            &[
                ("w", "wait for it to end"),
                ("k", "kill it"),
                ("esc", "look first"),
            ],
        ),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let by = app.session.operator().to_string();
    let input = match key.code {
        KeyCode::Char('w') => Input::WaitOrphan { by },
        KeyCode::Char('k') => Input::KillOrphan { by },
        _ => return,
    };
    app.send(input);
    app.dismissed = Some(app.session.state().waiting());
    app.modal = None;
}

//! Leaving the run screen: stay, leave (a running step keeps running), or stop and leave.
//! The run stays resumable whatever is chosen.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Style;
use ratatui::text::{Line, Text};

use super::{Dialog, Modal, keys};
use crate::engine::{Input, RunState, Waiting};
use crate::tui::app::{App, Leaving};

/// What leaving can mean now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitChoice {
    Stay,
    /// A command from before the restart is waited for: kill it instead (and stay).
    KillOrphan,
    /// Leave; a running command (or one from before) keeps running.
    Leave,
    StopAndLeave,
}

/// The quit dialog's choices, in order, with their labels; its keys and its text both come
/// from here.
pub fn quit_options(st: &RunState) -> Vec<(String, QuitChoice)> {
    let key = |i: usize| st.steps[i].key.clone();
    match (st.running(), st.waiting()) {
        (Some(i), _) => vec![
            ("Stay".into(), QuitChoice::Stay),
            (
                format!("Leave {} running and quit", key(i)),
                QuitChoice::Leave,
            ),
            (
                format!("Stop {} and quit", key(i)),
                QuitChoice::StopAndLeave,
            ),
        ],
        (None, Waiting::Orphan { step, .. }) => vec![
            (format!("Keep waiting for {}", key(step)), QuitChoice::Stay),
            (
                format!("Kill {} (from before) and stay", key(step)),
                QuitChoice::KillOrphan,
            ),
            (
                format!("Leave {} running and quit", key(step)),
                QuitChoice::Leave,
            ),
        ],
        _ => vec![
            ("Stay".into(), QuitChoice::Stay),
            ("Quit".into(), QuitChoice::Leave),
        ],
    }
}

pub(super) fn view(app: &App, choice: usize) -> Dialog<'_> {
    let (t, s) = (app.theme, &app.session);
    let mut body = vec![
        Line::raw(format!(
            "The run stays resumable: rollback resume {}",
            s.run().id
        )),
        Line::raw(""),
    ];
    for (n, (label, _)) in quit_options(s.state()).into_iter().enumerate() {
        let style = if n == choice {
            t.selected()
        } else {
            Style::new()
        };
        body.push(Line::styled(format!(" {} {label} ", n + 1), style));
    }
    Dialog {
        title: "Leave the run?".into(),
        title_style: t.title(),
        body: Text::from(body),
        input: None,
        keys: keys(t, &[("↑↓", "choose"), ("enter", "do it"), ("esc", "stay")]),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let options = quit_options(app.session.state()).len();
    let Some(Modal::Quit(choice)) = app.modal.as_mut() else {
        return;
    };
    match key.code {
        KeyCode::Up | KeyCode::Left | KeyCode::BackTab => {
            *choice = (*choice + options - 1) % options
        }
        KeyCode::Down | KeyCode::Right | KeyCode::Tab => *choice = (*choice + 1) % options,
        KeyCode::Char(d @ '1'..='3') => {
            let n = d as usize - '1' as usize;
            if n < options {
                quit_choice(app, n);
            }
        }
        KeyCode::Enter => {
            let n = *choice;
            quit_choice(app, n);
        }
        KeyCode::Char('q') => app.modal = None,
        _ => {}
    }
}

/// Carries out the `n`th of `quit_options`.
fn quit_choice(app: &mut App, n: usize) {
    app.modal = None;
    let Some((_, choice)) = quit_options(app.session.state()).into_iter().nth(n) else {
        return;
    };
    let by = app.session.operator().to_string();
    match choice {
        QuitChoice::Stay => {}
        QuitChoice::KillOrphan => app.send(Input::KillOrphan { by }),
        QuitChoice::Leave => {
            app.send(Input::Leave {
                reason: "operator quit".into(),
                terminate: false,
            });
            app.leaving = Some(Leaving::Now);
        }
        QuitChoice::StopAndLeave => {
            app.send(Input::Leave {
                reason: "operator quit and stopped the running step".into(),
                terminate: true,
            });
            app.leaving = Some(Leaving::AfterKill);
        }
    }
}

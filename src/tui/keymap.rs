//! Keys of the run screen: one table, from which key handling, the hint line and the help
//! screen are all derived, so none of them can disagree with the others.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the operator asked for on the run screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Do what the run waits for: open the gate, the check, the decision.
    Next,
    Retry,
    Skip,
    Abort,
    /// Take the plan's alternative path for a step that failed for good.
    Alternative,
    Acknowledge,
    Note,
    StatusUpdate,
    Help,
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Follow,
}

/// One row of the key table.
pub struct Binding {
    pub keys: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// Shown in the hint line (when it applies); the rest only in help.
    pub hint: Option<&'static str>,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "enter",
        action: Action::Next,
        help: "open what the run waits for: a gate, a check, a decision",
        hint: None,
    },
    Binding {
        keys: "r",
        action: Action::Retry,
        help: "retry a failed or interrupted step (now, if a retry is pending)",
        hint: Some("retry"),
    },
    Binding {
        keys: "s",
        action: Action::Skip,
        help: "skip the step the run waits on, with a reason",
        hint: Some("skip"),
    },
    Binding {
        keys: "a",
        action: Action::Abort,
        help: "abort the rollback (asks first, says what it means)",
        hint: Some("abort"),
    },
    Binding {
        keys: "p",
        action: Action::Alternative,
        help: "take the plan's alternative path for a failed step",
        hint: Some("alternative path"),
    },
    Binding {
        keys: "e",
        action: Action::Acknowledge,
        help: "acknowledge the escalation banner",
        hint: Some("ack escalation"),
    },
    Binding {
        keys: "n",
        action: Action::Note,
        help: "add a note to the timeline",
        hint: Some("note"),
    },
    Binding {
        keys: "u",
        action: Action::StatusUpdate,
        help: "status update for stakeholders (also recorded)",
        hint: Some("status"),
    },
    Binding {
        keys: "?",
        action: Action::Help,
        help: "this help, from any dialog too",
        hint: Some("help"),
    },
    Binding {
        keys: "q  ctrl-c",
        action: Action::Quit,
        help: "leave (asks; the run stays resumable)",
        hint: Some("quit"),
    },
    Binding {
        keys: "↑ ↓  k j",
        action: Action::Up,
        help: "select a step (its output shows on the right)",
        hint: None,
    },
    Binding {
        keys: "pgup pgdn",
        action: Action::PageUp,
        help: "scroll the output",
        hint: None,
    },
    Binding {
        keys: "home end",
        action: Action::Top,
        help: "output: oldest kept line / newest line",
        hint: None,
    },
    Binding {
        keys: "f",
        action: Action::Follow,
        help: "follow the running step and its newest output again",
        hint: Some("follow"),
    },
];

/// The action for a key on the run screen, if any.
pub fn action(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        _ if ctrl => return None,
        KeyCode::Enter => Action::Next,
        KeyCode::Char('r') => Action::Retry,
        KeyCode::Char('s') => Action::Skip,
        KeyCode::Char('a') => Action::Abort,
        KeyCode::Char('p') => Action::Alternative,
        KeyCode::Char('e') => Action::Acknowledge,
        KeyCode::Char('n') => Action::Note,
        KeyCode::Char('u') => Action::StatusUpdate,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home => Action::Top,
        KeyCode::End => Action::Bottom,
        KeyCode::Char('f') => Action::Follow,
        _ => return None,
    })
}

/// The binding of an action, for hints.
pub fn binding(action: Action) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.action == action)
}

/// The key to show for an action in the hint line.
pub fn short_key(action: Action) -> &'static str {
    match binding(action).map(|b| b.keys) {
        Some(k) => k.split_whitespace().next().unwrap_or(k),
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_in_the_table_is_reachable_by_its_first_key() {
        for b in BINDINGS {
            let first = b.keys.split_whitespace().next().unwrap();
            let code = match first {
                "enter" => KeyCode::Enter,
                "↑" => KeyCode::Up,
                "pgup" => KeyCode::PageUp,
                "home" => KeyCode::Home,
                k => KeyCode::Char(k.chars().next().unwrap()),
            };
            let got = action(KeyEvent::new(code, KeyModifiers::NONE));
            assert_eq!(got, Some(b.action), "{}", b.keys);
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action(ctrl_c), Some(Action::Quit), "ctrl-c asks, like q");
        assert_eq!(
            action(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            None,
            "esc never quits"
        );
    }
}

//! The bottom line: the keys that do something now, from the key table, or a message.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::keymap::{Action, binding, short_key};
use super::theme::Theme;
use crate::engine::{RunState, Waiting};

/// What Enter does now, in words, if anything.
pub fn next_words(w: &Waiting) -> Option<&'static str> {
    Some(match w {
        Waiting::Approval(_) => "open gate",
        Waiting::Manual(_) => "open check",
        Waiting::PointOfNoReturn(_) => "point of no return",
        Waiting::Failure(_)
        | Waiting::RegionFailure(_)
        | Waiting::Interrupted(_)
        | Waiting::Orphan { .. } => "open decision",
        Waiting::Finished(_) => "summary",
        _ => return None,
    })
}

/// The actions worth showing in the state the run is in, most urgent first.
pub fn actions(st: &RunState, following: bool) -> Vec<Action> {
    let w = st.waiting();
    let mut v = Vec::new();
    if next_words(&w).is_some() {
        v.push(Action::Next);
    }
    if st.unacknowledged().is_some() {
        v.push(Action::Acknowledge);
    }
    match w {
        Waiting::Failure(i) | Waiting::RegionFailure(i) if !st.alternatives_for(i).is_empty() => v
            .extend([
                Action::Alternative,
                Action::Retry,
                Action::Skip,
                Action::Abort,
            ]),
        Waiting::Failure(_)
        | Waiting::RegionFailure(_)
        | Waiting::Interrupted(_)
        | Waiting::Retry { .. } => v.extend([Action::Retry, Action::Skip, Action::Abort]),
        Waiting::Approval(_) | Waiting::Manual(_) | Waiting::PointOfNoReturn(_) => {
            v.extend([Action::Skip, Action::Abort])
        }
        Waiting::Finished(_) => {}
        _ => v.push(Action::Abort),
    }
    if st.end.is_none() {
        v.extend([Action::Note, Action::StatusUpdate]);
    }
    if !following {
        v.push(Action::Follow);
    }
    v.extend([Action::Help, Action::Quit]);
    v
}

pub struct Hints<'a> {
    pub state: &'a RunState,
    pub following: bool,
    pub flash: Option<&'a str>,
    pub theme: Theme,
}

impl Widget for Hints<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut spans = Vec::new();
        if let Some(msg) = self.flash {
            spans.push(Span::styled(format!(" {msg} "), t.waiting()));
        }
        let w = self.state.waiting();
        // Help and quit are always there: room for them is kept first.
        let reserved = " ? help  q quit ".len() + 2;
        let mut width: usize = spans.iter().map(|s| s.width()).sum::<usize>() + reserved;
        for a in actions(self.state, self.following) {
            let always = matches!(a, Action::Help | Action::Quit);
            let label = match a {
                Action::Next => next_words(&w).unwrap_or(""),
                a => binding(a).and_then(|b| b.hint).unwrap_or(""),
            };
            let key = short_key(a);
            let piece = format!(" {key} {label} ");
            if !always {
                if width + piece.len() + 1 > area.width as usize {
                    continue;
                }
                width += piece.len() + 1;
            }
            spans.push(Span::styled(format!(" {key}"), t.key()));
            spans.push(Span::raw(format!(" {label} ")));
        }
        Line::from(spans).render(area, buf);
    }
}

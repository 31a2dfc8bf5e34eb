//! Help over the start form: its keys, and why a `?` is never typed into a field.

use ratatui::text::{Line, Span, Text};

use super::{Dialog, keys};
use crate::tui::theme::Theme;

const KEYS: &[(&str, &str)] = &[
    ("enter", "next field; on the last one, start the rollback"),
    ("tab ↓", "next field"),
    ("shift-tab ↑", "previous field"),
    ("ctrl-c", "leave: nothing is started or recorded"),
    ("?", "this help"),
];

pub fn view(t: Theme) -> Dialog<'static> {
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>11}  "), t.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::raw(
        "A ? is never typed into a field: give a value that has one with --var NAME=VALUE or --var-file.",
    ));
    Dialog {
        title: "Keys".into(),
        title_style: t.title(),
        body: Text::from(lines),
        input: None,
        keys: keys(t, &[("any key", "close")]),
        width: 72,
    }
}

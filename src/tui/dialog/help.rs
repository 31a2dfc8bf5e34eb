//! Help over the run screen, from the key table: `?` opens it from anywhere, a dialog
//! included (the dialog is back as it was once help closes); any key closes it.

use ratatui::text::{Line, Span, Text};

use super::{Dialog, keys};
use crate::tui::keymap::BINDINGS;
use crate::tui::theme::Theme;

pub(super) fn view(t: Theme) -> Dialog<'static> {
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>11}  ", b.keys), t.key()),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "In dialogs: esc closes (never quits); the keys are shown at the bottom.",
        t.dim(),
    ));
    lines.push(Line::styled(
        "A ? is never typed into a field: it opens this help.",
        t.dim(),
    ));
    Dialog {
        title: "Keys".into(),
        title_style: t.title(),
        body: Text::from(lines),
        input: None,
        keys: keys(t, &[("any key", "close")]),
        width: 84,
    }
}

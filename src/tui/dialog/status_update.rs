//! The status update for stakeholders, recorded as it is shown, ready to copy.

use ratatui::text::{Line, Text};

use super::{Dialog, keys};
use crate::tui::theme::Theme;

pub(super) fn view(t: Theme, text: &str) -> Dialog<'_> {
    Dialog {
        title: "Status update (recorded)".into(),
        title_style: t.title(),
        body: Text::from(
            text.lines()
                .map(|l| Line::raw(l.to_string()))
                .collect::<Vec<_>>(),
        ),
        input: None,
        keys: keys(
            t,
            &[
                ("any key", "close"),
                ("", "select the text with the mouse to copy"),
            ],
        ),
        width: 100,
    }
}

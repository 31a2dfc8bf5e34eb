//! The `?` help of the screens beside the run screen (watch, dashboard, report, follow,
//! validation): a box over the screen listing its keys and what each does. Any key closes it
//! and does nothing else, so a key pressed to close the help never acts on the screen.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::theme::Theme;
use crate::text::fit_width;

/// A screen's keys, over it.
pub struct Help<'a> {
    pub title: &'a str,
    pub keys: &'a [(&'a str, &'a str)],
    pub theme: Theme,
}

/// Columns of the key column.
const KEY_W: usize = 12;

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let width = area.width.saturating_sub(4).min(72);
        let height = (self.keys.len() as u16 + 4).min(area.height);
        let rect = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        let inner = (width as usize).saturating_sub(4);
        let what_w = inner.saturating_sub(KEY_W + 1);
        let mut lines: Vec<Line> = self
            .keys
            .iter()
            .map(|(key, what)| {
                Line::from(vec![
                    Span::styled(format!(" {:<KEY_W$}", fit_width(key, KEY_W)), t.key()),
                    Span::raw(format!(" {}", fit_width(what, what_w))),
                ])
            })
            .collect();
        lines.push(Line::raw(""));
        lines.push(Line::styled(" any key closes this help", t.dim()));
        Clear.render(rect, buf);
        let title = fit_width(self.title, inner).into_owned();
        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.focus_border())
                    .title(Span::styled(format!(" {title} "), t.bold())),
            )
            .render(rect, buf);
    }
}

/// Renders `area` as a string, one line per row, for the screens' tests.
#[cfg(test)]
pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    (area.y..area.bottom())
        .map(|y| {
            let row: String = (area.x..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect();
            row.trim_end().to_string() + "\n"
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_each_key_with_what_it_does_within_80_columns() {
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        Help {
            title: "Watch: keys",
            keys: &[
                ("↑↓  k j", "select a trigger"),
                ("q  ctrl-c", "stop watching"),
            ],
            theme: Theme::plain(),
        }
        .render(area, &mut buf);
        let s = text(&buf);
        assert!(s.contains("Watch: keys"), "{s}");
        assert!(s.contains("↑↓  k j      select a trigger"), "{s}");
        assert!(s.contains("any key closes this help"), "{s}");
    }
}

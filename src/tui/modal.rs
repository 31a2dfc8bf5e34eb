//! Dialogs over the run screen. Each says what is asked, what the answer does, and which
//! keys give it; Esc always closes a dialog and never quits.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::App;
use super::dialog::{Dialog, dialog};
use super::theme::Theme;

/// A box of `w` x `h` cells centred in `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `rect` grown by one column on each side, within `area`.
fn margin(rect: Rect, area: Rect) -> Rect {
    let x = rect.x.saturating_sub(1).max(area.x);
    let right = (rect.x + rect.width + 1).min(area.x + area.width);
    Rect {
        x,
        width: right - x,
        ..rect
    }
}

/// Every dialog of a drill says so: nobody must take a drill's question for a real one.
fn drill_mark(app: &App) -> &'static str {
    if app.session.mode() == crate::engine::Mode::Drill {
        "DRILL · "
    } else {
        ""
    }
}

/// Rows a text takes when word-wrapped to `w` columns, as the dialog's paragraph wraps it.
fn wrapped(text: &Text, w: u16) -> u16 {
    let w = w.max(1) as usize;
    text.lines
        .iter()
        .map(|l| {
            let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            let (mut rows, mut used) = (1u16, 0usize);
            for word in s.split(' ') {
                let n = unicode_width::UnicodeWidthStr::width(word);
                let need = if used == 0 { n } else { used + 1 + n };
                if need > w && used > 0 {
                    rows += 1 + (n / w) as u16;
                    used = n % w;
                } else {
                    used = need;
                }
            }
            rows
        })
        .sum()
}

/// A key line cut into rows of at most `w` columns, between one key and the next.
fn key_rows(keys: Line<'static>, w: u16) -> Vec<Line<'static>> {
    let mut rows: Vec<Line<'static>> = vec![Line::default()];
    for pair in keys.spans.chunks(2) {
        let width: usize = pair.iter().map(Span::width).sum();
        let row = rows.last_mut().expect("one row at least");
        if row.width() > 0 && row.width() + width > w as usize {
            rows.push(Line::default());
        }
        let row = rows.last_mut().expect("one row at least");
        row.spans.extend(pair.iter().cloned());
        row.style = keys.style;
    }
    rows
}

/// The open dialog (or help), centred over the screen; it counts as shown from now.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(dialog) = dialog(app) else {
        return;
    };
    if !app.help {
        app.drawn();
    }
    draw_box(dialog, drill_mark(app), app.theme, area, buf);
}

/// A dialog's box: its title (after `mark`), its text, its input, and its keys, on as many
/// rows as they need.
pub fn draw_box(mut dialog: Dialog, mark: &str, t: Theme, area: Rect, buf: &mut Buffer) {
    let inner_w = dialog
        .width
        .min(area.width.saturating_sub(4))
        .saturating_sub(2);
    let body_h = wrapped(&dialog.body, inner_w);
    let input_h = dialog.input.map_or(0, |(_, h)| h + 2);
    let keys = key_rows(dialog.keys.clone(), inner_w);
    let keys_h = keys.len() as u16;
    dialog.width = dialog.width.min(area.width.saturating_sub(2));
    let h = body_h + input_h + 3 + keys_h;
    let rect = centered(area, dialog.width, h);
    // A blank column each side of the box too, so text beneath never runs into its border.
    Clear.render(margin(rect, area), buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focus_border())
        .title(Span::styled(
            format!(" {mark}{} ", dialog.title),
            dialog.title_style,
        ));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let [b, i, _, k] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(input_h),
        Constraint::Length(1),
        Constraint::Length(keys_h),
    ])
    .areas(inner);
    Paragraph::new(dialog.body)
        .wrap(Wrap { trim: false })
        .render(b, buf);
    if let Some((ta, _)) = dialog.input {
        let mut ta = ta.clone();
        ta.set_block(Block::default().borders(Borders::ALL).border_style(t.dim()));
        ta.render(i, buf);
    }
    Paragraph::new(keys).render(k, buf);
}

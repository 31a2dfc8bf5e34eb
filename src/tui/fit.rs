//! Drawing a line into less room than it needs: cut, and say so with "…" in the last cell,
//! so a cut name never reads as a whole one.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

/// Renders `line` on the first row of `area`, ending in "…" when it does not fit.
pub fn render_cut(line: Line, area: Rect, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let cut = line.width() > area.width as usize;
    let style = line.spans.last().map(|s| s.style).unwrap_or_default();
    line.render(area, buf);
    if cut {
        buf.set_string(area.x + area.width - 1, area.y, "…", style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(text: &str, w: u16) -> String {
        let area = Rect::new(0, 0, w, 1);
        let mut buf = Buffer::empty(area);
        render_cut(Line::raw(text.to_string()), area, &mut buf);
        (0..w).map(|x| buf[(x, 0)].symbol().to_string()).collect()
    }

    #[test]
    fn a_cut_line_ends_in_an_ellipsis_and_a_whole_one_does_not() {
        assert_eq!(drawn("revision-exists", 10), "revision-…");
        assert_eq!(drawn("revision", 10), "revision  ");
        assert_eq!(drawn("exactly-10", 10), "exactly-10");
    }
}

//! Drawing into less room than a text needs: cut, and say so with "…" in the last cell, so a
//! cut name never reads as a whole one. A bar of pieces (a header) gives its room by rank:
//! what matters most stays whole, the rest is cut or left out.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use crate::text::fit_width;

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

/// One piece of a bar: shown whole, cut to end in "…", or left out, as room allows.
#[derive(Debug, Clone)]
pub struct Piece {
    /// Blank columns before it, shown with it.
    pub gap: usize,
    pub text: String,
    pub style: Style,
    /// Columns it always gets (`usize::MAX`: all of it; 0: it may be left out).
    pub keep: usize,
    /// Whether it may be cut short (ending in "…") rather than left whole or out.
    pub cut: bool,
    /// When it gets room beyond `keep`: lower ranks first.
    pub rank: u8,
}

/// A cut piece shows at least this much (two characters and "…"), or nothing.
const MIN_CUT: usize = 3;

impl Piece {
    /// Always shown whole.
    pub fn fixed(gap: usize, text: impl Into<String>, style: Style) -> Piece {
        Piece {
            gap,
            text: text.into(),
            style,
            keep: usize::MAX,
            cut: false,
            rank: 0,
        }
    }

    /// Shown whole when there is room, else left out.
    pub fn optional(gap: usize, text: impl Into<String>, style: Style, rank: u8) -> Piece {
        Piece {
            keep: 0,
            rank,
            ..Piece::fixed(gap, text, style)
        }
    }

    /// At least `keep` columns (0: may be left out), more as room allows, cut with "…".
    pub fn cuttable(
        gap: usize,
        text: impl Into<String>,
        style: Style,
        keep: usize,
        rank: u8,
    ) -> Piece {
        Piece {
            keep,
            cut: true,
            rank,
            ..Piece::fixed(gap, text, style)
        }
    }
}

/// The columns each piece gets in `width`: every piece its `keep`, then, by rank, the rest
/// of its text while room lasts.
pub fn widths(pieces: &[Piece], width: usize) -> Vec<usize> {
    let full: Vec<usize> = pieces.iter().map(|p| p.text.width()).collect();
    let mut shown: Vec<usize> = pieces
        .iter()
        .zip(&full)
        .map(|(p, f)| p.keep.min(*f))
        .collect();
    let used: usize = pieces
        .iter()
        .zip(&shown)
        .filter(|(_, w)| **w > 0)
        .map(|(p, w)| p.gap + w)
        .sum();
    let mut room = width.saturating_sub(used);
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by_key(|&i| pieces[i].rank);
    for i in order {
        let p = &pieces[i];
        if shown[i] >= full[i] {
            continue;
        }
        let gap = if shown[i] == 0 { p.gap } else { 0 };
        let want = full[i] - shown[i] + gap;
        if want <= room {
            shown[i] = full[i];
            room -= want;
        } else if p.cut && shown[i] + room.saturating_sub(gap) >= MIN_CUT.min(full[i]) {
            shown[i] += room - gap;
            room = 0;
        }
    }
    shown
}

/// The pieces that fit `width`, in their order, cut where `widths` says.
pub fn fit_line(pieces: &[Piece], width: usize) -> Line<'static> {
    let shown = widths(pieces, width);
    let mut spans = Vec::new();
    for (p, w) in pieces.iter().zip(shown) {
        if w == 0 {
            continue;
        }
        if p.gap > 0 {
            spans.push(Span::raw(" ".repeat(p.gap)));
        }
        spans.push(Span::styled(fit_width(&p.text, w).into_owned(), p.style));
    }
    Line::from(spans)
}

/// Renders the pieces on the first row of `area`: whatever must stay and still does not fit
/// is cut at the edge with "…".
pub fn render_pieces(pieces: &[Piece], area: Rect, buf: &mut Buffer) {
    render_cut(fit_line(pieces, area.width as usize), area, buf);
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

    fn bar(pieces: &[Piece], w: usize) -> String {
        fit_line(pieces, w).to_string()
    }

    #[test]
    fn a_bar_keeps_what_must_stay_and_gives_the_rest_by_rank() {
        let s = Style::new();
        let pieces = [
            Piece::fixed(0, "TITLE", s),
            Piece::cuttable(1, "a-long-plan-name", s, 6, 2),
            Piece::optional(2, "extra", s, 3),
            Piece::fixed(2, "Level 2", s),
            Piece::cuttable(1, "who to call", s, 0, 1),
        ];
        assert_eq!(
            bar(&pieces, 80),
            "TITLE a-long-plan-name  extra  Level 2 who to call"
        );
        // The label gets its room before the plan's name grows, the optional piece goes.
        assert_eq!(bar(&pieces, 40), "TITLE a-long-plan-…  Level 2 who to call");
        assert_eq!(bar(&pieces, 30), "TITLE a-lon…  Level 2 who to…");
        // Too little for a useful cut: the label is left out rather than shown as "…".
        assert_eq!(bar(&pieces, 24), "TITLE a-long-p…  Level 2");
    }
}

//! The right pane: the selected step's output, live. Only the visible lines are taken from
//! the ring and styled, so a step with a million lines costs no more to draw than one with
//! ten. In drills the step's `explain` text sits above its output.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::ansi;
use super::theme::Theme;
use crate::engine::sla::clock_text;
use crate::engine::{Mode, RunState, Status};
use crate::plan::{Step, StepKind};
use crate::runner::OutputTail;
use crate::text;

pub struct Output<'a> {
    pub step: &'a Step,
    pub phase_id: &'a str,
    pub index: usize,
    pub state: &'a RunState,
    pub tail: Option<&'a OutputTail>,
    /// First line to show; `None` follows the newest.
    pub scroll: Option<u64>,
    pub following: bool,
    pub mode: Mode,
    pub mask: &'a crate::mask::Mask,
    pub now_ms: i64,
    pub theme: Theme,
}

impl Output<'_> {
    fn title(&self) -> Line<'static> {
        let t = self.theme;
        let s = &self.state.steps[self.index];
        let mut spans = vec![
            Span::styled(
                format!(" {} › {}", self.phase_id, self.step.id.value),
                t.bold(),
            ),
            Span::styled(format!("  {}", s.kind.name()), t.dim()),
        ];
        if let Some(a) = s.last_attempt() {
            spans.push(Span::raw(format!("  attempt {}", a.n)));
            let end = match s.status {
                Status::Running => self.now_ms,
                _ => a
                    .end
                    .as_ref()
                    .map_or(self.now_ms, |e| a.started_ms + e.duration_ms as i64),
            };
            let real = u64::try_from(end - a.started_ms).unwrap_or(0);
            spans.push(Span::raw(format!(
                "  {}",
                clock_text(self.state.on_clock(real))
            )));
        }
        if !self.following {
            spans.push(Span::styled("  f: follow", t.dim()));
        }
        Line::from(spans)
    }

    /// What to say when there is no output to show.
    fn placeholder(&self) -> Vec<Line<'static>> {
        let t = self.theme;
        let s = &self.state.steps[self.index];
        let (kind, action) = self.step.action();
        let mut lines = Vec::new();
        match kind {
            StepKind::Approve => {
                lines.push(Line::styled("Approval gate:", t.bold()));
                lines.push(Line::raw(text::flow(action)));
                if let Some(role) = &self.step.role {
                    lines.push(Line::styled(
                        format!("Approved by: {}", text::inline(role)),
                        t.dim(),
                    ));
                }
            }
            StepKind::Manual => {
                lines.push(Line::styled("Manual check:", t.bold()));
                lines.push(Line::raw(text::flow(action)));
            }
            StepKind::Run | StepKind::Check => {
                let state = match s.status {
                    Status::Pending => "not started yet",
                    Status::Running => "no output yet",
                    _ => "no output",
                };
                let how = if self.mode == Mode::Drill {
                    "; simulated in this drill"
                } else {
                    ""
                };
                lines.push(Line::styled(
                    format!("{}: {state}{how}", text::inline(self.step.title())),
                    t.bold(),
                ));
                lines.push(Line::raw(""));
                lines.extend(
                    action
                        .lines()
                        .map(|l| Line::styled(format!("  {}", text::inline(l)), t.dim())),
                );
            }
        }
        lines
    }
}

/// Splits a line into rows of at most `width` cells, keeping each piece's style.
pub fn wrap(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    if line.width() <= width {
        return vec![line];
    }
    let mut rows = vec![Vec::new()];
    let mut used = 0;
    for span in line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && used > 0 {
                if !piece.is_empty() {
                    rows.last_mut()
                        .expect("a row")
                        .push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                rows.push(Vec::new());
                used = 0;
            }
            piece.push(c);
            used += cw;
        }
        if !piece.is_empty() {
            rows.last_mut()
                .expect("a row")
                .push(Span::styled(piece, span.style));
        }
    }
    rows.into_iter().map(Line::from).collect()
}

impl Widget for Output<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 {
            return;
        }
        let t = self.theme;
        super::fit::render_cut(self.title(), Rect { height: 1, ..area }, buf);
        let mut body = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        if self.mode == Mode::Drill
            && let Some(explain) = &self.step.explain
            && body.height > 6
        {
            let explain = text::flow(explain);
            let chars = explain.chars().count() as u16 + 2;
            // Word wrapping may need a line more than the plain division says.
            let h = (chars.div_ceil(body.width.max(1)) + 1)
                .min(body.height / 3)
                .max(1);
            let text = Line::from(vec![
                Span::styled("ℹ ", t.key()),
                Span::styled(explain, t.dim()),
            ]);
            let p = Paragraph::new(text).wrap(Wrap { trim: true });
            p.render(Rect { height: h, ..body }, buf);
            body.y += h + 1;
            body.height = body.height.saturating_sub(h + 1);
        }
        let Some(tail) = self.tail.filter(|t| t.total_lines() > 0) else {
            Paragraph::new(self.placeholder())
                .wrap(Wrap { trim: false })
                .render(body, buf);
            return;
        };
        let (h, w) = (body.height as usize, body.width.max(1) as usize);
        let rows = |i: u64| -> Vec<Line<'static>> {
            let text = tail
                .line(i)
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            wrap(ansi::line(&self.mask.text(&text), t), w)
        };
        let (first, total) = (tail.first_kept(), tail.total_lines());
        // Only the lines that reach the screen are styled and wrapped: from the newest
        // backwards when following, from the chosen line forwards when scrolled.
        let mut shown: Vec<Line<'static>> = Vec::with_capacity(h);
        match self.scroll {
            None => {
                let mut i = total;
                while i > first && shown.len() < h {
                    i -= 1;
                    let mut r = rows(i);
                    r.append(&mut shown);
                    shown = r;
                }
                let extra = shown.len().saturating_sub(h);
                shown.drain(..extra);
            }
            Some(top) => {
                let mut i = top.clamp(first, total - 1);
                while i < total && shown.len() < h {
                    shown.extend(rows(i));
                    i += 1;
                }
                shown.truncate(h);
            }
        }
        Paragraph::new(shown).render(body, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    #[test]
    fn long_lines_wrap_keeping_their_styles() {
        let line = Line::from(vec![
            Span::raw("abcd"),
            Span::styled("efgh", Style::new().bold()),
        ]);
        let rows = wrap(line, 3);
        let text: Vec<String> = rows
            .iter()
            .map(|r| r.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(text, ["abc", "def", "gh"]);
        assert_eq!(rows[1].spans[1].style, Style::new().bold());
        assert_eq!(wrap(Line::raw("short"), 80).len(), 1);
    }
}

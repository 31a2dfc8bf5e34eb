//! How the start screen is drawn: the plan's summary, the values line, the fields that fit
//! around the focused one, and a warning when the terminal is smaller than 80x24.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::start::StartForm;
use crate::engine::selection::{regions_in_run, selected_steps};
use crate::engine::sla::{clock_text, run_sla_ms};
use crate::text;

impl Widget for &StartForm<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let lines = self.head(area);
        let head_h = (lines.len() as u16 + 3).min(area.height / 2);
        render_cut_head(
            Paragraph::new(lines).wrap(Wrap { trim: false }),
            area,
            head_h,
            buf,
        );
        self.render_fields(area, area.y + head_h, buf);
        self.render_keys(area, buf);
        if self.help {
            let help = super::dialog::start_help::view(t);
            super::modal::draw_box(help, "", t, area, buf);
        }
    }
}

/// The summary in its `height` rows: when it wraps past them, its last row ends in `…`, so
/// a value cut off never passes for a whole one.
fn render_cut_head(head: Paragraph, area: Rect, height: u16, buf: &mut Buffer) {
    if area.width == 0 || height == 0 {
        return;
    }
    let full = Rect {
        height: height.saturating_mul(4).max(height),
        ..area
    };
    let mut scratch = Buffer::empty(full);
    head.render(full, &mut scratch);
    let row_used = |y: u16| (0..full.width).any(|x| scratch[(full.x + x, y)].symbol() != " ");
    let more = (full.y + height..full.bottom()).any(row_used);
    for y in full.y..full.y + height.min(area.height) {
        for x in full.x..full.right() {
            buf[(x, y)] = scratch[(x, y)].clone();
        }
    }
    if more {
        let y = full.y + height - 1;
        let end = (full.x..full.right())
            .rev()
            .find(|&x| buf[(x, y)].symbol() != " ")
            .map_or(full.x, |x| (x + 1).min(full.right() - 1));
        buf[(end, y)].set_symbol("…");
    }
}

impl StartForm<'_> {
    /// The plan's summary: title, SLA, scenario, phases, values and description.
    fn head(&self, area: Rect) -> Vec<Line<'static>> {
        let t = self.theme;
        let p = self.plan;
        let sla = run_sla_ms(p, regions_in_run(p, self.scenario.as_deref()));
        let mut lines = vec![
            Line::from(vec![
                Span::styled(" ROLLBACK ", t.title()),
                Span::raw(" "),
                Span::styled(p.plan.value.clone(), t.bold()),
                Span::raw(format!("  L{}  ", *p.level)),
                Span::styled(format!(" {} ", self.mode.banner()), t.mode(self.mode)),
                match &self.resuming {
                    Some(_) => Span::styled(
                        "  resuming: type the secrets again (never recorded)",
                        t.waiting(),
                    ),
                    None => Span::styled("  clock not started", t.dim()),
                },
            ]),
            small_terminal(area)
                .map(|w| Line::styled(w, t.waiting()))
                .unwrap_or_default(),
            Line::styled(format!(" {}", text::inline(&p.title)), t.bold()),
            Line::raw(format!(
                " {} · automation {} · SLA {}{} · owner {}",
                p.operation.name(),
                serde_json::to_value(*p.automation)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                clock_text(sla),
                if *p.level >= 4 { " (all regions)" } else { "" },
                text::inline(p.owner.as_ref().map_or("-", |o| o.value.as_str())),
            )),
            Line::raw(format!(
                " scenario: {}",
                self.scenario.as_deref().unwrap_or("the whole plan")
            )),
        ];
        let selected = selected_steps(p, self.scenario.as_deref());
        let mut flat = 0;
        let mut phases = vec![Span::raw(" phases: ")];
        for (n, phase) in p.phases.iter().enumerate() {
            let in_run = selected[flat..flat + phase.steps.len()].iter().any(|s| *s);
            flat += phase.steps.len();
            if n > 0 {
                phases.push(Span::styled(" → ", t.dim()));
            }
            let style = if in_run { t.base() } else { t.dim() };
            phases.push(Span::styled(phase.id.value.clone(), style));
            if phase.point_of_no_return.set || phase.steps.iter().any(|s| s.point_of_no_return.set)
            {
                phases.push(Span::styled(" ⚠ no return", t.waiting()));
            }
        }
        lines.push(Line::from(phases));
        if let Some(v) = self.values_line() {
            lines.push(Line::raw(v));
        }
        if let Some(d) = &p.description {
            lines.push(Line::styled(format!(" {}", text::flow(d)), t.dim()));
        }
        lines
    }

    /// The fields that fit from row `y`, around the focused one.
    fn render_fields(&self, area: Rect, y: u16, buf: &mut Buffer) {
        let t = self.theme;
        let mut y = y;
        let w = area.width.min(90);
        let limit = area.y + area.height.saturating_sub(2);
        let (first, shown) = field_window(self.fields.len(), self.focus, limit.saturating_sub(y));
        if shown < self.fields.len() {
            let below = self.fields.len() - first - shown;
            let mut parts = Vec::new();
            if first > 0 {
                parts.push(format!("↑ {first} more above"));
            }
            if below > 0 {
                parts.push(format!("↓ {below} more below"));
            }
            let words = format!(" {} (tab, shift-tab)", parts.join(" · "));
            buf.set_stringn(area.x, y, words, area.width as usize, t.dim());
            y += 1;
        }
        for (i, f) in self.fields.iter().enumerate().skip(first).take(shown) {
            if y + 4 > limit {
                break;
            }
            let focused = i == self.focus;
            let mark = match f.problem() {
                None => Span::styled(" ✔ ", t.ok()),
                Some(_) if f.value().is_empty() => Span::styled(" · ", t.dim()),
                Some(_) => Span::styled(" ✖ ", t.failed()),
            };
            let label_style = if focused { t.waiting() } else { t.bold() };
            let mut label = vec![mark, Span::styled(f.label.clone(), label_style)];
            if f.var.is_some() && !f.value().is_empty() {
                label.push(Span::styled(format!("  ({})", f.source().name()), t.dim()));
            }
            super::fit::render_cut(
                Line::from(label),
                Rect {
                    x: area.x,
                    y,
                    width: w,
                    height: 1,
                },
                buf,
            );
            let mut ta = f.input.clone();
            let mut block = Block::default()
                .borders(Borders::ALL)
                .border_style(if focused {
                    t.focus_border()
                } else {
                    t.border()
                });
            if let Some(h) = &f.help {
                block = block.title_bottom(Span::styled(format!(" {h} "), t.dim()));
            }
            ta.set_block(block);
            if !focused {
                ta.set_cursor_style(ratatui::style::Style::new());
            }
            ta.render(
                Rect {
                    x: area.x + 1,
                    y: y + 1,
                    width: w.saturating_sub(2),
                    height: 3,
                },
                buf,
            );
            y += 4;
        }
    }

    /// The error, if any, and the form's key line at the bottom.
    fn render_keys(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        if area.height < 2 {
            return;
        }
        let bottom = area.y + area.height - 1;
        if let Some(e) = &self.error {
            buf.set_string(area.x + 1, bottom - 1, text::inline(e), t.failed());
        }
        let last = self.focus + 1 == self.fields.len();
        let enter = if last {
            if self.resuming.is_some() {
                "resume the rollback"
            } else {
                "start the rollback"
            }
        } else {
            "next field"
        };
        Line::from(vec![
            Span::styled(" enter", t.key()),
            Span::raw(format!(" {enter} ")),
            Span::styled(" tab", t.key()),
            Span::raw(" next field (shift-tab back) "),
            Span::styled(" ctrl-c", t.key()),
            Span::raw(" leave "),
            Span::styled(" ?", t.key()),
            Span::raw(" help "),
        ])
        .render(
            Rect {
                x: area.x,
                y: bottom,
                width: area.width,
                height: 1,
            },
            buf,
        );
    }
}

/// The warning the start screen gives when the run screen will not fit.
fn small_terminal(area: Rect) -> Option<String> {
    use super::view::{MIN_HEIGHT, MIN_WIDTH};
    (area.width < MIN_WIDTH || area.height < MIN_HEIGHT).then(|| {
        format!(
            " ⚠ this terminal is {}x{}; the run screen needs {MIN_WIDTH}x{MIN_HEIGHT}: enlarge it before you start (or get a compact view)",
            area.width, area.height
        )
    })
}

/// Which fields fit in `rows` (four rows each, one more for the "above/below" line when
/// not all fit): the first shown and how many, always including the focused one.
fn field_window(count: usize, focus: usize, rows: u16) -> (usize, usize) {
    let fit = |rows: u16| (rows / 4) as usize;
    if fit(rows) >= count {
        return (0, count);
    }
    let shown = fit(rows.saturating_sub(1)).max(1).min(count);
    let first = (focus + 1).saturating_sub(shown).min(count - shown);
    (first, shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_shown_always_hold_the_focus() {
        // All fit: no scrolling, no "above/below" line.
        assert_eq!(field_window(3, 2, 12), (0, 3));
        // Two fit beside the "above/below" line; the window follows the focus.
        assert_eq!(field_window(6, 0, 10), (0, 2));
        assert_eq!(field_window(6, 3, 10), (2, 2));
        assert_eq!(field_window(6, 5, 10), (4, 2));
        // Too little room still shows the focused one.
        assert_eq!(field_window(6, 4, 2), (4, 1));
    }
}

//! The latest timeline events, newest first, one line each.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme::Theme;
use crate::engine::Record;
use crate::engine::describe::describe_on_clock;
use crate::engine::sla::clock_text;
use crate::text;

pub struct Recent<'a> {
    pub records: &'a std::collections::VecDeque<Record>,
    pub mask: &'a crate::mask::Mask,
    pub theme: Theme,
    /// The run's clock factor: a drill's step times read on its clock, like `+elapsed`.
    pub speed: f64,
}

impl Widget for Recent<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        for (n, r) in self
            .records
            .iter()
            .rev()
            .take(area.height as usize)
            .enumerate()
        {
            let line = Line::from(vec![
                Span::styled(
                    format!(
                        " {} +{} ",
                        r.time().format("%H:%M:%S"),
                        clock_text(r.elapsed_ms)
                    ),
                    t.dim(),
                ),
                Span::raw(
                    text::inline(&self.mask.text(&describe_on_clock(&r.stamped(), self.speed)))
                        .into_owned(),
                ),
            ]);
            super::fit::render_cut(
                line,
                Rect {
                    y: area.y + n as u16,
                    height: 1,
                    ..area
                },
                buf,
            );
        }
    }
}

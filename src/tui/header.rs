//! The header line: plan, level, the mode in words, the SLA countdown with a gauge, the
//! elapsed time and the escalation level, and the trigger that started the run if one did.
//! Pieces are dropped from the right when narrow.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme::Theme;
use crate::engine::sla::{SlaStatus, clock_text, countdown_text};
use crate::engine::{Mode, RunState};

pub struct Header<'a> {
    pub plan: &'a str,
    pub level: u8,
    pub mode: Mode,
    pub state: &'a RunState,
    pub now_ms: i64,
    pub theme: Theme,
}

/// `▕██████░░░▏`: the share of the SLA used, in `width` cells.
pub fn gauge(fraction: f64, width: usize) -> String {
    let filled = ((fraction.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("▕{}{}▏", "█".repeat(filled), "░".repeat(width - filled))
}

impl Header<'_> {
    /// The SLA as words: `SLA 03:12 left` or `SLA +01:12 OVER`.
    pub fn sla_words(&self) -> (String, SlaStatus) {
        let end = self.state.end.as_ref().map_or(self.now_ms, |e| e.at_ms);
        let sla = SlaStatus::new(self.state.elapsed_ms(end), self.state.sla_ms());
        let words = if sla.breached() {
            format!("SLA +{} OVER", clock_text(sla.overrun_ms()))
        } else {
            format!("SLA {} left", countdown_text(sla.remaining_ms()))
        };
        (words, sla)
    }
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let (sla_words, sla) = self.sla_words();
        let sla_style = t.sla(sla.fraction_used(), sla.breached());
        let mut spans = vec![
            Span::styled(" ROLLBACK ", t.title()),
            Span::raw(" "),
            Span::styled(self.plan.to_string(), t.bold()),
            Span::raw(format!("  L{}  ", self.level)),
            Span::styled(format!(" {} ", self.mode.banner()), t.mode(self.mode)),
            Span::raw("  "),
        ];
        // A run a trigger started says which, so nobody wonders why it is running.
        if let Some(f) = self.state.info.as_ref().and_then(|i| i.fired.as_ref()) {
            let name: String = crate::text::inline(&f.name).chars().take(16).collect();
            spans.push(Span::styled(format!("⚡{name}"), t.alarm()));
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(sla_words, sla_style));
        let esc = self.state.escalation;
        let esc_text = format!("Escalation {esc}");
        let action = format!(" {}", crate::text::inline(&self.state.escalation_action));
        let elapsed = format!("  elapsed {}", clock_text(sla.elapsed_ms));
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let width = area.width as usize;
        // gauge, elapsed, escalation, its action: in that order while there is room.
        let tail = esc_text.len() + 2;
        let mut room = width.saturating_sub(used + tail);
        let gauge_w = if width >= 120 { 20 } else { 10 };
        if room >= gauge_w + 3 {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(gauge(sla.fraction_used(), gauge_w), sla_style));
            room -= gauge_w + 3;
        }
        if room >= elapsed.len() {
            room -= elapsed.len();
            spans.push(Span::styled(elapsed, t.dim()));
        }
        let esc_style = if esc > 1 { t.alarm() } else { Style::new() };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(esc_text, esc_style));
        if room >= action.len() {
            spans.push(Span::styled(action, t.dim()));
        }
        Line::from(spans).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauge_fills_with_the_sla() {
        assert_eq!(gauge(0.0, 4), "▕░░░░▏");
        assert_eq!(gauge(0.5, 4), "▕██░░▏");
        assert_eq!(gauge(1.7, 4), "▕████▏");
    }
}

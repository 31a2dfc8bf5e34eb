//! The header line: plan, level, the mode in words, the SLA countdown with a gauge, the
//! elapsed time and the escalation level with who it engages. When narrow, the gauge,
//! elapsed time and level go first, then the plan's name is cut; the escalation level and
//! the mode always show.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use super::fit::{Piece, render_pieces};
use super::theme::Theme;
use crate::engine::describe::escalation_label;
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

    /// The pieces of the header, in order. The escalation level is never left out, and is
    /// labelled alike at every level; the plan's name is cut before the label is, and the
    /// gauge and elapsed time come only when there is room left.
    pub fn pieces(&self, width: u16) -> Vec<Piece> {
        let t = self.theme;
        let (sla_words, sla) = self.sla_words();
        let sla_style = t.sla(sla.fraction_used(), sla.breached());
        let gauge_w = if width >= 120 { 20 } else { 10 };
        let esc = self.state.escalation;
        let esc_style = if esc > 1 { t.alarm() } else { Style::new() };
        let label = escalation_label(&crate::text::inline(&self.state.escalation_action));
        vec![
            Piece::fixed(0, " ROLLBACK ", t.title()),
            Piece::cuttable(1, crate::text::inline(self.plan), t.bold(), PLAN_KEEP, 2),
            Piece::optional(2, format!("L{}", self.level), Style::new(), 3),
            Piece::fixed(2, format!(" {} ", self.mode.banner()), t.mode(self.mode)),
            Piece::fixed(2, sla_words, sla_style),
            Piece::optional(1, gauge(sla.fraction_used(), gauge_w), sla_style, 4),
            Piece::optional(
                2,
                format!("elapsed {}", clock_text(sla.elapsed_ms)),
                t.dim(),
                5,
            ),
            Piece::fixed(2, format!("Escalation {esc}"), esc_style),
            // No gap of its own: at level 2 and above it reads as one alarm with the level.
            Piece::cuttable(0, format!(" {label}"), esc_style, 0, 1),
        ]
    }
}

/// The trigger that started the run, with the value that fired it and its condition, for
/// the line under the header: nobody wonders why a rollback is running.
pub fn started_by(state: &RunState) -> Option<String> {
    let f = state.info.as_ref()?.fired.as_ref()?;
    let value = crate::text::cut(&super::fired::value_text(&f.value), 32).into_owned();
    let by = f
        .started_by
        .as_ref()
        .map(|b| format!(", started by {b}"))
        .unwrap_or_default();
    let text = format!(
        "⚡ started by trigger {} ({}{by}): value {value}, condition {}",
        f.name, f.severity, f.condition
    );
    Some(crate::text::inline(&text).into_owned())
}

/// Columns of the plan's name that always stay (it is cut with "…" to make room).
const PLAN_KEEP: usize = 10;

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        render_pieces(&self.pieces(area.width), area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(escalation: u8, action: &str) -> RunState {
        let loaded = crate::plan::load::load_bytes(
            "t.yaml",
            include_bytes!("../../tests/plans/base.yaml").to_vec(),
        )
        .unwrap();
        let mut st = RunState::new(&loaded.plan, None);
        let info = serde_json::json!({
            "run_id": "r", "plan": "database-migration", "title": "t", "plan_sha256": "00",
            "level": 2, "sla_ms": 900_000, "plan_path": "plan.yaml", "host": "h", "pid": 1,
            "version": "test", "trigger": "auto",
            "fired": {"name": "error-rate-after-deploy", "severity": "critical",
                "condition": "result > 0.05", "explain": "errors", "value": 0.31,
                "first_failure_ms": 0, "fired_ms": 0, "samples": []}
        });
        st.info = Some(serde_json::from_value(info).unwrap());
        st.escalation = escalation;
        st.escalation_action = action.into();
        st
    }

    fn drawn(st: &RunState, width: u16) -> String {
        let area = Rect::new(0, 0, width, 1);
        let mut buf = Buffer::empty(area);
        Header {
            plan: "database-migration-with-a-long-name",
            level: 2,
            mode: Mode::Live,
            state: st,
            now_ms: 0,
            theme: Theme::plain(),
        }
        .render(area, &mut buf);
        (0..width)
            .map(|x| buf[(x, 0)].symbol().to_string())
            .collect()
    }

    #[test]
    fn the_escalation_level_shows_at_80_columns_labelled_alike_at_every_level() {
        for (level, action, label) in [
            (1, "Retry with logging", "Escalation 1 Retry with logging"),
            (2, "Engage senior SRE", "Escalation 2 Senior SRE"),
            (3, "Engage CTO/VP", "Escalation 3 CTO/VP"),
        ] {
            let line = drawn(&state(level, action), 80);
            assert!(line.contains(label), "{line}");
            assert!(line.contains("LIVE"), "{line}");
        }
        // Narrower still: the level stays, the plan's name is cut and says so.
        let line = drawn(&state(2, "Engage senior SRE"), 60);
        assert!(line.contains("Escalation 2"), "{line}");
        assert!(line.contains("database-m…"), "{line}");
    }

    #[test]
    fn a_run_a_trigger_started_names_it_with_its_value_and_condition() {
        let line = started_by(&state(1, "x")).unwrap();
        assert_eq!(
            line,
            "⚡ started by trigger error-rate-after-deploy (critical): value 0.31, condition result > 0.05"
        );
        let mut manual = state(1, "x");
        manual.info.as_mut().unwrap().fired = None;
        assert_eq!(started_by(&manual), None);
    }

    #[test]
    fn the_gauge_fills_with_the_sla() {
        assert_eq!(gauge(0.0, 4), "▕░░░░▏");
        assert_eq!(gauge(0.5, 4), "▕██░░▏");
        assert_eq!(gauge(1.7, 4), "▕████▏");
    }
}

//! The dashboard's main screen (see `dashboard`): the criteria line, the plans table, the
//! sparkline of the selected run's plan against its SLA, and the list of runs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Widget};

use super::dashboard::Dashboard;
use super::theme::Theme;
use crate::engine::sla::clock_text;
use crate::records::board::{Kind, durations};
use crate::report::metrics::pct_text;
use crate::text::inline;

/// Runs shown in the sparkline.
const SPARK: usize = 60;

pub struct BoardView<'a> {
    pub d: &'a Dashboard,
    pub now_ms: i64,
    pub theme: Theme,
}

impl Widget for BoardView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (d, t) = (self.d, self.theme);
        let plans_h = (d.stats.plans.len() as u16 + 1).clamp(5, 8);
        let [head, criteria, top, _, list, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Length(plans_h),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let corrupt = d
            .rows
            .iter()
            .filter(|r| matches!(r.kind, Kind::Corrupt { .. }))
            .count();
        buf.set_string(head.x, head.y, " ROLLBACK DASHBOARD ", t.title());
        let counts = if d.read {
            format!(
                "{} runs counted, {} live, {corrupt} corrupt",
                d.records.runs.len(),
                d.live.len()
            )
        } else {
            "reading the runs…".into()
        };
        let root = inline(&d.root.display().to_string()).into_owned();
        buf.set_string(head.x + 21, head.y, format!(" {root}  {counts}"), t.base());
        let mut spans = Vec::new();
        for c in &d.stats.overall.criteria {
            let (icon, style) = match c.met {
                Some(true) => ("✔", t.ok()),
                Some(false) => ("✘", t.failed()),
                None => ("·", t.dim()),
            };
            spans.push(Span::styled(format!(" {icon} {}", c.target), style));
            spans.push(Span::raw(format!(": {} ", c.word())));
        }
        Paragraph::new(Line::from(spans))
            .wrap(ratatui::widgets::Wrap { trim: true })
            .render(criteria, buf);
        let [plans, spark] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(36)]).areas(top);
        self.plans(plans, buf);
        self.spark(spark, buf);
        self.list(list, buf);
        let hint = d
            .message
            .clone()
            .unwrap_or_else(|| "↑↓ select  Enter report / follow live  r reload  q quit".into());
        buf.set_string(footer.x + 1, footer.y, hint, t.dim());
    }
}

impl BoardView<'_> {
    fn plans(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let pct = |p: Option<f64>| p.map_or_else(|| "-".into(), pct_text);
        let head = format!(
            "{:<20} {:>5} {:>8} {:>8} {:>7} {:>10}",
            "Plan", "runs", "success", "SLA met", "median", "rehearsed"
        );
        buf.set_string(area.x, area.y, head, t.bold());
        for (n, (plan, f)) in self.d.stats.plans.iter().enumerate() {
            let y = area.y + 1 + n as u16;
            if y >= area.bottom() {
                break;
            }
            let since = f
                .since_last_rehearsal_ms
                .map_or_else(|| "never".into(), |ms| format!("{}d ago", ms / 86_400_000));
            let median = f
                .duration
                .as_ref()
                .map_or_else(|| "-".into(), |s| clock_text(s.median_ms));
            let line = format!(
                "{:<20} {:>5} {:>8} {:>8} {:>7} {:>10}",
                inline(plan).chars().take(20).collect::<String>(),
                f.runs,
                pct(f.success_pct),
                pct(f.sla_met_pct),
                median,
                since
            );
            buf.set_string(area.x, y, line, t.base());
        }
    }

    /// The selected run's plan: durations as bars, the SLA as a line across them.
    fn spark(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let plan = self
            .d
            .rows
            .get(self.d.selected)
            .and_then(|r| r.plan.clone());
        let Some(plan) = plan else { return };
        let points = durations(&self.d.records.runs, &plan, SPARK.min(area.width as usize));
        let title = format!(" {} vs SLA ", inline(&plan));
        buf.set_string(area.x, area.y, title, t.bold());
        let Some(&(_, sla)) = points.last() else {
            buf.set_string(area.x, area.y + 1, " no ended runs yet", t.dim());
            return;
        };
        let max = points
            .iter()
            .map(|p| p.0)
            .max()
            .unwrap_or(0)
            .max(sla)
            .max(1);
        let bars = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(1),
            ..area
        };
        let data: Vec<u64> = points.iter().map(|p| p.0).collect();
        Sparkline::default()
            .data(&data)
            .max(max)
            .style(t.running())
            .render(bars, buf);
        // The SLA's height among the bars, drawn over the empty cells only.
        let h = bars.height as u64;
        if h > 0 {
            let level = (sla * h).div_ceil(max).min(h) as u16;
            let y = bars.bottom().saturating_sub(level.max(1));
            for x in bars.x..bars.right() {
                if buf[(x, y)].symbol() == " " {
                    buf[(x, y)].set_symbol("┄").set_style(t.failed());
                }
            }
            let label = format!("SLA {}", clock_text(sla));
            buf.set_string(
                bars.right().saturating_sub(label.len() as u16),
                y,
                label,
                t.dim(),
            );
        }
    }

    fn list(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let height = area.height as usize;
        let first = self.d.selected.saturating_sub(height.saturating_sub(1));
        for (n, row) in self.d.rows.iter().enumerate().skip(first).take(height) {
            let y = area.y + (n - first) as u16;
            let line = self.d.row_line(row, self.now_ms, t);
            let marker = if n == self.d.selected { "▸" } else { " " };
            buf.set_string(area.x, y, marker, t.bold());
            buf.set_line(area.x + 2, y, &line, area.width.saturating_sub(2));
            if n == self.d.selected {
                buf.set_style(
                    Rect {
                        y,
                        height: 1,
                        ..area
                    },
                    t.selected(),
                );
            }
        }
        if self.d.rows.is_empty() {
            let text = format!("no runs in {}", inline(&self.d.root.display().to_string()));
            buf.set_string(area.x + 2, area.y, text, t.dim());
        }
    }
}

//! The dashboard's main screen (see `dashboard`): the criteria line, the plans table, the
//! sparkline of the selected run's plan against its SLA, and the list of runs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Widget};

use super::dashboard::Dashboard;
use super::fit::{Piece, fit_line, render_cut};
use super::theme::Theme;
use crate::engine::sla::clock_text;
use crate::records::board::{Kind, durations};
use crate::report::metrics::pct_text;
use crate::text::{fit_width, inline};

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
        // The count the criteria are judged on, and what they leave out, so "no data"
        // beside a list of runs reads as what it is.
        let counts = if d.read {
            format!(
                "{} runs counted{}, {} running, {corrupt} corrupt",
                d.stats.overall.runs,
                match d.stats.drills_excluded {
                    0 => String::new(),
                    n => format!(" ({n} drills not)"),
                },
                d.live.len()
            )
        } else {
            "reading the runs…".into()
        };
        let root = inline(&d.root.display().to_string()).into_owned();
        let pieces = [
            Piece::fixed(0, " ROLLBACK DASHBOARD ", t.title()),
            Piece::cuttable(1, root, t.base(), 8, 2),
            Piece::fixed(2, counts, t.base()),
            Piece::optional(2, "? help", t.dim(), 3),
        ];
        super::fit::render_pieces(&pieces, head, buf);
        self.criteria(criteria, buf);
        // The sparkline gives way first, so the plans table keeps its columns at 80.
        let spark_w = top.width.saturating_sub(PLANS_W).min(36);
        let [plans, spark] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(spark_w)]).areas(top);
        self.plans(plans, buf);
        self.spark(spark, buf);
        self.list(list, buf);
        let hint = d.message.clone().unwrap_or_else(|| {
            "↑↓ select  enter report / follow live  r reload  q quit  ? help".into()
        });
        let footer = Rect {
            x: footer.x + 1,
            width: footer.width.saturating_sub(1),
            ..footer
        };
        render_cut(
            Line::styled(inline(&hint).into_owned(), t.dim()),
            footer,
            buf,
        );
        if d.help {
            super::help::Help {
                title: "Dashboard: keys",
                keys: &super::dashboard::KEYS,
                theme: t,
            }
            .render(area, buf);
        }
    }
}

/// Columns of the plans table.
const PLANS_W: u16 = 64;

impl BoardView<'_> {
    /// The standard's criteria; with nothing counted, why there is no data.
    fn criteria(&self, area: Rect, buf: &mut Buffer) {
        let (s, t) = (&self.d.stats, self.theme);
        if self.d.read && s.overall.runs == 0 {
            let why = match s.drills_excluded {
                0 => "no data yet: no ended live run or rehearsal to judge the criteria on".into(),
                n => format!(
                    "no data yet: the criteria count live runs and rehearsals, not drills ({n} here)"
                ),
            };
            return render_cut(Line::styled(format!(" {why}"), t.dim()), area, buf);
        }
        let mut spans = Vec::new();
        for c in &s.overall.criteria {
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
            .render(area, buf);
    }

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
                fit_width(&inline(plan), 20),
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
        render_cut(Line::styled(title, t.bold()), area, buf);
        let Some(&(_, sla)) = points.last() else {
            let below = Rect {
                y: area.y + 1,
                height: area.height.saturating_sub(1).min(1),
                ..area
            };
            render_cut(Line::styled(" no ended runs yet", t.dim()), below, buf);
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
            let width = area.width.saturating_sub(2);
            let line = fit_line(&self.d.row_pieces(row, self.now_ms, t), width as usize);
            let marker = if n == self.d.selected { "▸" } else { " " };
            buf.set_string(area.x, y, marker, t.bold());
            render_cut(line, Rect::new(area.x + 2, y, width, 1), buf);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Mode;
    use crate::records::Records;
    use crate::records::testkit::{NOW, run};

    fn drawn(d: &Dashboard) -> String {
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        BoardView {
            d,
            now_ms: NOW,
            theme: Theme::plain(),
        }
        .render(area, &mut buf);
        super::super::help::text(&buf)
    }

    fn drills() -> Dashboard {
        let runs = (0..5)
            .map(|n| {
                let mut r = run(n);
                r.id = format!("2027-01-14T08-0{n}-00Z-database-migration-with-replicas");
                r.plan = "database-migration-with-replicas".into();
                r.mode = Mode::Drill;
                r.within_sla = Some(false);
                r
            })
            .collect();
        let records = Records {
            runs,
            ..Records::default()
        };
        Dashboard::new("/var/lib/rollback/runs".into(), records, NOW)
    }

    #[test]
    fn at_80_columns_rows_keep_their_words_and_no_data_says_why() {
        let s = drawn(&drills());
        assert!(s.contains("0 runs counted (5 drills not)"), "{s}");
        assert!(
            s.contains("the criteria count live runs and rehearsals, not drills (5 here)"),
            "{s}"
        );
        let rows: Vec<&str> = s.lines().filter(|l| l.contains("2027-01-14")).collect();
        assert_eq!(rows.len(), 5, "{s}");
        for row in rows {
            assert!(row.ends_with("drill  02:00  SLA missed"), "{row}");
            assert!(row.contains('…'), "the id is cut and says so: {row}");
        }
        assert!(s.contains("database-migra…"), "{s}");
        assert!(s.contains("? help"), "{s}");
    }

    #[test]
    fn a_plan_without_ended_runs_says_so_cut_with_an_ellipsis() {
        let left = crate::records::Uncounted {
            id: "2027-01-14T08-00-00Z-terraform-infrastructure".into(),
            plan: Some("terraform-infrastructure".into()),
            mode: Some(Mode::Drill),
            started_at: None,
            why: crate::records::Unread::Left,
        };
        let records = Records {
            uncounted: vec![left],
            ..Records::default()
        };
        let d = Dashboard::new("/var/lib/rollback/runs".into(), records, NOW);
        let s = drawn(&d);
        assert!(
            s.lines()
                .any(|l| l.trim_end().ends_with(" no ended runs …")),
            "the sparkline's pane is narrow: its words are cut, and say so:\n{s}"
        );
    }

    #[test]
    fn question_mark_opens_the_help_and_the_next_key_only_closes_it() {
        let mut d = drills();
        d.help = true;
        let s = drawn(&d);
        assert!(s.contains("Dashboard: keys"), "{s}");
        assert!(
            s.contains("r            read the runs directory again"),
            "{s}"
        );
    }
}

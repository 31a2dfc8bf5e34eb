//! What the watch screen draws: a header, one row per trigger (state in words, last value,
//! a sparkline of recent values, the next sample's countdown), the latest changes, the keys
//! that apply, and a dialog: the cancel window's countdown (DRILL named in a drill), a
//! question, a trigger's samples, or the confirmation of firing by hand.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::theme::Theme;
use super::watch::{Dialog, Screen};
use crate::engine::Mode;
use crate::monitor::board::{Board, Row};
use crate::monitor::policy::Pending;
use crate::monitor::{Outcome, Verdict};
use crate::plan::Plan;

pub struct View<'a> {
    pub board: &'a Board,
    pub screen: &'a Screen,
    pub plan: &'a Plan,
    pub mode: Mode,
    /// The watch's clock factor: a drill's passes faster, and the header says so.
    pub speed: f64,
    pub now: Duration,
    pub theme: Theme,
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Recent values as bars scaled between their minimum and maximum, the newest at the right.
pub fn sparkline(values: &[f64], width: usize) -> String {
    let recent = &values[values.len().saturating_sub(width)..];
    let (lo, hi) = recent
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    recent
        .iter()
        .map(|v| {
            let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
            BARS[((f * 7.0).round() as usize).min(7)]
        })
        .collect()
}

/// Seconds, rounded up, as `mm:ss`.
fn left(d: Duration) -> String {
    super::watch::mmss(Duration::from_secs(d.as_millis().div_ceil(1000) as u64))
}

fn short(v: &serde_json::Value) -> String {
    let text = match crate::monitor::board::number(v) {
        Some(n) if n.fract() == 0.0 && n.abs() < 1e12 => format!("{n:.0}"),
        Some(n) => format!("{n:.3}"),
        None => v.to_string(),
    };
    text.chars().take(9).collect()
}

/// `text` in a column `width` wide with a blank after it, cut with "…" when longer.
fn cell(text: &str, width: usize) -> String {
    let shown = crate::text::fit_width(text, width - 1);
    let pad = width - unicode_width::UnicodeWidthStr::width(shown.as_ref());
    format!("{shown}{}", " ".repeat(pad))
}

impl View<'_> {
    fn row_style(&self, r: &Row) -> Style {
        let t = self.theme;
        match r.window.verdict() {
            _ if r.paused => t.skipped(),
            Verdict::Fired { .. } => t.alarm(),
            Verdict::Failing { .. } | Verdict::Ask => t.waiting(),
            Verdict::Blind { .. } => t.failed(),
            Verdict::Healthy => t.ok(),
            Verdict::Waiting => t.dim(),
        }
    }

    fn row(&self, i: usize, r: &Row, width: usize) -> Line<'static> {
        let pointer = if i == self.screen.selected {
            "▶ "
        } else {
            "  "
        };
        let last = r
            .last
            .as_ref()
            .map(|s| match (&s.value, s.outcome) {
                (_, Outcome::Error) => "error".to_string(),
                (Some(v), _) => short(v),
                (None, _) => "-".into(),
            })
            .unwrap_or_else(|| "-".into());
        let next = match (r.paused, r.window.next_due()) {
            (true, _) | (_, None) => "-".to_string(),
            (false, Some(due)) if r.busy => {
                let _ = due;
                "asking".into()
            }
            (false, Some(due)) => format!("{}s", due.saturating_sub(self.now).as_secs()),
        };
        let spark_w = width.saturating_sub(2 + 18 + 17 + 10 + 8).clamp(4, 30);
        let spark: Vec<f64> = r.history.iter().copied().collect();
        Line::from(vec![
            Span::raw(pointer),
            Span::styled(cell(&r.spec.name, 18), self.theme.bold()),
            Span::styled(cell(&r.state(), 17), self.row_style(r)),
            Span::raw(format!("{last:<10}")),
            Span::styled(
                format!("{:<w$}", sparkline(&spark, spark_w), w = spark_w),
                self.theme.dim(),
            ),
            Span::raw(format!(" {next:>6}")),
        ])
    }

    fn header(&self) -> Line<'static> {
        let t = self.theme;
        let n = self.board.rows.len();
        let elapsed = self.now.as_secs();
        Line::from(vec![
            Span::styled(" WATCH ", t.title()),
            Span::raw(" "),
            Span::styled(self.plan.plan.value.clone(), t.bold()),
            Span::raw(format!("  L{}  ", *self.plan.level)),
            Span::styled(format!(" {} ", self.mode.banner()), t.mode(self.mode)),
            Span::raw(format!(
                "  {n} trigger{}  watching {:02}:{:02}:{:02}{}",
                if n == 1 { "" } else { "s" },
                elapsed / 3600,
                elapsed / 60 % 60,
                elapsed % 60,
                match self.speed > 1.0 {
                    // Short: the header must fit 80 columns beside a long plan name.
                    true => format!(" x{}", crate::engine::clock::factor_text(self.speed)),
                    false => String::new(),
                }
            )),
        ])
    }

    fn dialog(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let drill = if self.mode == Mode::Drill {
            "DRILL  "
        } else {
            ""
        };
        let name = |i: usize| self.board.rows[i].spec.name.clone();
        let (title, lines): (String, Vec<Line>) = match (&self.screen.dialog, self.board.waiting())
        {
            (Some(Dialog::Samples(i)), _) => {
                let r = &self.board.rows[*i];
                let mut lines: Vec<Line> = r
                    .window
                    .samples()
                    .map(|s| {
                        Line::from(format!(
                            "+{:>7.1}s  {:<12} {}",
                            s.at.as_secs_f64(),
                            format!("{:?}", s.outcome).to_lowercase(),
                            s.value.as_ref().map(|v| v.to_string()).unwrap_or_default()
                        ))
                    })
                    .collect();
                if let Some(e) = r.last.as_ref().and_then(|s| s.message.clone()) {
                    lines.push(Line::styled(format!("last error: {e}"), t.failed()));
                }
                if lines.is_empty() {
                    lines.push(Line::from("no sample yet"));
                }
                lines.insert(
                    0,
                    Line::styled(format!("condition: {}", r.spec.condition_text), t.dim()),
                );
                (format!("{} samples", name(*i)), lines)
            }
            (Some(Dialog::Fire(i)), _) => (
                format!("{drill}Fire {} by hand", name(*i)),
                vec![Line::from(
                    "Start the rollback now? It runs the plan at once.",
                )],
            ),
            (Some(Dialog::Reason(i, why)), _) => (
                format!("{drill}Cancel {}", name(*i)),
                vec![
                    Line::from("Why? (recorded with your name)"),
                    Line::styled(format!("> {why}█"), t.bold()),
                ],
            ),
            (None, Some(Pending::Countdown { trigger, ends })) => (
                format!("{drill}{} fired (high)", name(*trigger)),
                vec![
                    Line::from(self.board.rows[*trigger].spec.explain.clone()),
                    Line::styled(
                        format!(
                            "The rollback starts in {}",
                            left(ends.saturating_sub(self.now))
                        ),
                        t.alarm(),
                    ),
                ],
            ),
            (None, Some(Pending::Asking { trigger })) => (
                format!("{drill}{} fired (medium)", name(*trigger)),
                vec![
                    Line::from(self.board.rows[*trigger].spec.explain.clone()),
                    Line::styled("Roll back? It will not start on its own.", t.waiting()),
                ],
            ),
            (None, None) => match self.board.inconclusive() {
                Some(i) => (
                    format!("{drill}{} is inconclusive", name(i)),
                    vec![
                        Line::from(format!(
                            "The last sample cannot tell ({}). Is it bad?",
                            self.board.rows[i]
                                .last
                                .as_ref()
                                .and_then(|s| s.value.as_ref())
                                .map(short)
                                .unwrap_or_default()
                        )),
                        Line::styled("It will not start on its own.", t.waiting()),
                    ],
                ),
                None => return,
            },
        };
        let width = area.width.saturating_sub(4).min(70);
        let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
        let rect = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height.saturating_sub(height)) / 2,
            width,
            height,
        };
        Clear.render(rect, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.focus_border())
                    .title(Span::styled(format!(" {title} "), t.bold())),
            )
            .render(rect, buf);
    }
}

impl Widget for View<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let [header, columns, body, last, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(super::watch::RECENT as u16),
            Constraint::Length(1),
        ])
        .areas(area);
        super::fit::render_cut(self.header(), header, buf);
        Line::styled(
            format!(
                "  {:<18}{:<17}{:<10}{}",
                "Trigger", "State", "Last", "Recent"
            ),
            t.dim(),
        )
        .render(columns, buf);
        let width = area.width as usize;
        let rows: Vec<Line> = self
            .board
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| self.row(i, r, width))
            .collect();
        let skip = (self.screen.selected + 1).saturating_sub(body.height as usize);
        Paragraph::new(rows.into_iter().skip(skip).collect::<Vec<_>>()).render(body, buf);
        let recent: Vec<Line> = self
            .screen
            .recent
            .iter()
            .map(|l| {
                let line = crate::text::inline(l);
                let fitted = crate::text::fit_width(&line, width).into_owned();
                Line::styled(fitted, t.dim())
            })
            .collect();
        Paragraph::new(recent).render(last, buf);
        let mut spans = Vec::new();
        for (key, what) in self.screen.hints(self.board) {
            spans.push(Span::styled(format!(" {key} "), t.key()));
            spans.push(Span::raw(format!(" {what} ")));
        }
        super::fit::render_cut(Line::from(spans), footer, buf);
        self.dialog(area, buf);
        if self.screen.help {
            super::help::Help {
                title: "Watch: keys",
                keys: &super::watch::KEYS,
                theme: t,
            }
            .render(area, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::Spec;

    fn drawn(screen: &Screen) -> String {
        let base = include_str!("../../tests/plans/base.yaml");
        let head = base.split("triggers:").next().unwrap();
        let text = format!(
            "{head}triggers:\n  - name: checkout-error-rate-after-the-deploy\n    command: x\n    condition: result > 1.0\n"
        );
        let loaded = crate::plan::load::load_bytes("t.yaml", text.into_bytes()).unwrap();
        let specs = loaded
            .plan
            .triggers
            .iter()
            .map(|t| Spec::resolve(t).unwrap())
            .collect();
        let board = Board::new(specs, Duration::ZERO);
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        View {
            board: &board,
            screen,
            plan: &loaded.plan,
            mode: Mode::Drill,
            speed: 1.0,
            now: Duration::ZERO,
            theme: Theme::plain(),
        }
        .render(area, &mut buf);
        super::super::help::text(&buf)
    }

    #[test]
    fn at_80_columns_a_long_name_is_cut_with_an_ellipsis_and_question_mark_shows_the_keys() {
        let s = drawn(&Screen::default());
        assert!(s.contains("▶ checkout-error-r… "), "{s}");
        assert!(s.contains("?  help"), "{s}");
        let help = Screen {
            help: true,
            ..Screen::default()
        };
        let s = drawn(&help);
        assert!(s.contains("Watch: keys"), "{s}");
        assert!(s.contains("fire the rollback by hand (asks y/n)"), "{s}");
    }

    #[test]
    fn the_sparkline_scales_between_the_extremes() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0], 10), "▁▅█");
        assert_eq!(sparkline(&[5.0, 5.0], 10), "▁▁");
        assert_eq!(sparkline(&[1.0, 2.0, 3.0, 4.0], 2), "▁█");
        assert_eq!(sparkline(&[], 4), "");
    }
}

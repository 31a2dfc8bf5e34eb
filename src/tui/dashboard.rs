//! The dashboard: the standard's criteria over the recorded runs, a table per plan, the
//! selected run's plan as a sparkline of durations against its SLA, and every run — live
//! ones first with their phase and SLA clock, corrupt ones listed as such. Enter opens a
//! run's report (scrollable) or, for a live run, the follow screen. Read-only throughout.

use std::collections::HashMap;
use std::path::PathBuf;

use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Widget};

use super::header::Header;
use super::theme::Theme;
use crate::engine::sla::clock_text;
use crate::exit::Exit;
use crate::records::board::{Kind, Row, durations, outcome_word, rows};
use crate::records::figures::{Stats, stats};
use crate::records::{Records, Select};
use crate::report::metrics::pct_text;
use crate::text::inline;
use crate::timeline::follow::Follower;

/// Runs shown in the sparkline.
const SPARK: usize = 60;

pub struct Dashboard {
    pub root: PathBuf,
    pub records: Records,
    pub stats: Stats,
    pub rows: Vec<Row>,
    /// Followers of the live runs, by id: their phase and SLA clock.
    pub live: HashMap<String, Follower>,
    pub selected: usize,
    pub message: Option<String>,
}

impl Dashboard {
    /// Everything under `root`, read now (see `commands::records::scan`).
    pub fn load(root: PathBuf, records: Records, now_ms: i64) -> Dashboard {
        let stats = stats(&records.runs, &Select::default(), now_ms);
        let rows = rows(&records);
        let mut live = HashMap::new();
        for r in rows.iter().filter(|r| matches!(r.kind, Kind::Live { .. })) {
            if let Ok(mut f) = Follower::open(&root.join(&r.id)) {
                let _ = f.poll();
                live.insert(r.id.clone(), f);
            }
        }
        Dashboard {
            root,
            records,
            stats,
            rows,
            live,
            selected: 0,
            message: None,
        }
    }

    /// Reads what the live runs appended; whether one of them stopped being live.
    pub fn poll_live(&mut self) -> bool {
        let mut changed = false;
        for f in self.live.values_mut() {
            changed |= f.step().map_or(true, |(_, l)| {
                l != crate::timeline::follow::Liveness::Running
            });
        }
        changed
    }

    fn row_line(&self, row: &Row, now_ms: i64, t: Theme) -> Line<'static> {
        let plan = inline(row.plan.as_deref().unwrap_or("?"));
        let mode = row.mode.map_or("?", |m| m.name());
        let id = inline(&row.id);
        match &row.kind {
            Kind::Live { .. } => {
                let (phase, sla) = match self.live.get(&row.id) {
                    Some(f) => live_words(f, now_ms, t),
                    None => ("journal unreadable".into(), String::new()),
                };
                Line::from(vec![
                    Span::styled("● LIVE      ", t.running()),
                    Span::raw(format!("{id}  {mode}  ")),
                    Span::styled(phase, t.bold()),
                    Span::raw(format!("  {sla}")),
                ])
            }
            Kind::Ended(i) => {
                let r = &self.records.runs[*i];
                let sla = match r.within_sla {
                    Some(true) => "SLA met",
                    Some(false) => "SLA missed",
                    None => "",
                };
                let style = match r.outcome {
                    crate::report::RunOutcome::Completed => t.ok(),
                    _ => t.failed(),
                };
                Line::from(vec![
                    Span::styled(format!("{:<12}", outcome_word(r)), style),
                    Span::raw(format!(
                        "{id}  {mode}  {}  {sla}",
                        clock_text(r.duration_ms)
                    )),
                ])
            }
            Kind::Left => Line::from(vec![
                Span::styled("◌ left      ", t.waiting()),
                Span::raw(format!("{id}  {plan}  resumable")),
            ]),
            Kind::Corrupt { why } => Line::from(vec![
                Span::styled("✖ CORRUPT   ", t.alarm()),
                Span::raw(format!("{id}: {}", inline(why))),
            ]),
        }
    }
}

/// A live run's phase (and running step) and its SLA clock, as the operator sees them.
fn live_words(f: &Follower, now_ms: i64, t: Theme) -> (String, String) {
    let st = &f.state;
    let phase = match st.running() {
        Some(i) => format!("▶ {}", inline(&st.steps[i].key)),
        None => "waiting".into(),
    };
    let header = Header {
        plan: "",
        level: 0,
        mode: crate::engine::Mode::Live,
        state: st,
        now_ms,
        theme: t,
    };
    (phase, header.sla_words().0)
}

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
        buf.set_string(
            head.x + 21,
            head.y,
            format!(
                " {}  {} runs counted, {} live, {corrupt} corrupt",
                inline(&d.root.display().to_string()),
                d.records.runs.len(),
                d.live.len()
            ),
            t.base(),
        );
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

/// A report, scrolled.
struct ReportView<'a> {
    text: &'a str,
    scroll: u16,
    theme: Theme,
}

impl Widget for ReportView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [body, footer] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        Paragraph::new(self.text)
            .scroll((self.scroll, 0))
            .style(Style::default())
            .render(body, buf);
        let hint = "↑↓ PgUp PgDn scroll  q back";
        buf.set_string(footer.x + 1, footer.y, hint, self.theme.dim());
    }
}

/// The report's Markdown of the run in `dir`: its copy if written, else rendered now.
fn report_text(dir: &std::path::Path, now_ms: i64) -> String {
    if let Ok(text) = std::fs::read_to_string(dir.join(crate::report::files::MARKDOWN)) {
        return text;
    }
    match crate::report::files::render_with_history(dir, now_ms) {
        Ok(r) => crate::report::files::markdown_text(&r),
        Err(e) => format!("the report cannot be rendered: {e}"),
    }
}

/// The dashboard until q. `reload` reads the runs directory again.
pub async fn screen(
    terminal: &mut ratatui::DefaultTerminal,
    mut d: Dashboard,
    reload: impl Fn() -> Dashboard,
    theme: Theme,
) -> std::io::Result<Exit> {
    let mut events = EventStream::new();
    let mut report: Option<(String, u16)> = None;
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        terminal.draw(|frame| match &report {
            Some((text, scroll)) => frame.render_widget(
                ReportView {
                    text,
                    scroll: *scroll,
                    theme,
                },
                frame.area(),
            ),
            None => frame.render_widget(
                BoardView {
                    d: &d,
                    now_ms: now,
                    theme,
                },
                frame.area(),
            ),
        })?;
        let page = terminal.size()?.height.saturating_sub(2).max(1);
        tokio::select! {
            ev = events.next() => {
                let key = match ev {
                    Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => k,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => break,
                };
                if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
                    break;
                }
                if let Some((_, scroll)) = &mut report {
                    match key.code {
                        KeyCode::Char('q') | KeyCode::Esc => report = None,
                        KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                        KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
                        KeyCode::PageUp => *scroll = scroll.saturating_sub(page),
                        KeyCode::PageDown | KeyCode::Char(' ') => *scroll = scroll.saturating_add(page),
                        _ => {}
                    }
                    continue;
                }
                d.message = None;
                match key.code {
                    KeyCode::Char('q') | KeyCode::Esc => break,
                    KeyCode::Up | KeyCode::Char('k') => d.selected = d.selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        d.selected = (d.selected + 1).min(d.rows.len().saturating_sub(1));
                    }
                    KeyCode::PageUp => d.selected = d.selected.saturating_sub(page as usize),
                    KeyCode::PageDown => {
                        d.selected = (d.selected + page as usize).min(d.rows.len().saturating_sub(1));
                    }
                    KeyCode::Char('r') => d = reload(),
                    KeyCode::Enter => {
                        let Some(row) = d.rows.get(d.selected).cloned() else { continue };
                        let dir = d.root.join(&row.id);
                        match row.kind {
                            Kind::Live { .. } => match Follower::open(&dir) {
                                Ok(f) => {
                                    super::follow::screen(terminal, f, theme).await?;
                                    let keep = d.selected;
                                    d = reload();
                                    d.selected = keep.min(d.rows.len().saturating_sub(1));
                                }
                                Err(e) => d.message = Some(inline(&e).into_owned()),
                            },
                            Kind::Corrupt { why } => {
                                d.message = Some(format!("{} is corrupt: {}", row.id, inline(&why)));
                            }
                            _ => report = Some((report_text(&dir, now), 0)),
                        }
                    }
                    _ => {}
                }
            }
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {
                if d.poll_live() {
                    let keep = d.selected;
                    d = reload();
                    d.selected = keep.min(d.rows.len().saturating_sub(1));
                }
            }
        }
    }
    Ok(Exit::Ok)
}

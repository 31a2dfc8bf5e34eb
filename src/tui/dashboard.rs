//! The dashboard: the standard's criteria over the recorded runs, a table per plan, the
//! selected run's plan as a sparkline of durations against its SLA, and every run — live
//! ones first with their phase and SLA clock, corrupt ones listed as such. Enter opens a
//! run's report (scrollable) or, for a live run, the follow screen. Read-only throughout.

use std::collections::HashMap;
use std::path::PathBuf;

use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use ratatui::text::{Line, Span};

use super::board::BoardView;
use super::header::Header;
use super::report_view::{ReportView, report_text};
use super::theme::Theme;
use crate::engine::sla::clock_text;
use crate::exit::Exit;
use crate::records::board::{Kind, Row, outcome_word, rows};
use crate::records::figures::{Stats, stats};
use crate::records::{Records, Select};
use crate::text::inline;
use crate::timeline::follow::Follower;

pub struct Dashboard {
    pub root: PathBuf,
    pub records: Records,
    pub stats: Stats,
    pub rows: Vec<Row>,
    /// Followers of the live runs, by id: their phase and SLA clock.
    pub live: HashMap<String, Follower>,
    pub selected: usize,
    pub message: Option<String>,
    /// Entries of the runs directory when it was read: another one means a new run.
    entries: usize,
}

/// Entries of the runs directory: a cheap look for new runs (names only).
fn entries(root: &std::path::Path) -> usize {
    std::fs::read_dir(root).map_or(0, |rd| rd.count())
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
            records,
            stats,
            rows,
            live,
            selected: 0,
            message: None,
            entries: entries(&root),
            root,
        }
    }

    /// Reads what the live runs appended; whether the list must be read again (a live run
    /// stopped being live, or a run was added or removed).
    pub fn poll_live(&mut self) -> bool {
        let mut changed = entries(&self.root) != self.entries;
        for f in self.live.values_mut() {
            changed |= f.step().map_or(true, |(_, l)| {
                l != crate::timeline::follow::Liveness::Running
            });
        }
        changed
    }

    pub(super) fn row_line(&self, row: &Row, now_ms: i64, t: Theme) -> Line<'static> {
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
                                d.message = Some(format!("{} is corrupt: {}", inline(&row.id), inline(&why)));
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

//! The dashboard: the standard's criteria over the recorded runs, a table per plan, the
//! selected run's plan as a sparkline of durations against its SLA, and every run — live
//! ones first with their phase and SLA clock, corrupt ones listed as such. Enter opens a
//! run's report (scrollable) or, for a live run, the follow screen. Read-only throughout.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::sync::mpsc;

use super::board::BoardView;
use super::dashboard_read::{Reader, Update};
use super::fit::Piece;
use super::header::Header;
use super::input::{self, Input, Keys};
use super::report_view::{ReportView, report_text};
use super::theme::Theme;
use crate::engine::sla::clock_text;
use crate::engine::state::RunState;
use crate::exit::Exit;
use crate::records::board::{Kind, Row, outcome_word, rows};
use crate::records::figures::{Stats, stats};
use crate::records::{Records, Select};
use crate::text::inline;
use crate::timeline::follow::Follower;

/// What the dashboard shows: the runs directory as last read (see `dashboard_read`).
pub struct Dashboard {
    pub root: PathBuf,
    pub records: Records,
    pub stats: Stats,
    pub rows: Vec<Row>,
    /// The live runs' state as their journals last said, by id: phase and SLA clock.
    pub live: HashMap<String, RunState>,
    pub selected: usize,
    pub message: Option<String>,
    /// Whether the runs directory was read yet (the first scan may take a while).
    pub read: bool,
    /// The `?` help is open: the next key closes it.
    pub help: bool,
    /// Read from the team store instead of `root` (which then only names it).
    pub store: Option<crate::store::Store>,
}

/// Every key of the dashboard, as its `?` help lists them.
pub const KEYS: [(&str, &str); 7] = [
    ("↑↓  k j", "select a run"),
    ("PgUp PgDn", "a page of runs up or down"),
    ("enter", "the run's report; a live run: follow it"),
    ("r", "read the runs directory again"),
    ("q  esc", "leave the dashboard"),
    ("ctrl-c", "leave the dashboard"),
    ("?", "this help"),
];

/// The keys of a report opened from the dashboard.
pub const REPORT_KEYS: [(&str, &str); 5] = [
    ("↑↓  k j", "scroll a line"),
    ("PgUp PgDn", "scroll a page"),
    ("space", "scroll a page down"),
    ("q  esc", "back to the list of runs"),
    ("?", "this help"),
];

impl Dashboard {
    /// The figures and rows of `records`; the live runs' state comes separately.
    pub fn new(root: PathBuf, records: Records, now_ms: i64) -> Dashboard {
        Dashboard {
            stats: stats(&records.runs, &Select::default(), now_ms),
            rows: rows(&records),
            records,
            live: HashMap::new(),
            selected: 0,
            message: None,
            read: true,
            help: false,
            root,
            store: None,
        }
    }

    /// Nothing read yet.
    fn reading(root: PathBuf) -> Dashboard {
        let mut d = Dashboard::new(root, Records::default(), 0);
        d.read = false;
        d
    }

    /// What was read: a new list keeps the selection where it can.
    fn take(&mut self, update: Update) {
        match update {
            Update::Runs(mut d) => {
                d.selected = self.selected.min(d.rows.len().saturating_sub(1));
                d.live = std::mem::take(&mut self.live);
                d.help = self.help;
                *self = *d;
            }
            Update::Live(live) => self.live = live,
        }
    }

    /// A run's row as pieces: the outcome and SLA verdict stay whole, the id and the live
    /// phase are cut with "…" to fit.
    pub(super) fn row_pieces(&self, row: &Row, now_ms: i64, t: Theme) -> Vec<Piece> {
        let plan = inline(row.plan.as_deref().unwrap_or("?")).into_owned();
        let mode = row.mode.map_or("?", |m| m.name());
        let id = inline(&row.id).into_owned();
        match &row.kind {
            Kind::Live { .. } => {
                let (phase, sla) = match self.live.get(&row.id) {
                    Some(st) => live_words(st, now_ms, t),
                    None => ("journal unreadable".into(), String::new()),
                };
                vec![
                    Piece::fixed(0, "● LIVE     ", t.running()),
                    Piece::cuttable(1, id, t.base(), 12, 3),
                    Piece::fixed(2, mode, t.base()),
                    Piece::cuttable(2, phase, t.bold(), 8, 2),
                    Piece::fixed(2, sla, t.base()),
                ]
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
                vec![
                    Piece::fixed(0, format!("{:<11}", outcome_word(r)), style),
                    Piece::cuttable(1, id, t.base(), 12, 2),
                    Piece::fixed(2, mode, t.base()),
                    Piece::fixed(2, clock_text(r.duration_ms), t.base()),
                    Piece::fixed(2, sla, t.base()),
                ]
            }
            Kind::Left => vec![
                Piece::fixed(0, "◌ left     ", t.waiting()),
                Piece::cuttable(1, id, t.base(), 12, 2),
                Piece::cuttable(2, plan, t.base(), 8, 3),
                Piece::fixed(2, "resumable", t.base()),
            ],
            Kind::Corrupt { why } => vec![
                Piece::fixed(0, "✖ CORRUPT  ", t.alarm()),
                Piece::cuttable(1, format!("{id}:"), t.base(), 12, 2),
                Piece::cuttable(1, inline(why).into_owned(), t.base(), 8, 3),
            ],
        }
    }
}

/// A live run's phase (and running step) and its SLA clock, as the operator sees them.
fn live_words(st: &RunState, now_ms: i64, t: Theme) -> (String, String) {
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

/// What a key asks of the dashboard.
enum Ask {
    Nothing,
    Leave,
    /// Read the whole runs directory again.
    Again,
    Report(PathBuf),
    Follow(PathBuf),
}

/// A key on the board or on an open report.
fn on_key(d: &mut Dashboard, report: &mut Option<(String, u16)>, key: KeyEvent, page: u16) -> Ask {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Ask::Leave;
    }
    // Any key closes the help, and does nothing else.
    if std::mem::take(&mut d.help) {
        return Ask::Nothing;
    }
    if key.code == KeyCode::Char('?') {
        d.help = true;
        return Ask::Nothing;
    }
    if let Some((_, scroll)) = report {
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => *report = None,
            KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
            KeyCode::PageUp => *scroll = scroll.saturating_sub(page),
            KeyCode::PageDown | KeyCode::Char(' ') => *scroll = scroll.saturating_add(page),
            _ => {}
        }
        return Ask::Nothing;
    }
    d.message = None;
    let last = d.rows.len().saturating_sub(1);
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc => return Ask::Leave,
        KeyCode::Up | KeyCode::Char('k') => d.selected = d.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => d.selected = (d.selected + 1).min(last),
        KeyCode::PageUp => d.selected = d.selected.saturating_sub(page as usize),
        KeyCode::PageDown => d.selected = (d.selected + page as usize).min(last),
        KeyCode::Char('r') => {
            d.message = Some("reading the runs directory…".into());
            return Ask::Again;
        }
        KeyCode::Enter => {
            let Some(row) = d.rows.get(d.selected) else {
                return Ask::Nothing;
            };
            let dir = match &d.store {
                // From the store, the id is all there is to ask it by.
                Some(_) => PathBuf::from(&row.id),
                None => d.root.join(&row.id),
            };
            match &row.kind {
                Kind::Live { .. } => return Ask::Follow(dir),
                Kind::Corrupt { why } => {
                    d.message = Some(format!("{} is corrupt: {}", inline(&row.id), inline(why)));
                }
                _ => {
                    d.message = Some("reading the report…".into());
                    return Ask::Report(dir);
                }
            }
        }
        _ => {}
    }
    Ask::Nothing
}

/// A run's report, rendered on a thread of its own: a long journal does not hold the keys.
fn render_report(dir: PathBuf, to: mpsc::UnboundedSender<String>) {
    std::thread::spawn(move || {
        let _ = to.send(report_text(&dir, chrono::Utc::now().timestamp_millis()));
    });
}

/// A run's report read from the team store, on a thread of its own.
fn store_report(store: crate::store::Store, id: PathBuf, to: mpsc::UnboundedSender<String>) {
    std::thread::spawn(move || {
        let id = id.display().to_string();
        let now = chrono::Utc::now().timestamp_millis();
        let text = crate::store::block_on(async {
            let client = store.connect().await?;
            match crate::store::read::find(&store, &client, &id).await? {
                Ok(found) => crate::store::read::report(&store, &client, &found, now)
                    .await
                    .map(|r| crate::report::markdown_text(&r)),
                Err(why) => Ok(why),
            }
        });
        let _ = to.send(text.unwrap_or_else(|e| format!("the report cannot be read: {e}")));
    });
}

/// The dashboard until q, or until the terminal goes away (read-only: nothing to record).
/// The runs directory is read by `reader`, never on this loop.
pub async fn screen(
    terminal: &mut ratatui::DefaultTerminal,
    root: &Path,
    mut reader: Reader,
    theme: Theme,
) -> std::io::Result<Exit> {
    let mut d = Dashboard::reading(root.to_path_buf());
    let mut keys = Keys::new();
    let mut report: Option<(String, u16)> = None;
    let (reports, mut rendered) = mpsc::unbounded_channel();
    let mut page = 1;
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let drawn = input::draw(terminal, |frame| {
            page = frame.area().height.saturating_sub(2).max(1);
            match &report {
                Some((text, scroll)) => frame.render_widget(
                    ReportView {
                        text,
                        scroll: *scroll,
                        help: d.help,
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
            }
        });
        if drawn.is_err() {
            break;
        }
        tokio::select! {
            input = keys.next() => match input {
                Input::Event(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                    match on_key(&mut d, &mut report, k, page) {
                        Ask::Nothing => {}
                        Ask::Leave => break,
                        Ask::Again => reader.again(),
                        Ask::Report(dir) => match d.store.clone() {
                            Some(store) => store_report(store, dir, reports.clone()),
                            None => render_report(dir, reports.clone()),
                        },
                        Ask::Follow(dir) if d.store.is_some() => {
                            let store = d.store.clone().expect("checked");
                            let id = dir.display().to_string();
                            match crate::store::follow::open(&store, &id).await {
                                Ok(Ok(f)) => {
                                    super::follow::screen(terminal, f, theme).await?;
                                    reader.again();
                                }
                                Ok(Err(why)) => d.message = Some(inline(&why).into_owned()),
                                Err(e) => d.message = Some(inline(&e.0).into_owned()),
                            }
                        }
                        Ask::Follow(dir) => match Follower::open(&dir) {
                            Ok(f) => {
                                super::follow::screen(terminal, f, theme).await?;
                                reader.again();
                            }
                            Err(e) => d.message = Some(inline(&e).into_owned()),
                        },
                    }
                }
                Input::Event(_) => {}
                Input::Gone => break,
            },
            Some(update) = reader.updates.recv() => d.take(update),
            Some(text) = rendered.recv() => {
                d.message = None;
                report = Some((text, 0));
            }
            // The live runs' clocks move each second.
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn question_mark_opens_the_help_and_the_key_that_closes_it_does_nothing_else() {
        let mut d = Dashboard::new("/runs".into(), Records::default(), 0);
        let mut report = None;
        assert!(matches!(
            on_key(&mut d, &mut report, key(KeyCode::Char('?')), 10),
            Ask::Nothing
        ));
        assert!(d.help);
        assert!(matches!(
            on_key(&mut d, &mut report, key(KeyCode::Char('q')), 10),
            Ask::Nothing
        ));
        assert!(!d.help);
        assert!(matches!(
            on_key(&mut d, &mut report, key(KeyCode::Char('q')), 10),
            Ask::Leave
        ));
        // Over a report too.
        let mut report = Some(("text".to_string(), 0));
        on_key(&mut d, &mut report, key(KeyCode::Char('?')), 10);
        assert!(d.help);
        on_key(&mut d, &mut report, key(KeyCode::Esc), 10);
        assert!(!d.help && report.is_some(), "esc closed only the help");
    }
}

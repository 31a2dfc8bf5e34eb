//! The validation screen, after the run screen of a run that completed: one row per window
//! with its verdict and time left, the sources sampled in the open window with their state,
//! and the latest failures. `q` leaves (recorded); `rollback watch --validate RUN` goes on.

use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::DefaultTerminal;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::input::{self, Input, Keys};
use super::theme::Theme;
use crate::exit::Exit;
use crate::monitor::Sample;
use crate::monitor::validation::{RunVerdict, WindowVerdict};
use crate::session::validate_loop::{Ended, Face, now_ms, run_loop, sample_text};
use crate::session::validate_windows::{DRILL_SKIP, Validating, open};
use crate::text::fit_width;

/// What the screen shows besides the validation itself.
pub struct ValidationView<'a> {
    pub v: &'a Validating,
    pub now_ms: i64,
    pub recent: &'a [String],
    pub theme: Theme,
    pub footer: &'a str,
    /// The `?` help is open.
    pub help: bool,
}

/// Every key of the validation screen, as its `?` help lists them.
pub const KEYS: [(&str, &str); 3] = [
    (
        "q  esc",
        "leave the windows open (recorded); go on later with rollback watch --validate RUN",
    ),
    ("ctrl-c", "leave, as q"),
    ("?", "this help"),
];

impl Widget for ValidationView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = self.v;
        let t = self.theme;
        let windows = v.validation.spans().len() as u16;
        let [header, rows, sources, recent, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(windows + 1),
            Constraint::Fill(1),
            Constraint::Length(6),
            Constraint::Length(1),
        ])
        .areas(area);
        let width = area.width as usize;
        let verdict = v.ended().unwrap_or(RunVerdict::Validating);
        let speed = if v.speed > 1.0 {
            format!(
                "  drill clock x{}",
                crate::engine::clock::factor_text(v.speed)
            )
        } else {
            String::new()
        };
        // A drill's windows say so, as every drill screen does.
        let badge = match v.mode {
            crate::engine::Mode::Live => Span::raw(""),
            mode => Span::styled(format!(" {} ", mode.banner()), t.mode(mode)),
        };
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled(" VALIDATION ", t.bold()),
                badge,
                Span::raw(format!(" {}  ", crate::text::inline(&v.info.run_id))),
                Span::styled(verdict.word().to_uppercase(), verdict_style(t, verdict)),
                Span::raw(speed),
            ]),
            Line::raw(""),
        ])
        .render(header, buf);

        let now = v.clock(self.now_ms);
        let lines: Vec<Line> = v
            .validation
            .spans()
            .iter()
            .zip(v.validation.verdicts())
            .map(|(s, w)| {
                let (icon, style) = match w {
                    WindowVerdict::Pending => ("·", t.dim()),
                    WindowVerdict::Running => ("▶", t.running()),
                    WindowVerdict::Passed => ("✔", t.ok()),
                    WindowVerdict::Regressed { .. } => ("✖", t.failed()),
                    WindowVerdict::NotRun { .. } => ("–", t.dim()),
                };
                let detail = match w {
                    WindowVerdict::Running => format!("{} left", fmt(s.until.saturating_sub(now))),
                    WindowVerdict::Pending => {
                        format!("opens in {}", fmt(s.from.saturating_sub(now)))
                    }
                    WindowVerdict::Regressed { source } => format!("{source} failed"),
                    WindowVerdict::NotRun { why } => why.clone(),
                    WindowVerdict::Passed => String::new(),
                };
                Line::from(vec![
                    Span::styled(format!(" {icon} {:<11}", s.window.name()), style),
                    Span::styled(format!("{:<10}", w.word()), style),
                    Span::raw(detail),
                ])
            })
            .collect();
        Paragraph::new(lines).render(rows, buf);

        let watching: Vec<Line> = v
            .validation
            .watching()
            .map(|(s, verdict)| {
                let name = fit_width(&crate::text::inline(&s.name), 23).into_owned();
                Line::raw(format!("   {name:<24} {}", verdict.name()))
            })
            .collect();
        let mut text = vec![Line::styled(" Sampling", t.bold())];
        text.extend(watching);
        Paragraph::new(text).render(sources, buf);

        let mut text = vec![Line::styled(" Latest", t.bold())];
        let skip = self.recent.len().saturating_sub(5);
        text.extend(
            self.recent[skip..]
                .iter()
                .map(|l| Line::raw(format!("   {}", fit_width(l, width.saturating_sub(3))))),
        );
        Paragraph::new(text).render(recent, buf);
        let keys = Line::styled(format!(" {}", self.footer), t.dim());
        super::fit::render_cut(keys, footer, buf);
        if self.help {
            super::help::Help {
                title: "Validation: keys",
                keys: &KEYS,
                theme: t,
            }
            .render(area, buf);
        }
    }
}

fn verdict_style(t: Theme, v: RunVerdict) -> ratatui::style::Style {
    match v {
        RunVerdict::Validated => t.ok(),
        RunVerdict::Regressed => t.failed(),
        RunVerdict::Validating => t.running(),
        RunVerdict::NotValidated => t.dim(),
    }
}

fn fmt(d: Duration) -> String {
    crate::plan::duration::format(Duration::from_secs(d.as_secs()))
}

/// Draws on every change and every second.
struct Screen<'t> {
    terminal: &'t mut DefaultTerminal,
    recent: Vec<String>,
    theme: Theme,
    footer: String,
    /// Set by the keys, drawn on the next frame (at most a second later).
    help: Rc<Cell<bool>>,
}

impl Screen<'_> {
    fn draw(&mut self, v: &Validating) {
        let view = ValidationView {
            v,
            now_ms: now_ms(),
            recent: &self.recent,
            theme: self.theme,
            footer: &self.footer,
            help: self.help.get(),
        };
        // A frame that cannot be drawn: the terminal is gone, and the keys say so next.
        let _ = input::draw(self.terminal, |f| f.render_widget(view, f.area()));
    }
}

impl Face for Screen<'_> {
    fn windows(&mut self, v: &Validating, changed: &[(usize, WindowVerdict)]) {
        for (w, verdict) in changed {
            let name = v.validation.spans()[*w].window.name();
            self.recent
                .push(format!("{name} window {}", verdict.word()));
        }
        self.draw(v);
    }
    fn sample(&mut self, v: &Validating, w: usize, k: usize, sample: &Sample) {
        let name = v.validation.spans()[w].window.name();
        let text = sample_text(v, k, sample);
        self.recent.push(format!(
            "{name}: {} {}",
            v.specs[k].name,
            crate::text::inline(&text)
        ));
        self.draw(v);
    }
    fn tick(&mut self, v: &Validating, _now_ms: i64) {
        self.draw(v);
    }
    fn every(&self) -> Duration {
        Duration::from_secs(1)
    }
}

fn ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

fn leaves(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl_c(key)
}

/// Records the windows of a drill not asked to practise them as not run, as headless does;
/// returns the line to print once the terminal is restored.
pub fn skip_drill(dir: &Path, operator: &str, speed: f64, vars: &[(String, String)]) -> String {
    let skipped = open(dir, operator, speed, vars)
        .map_err(|e| e.to_string())
        .and_then(|mut v| v.start(now_ms(), Some(DRILL_SKIP)));
    match skipped {
        Ok(_) => format!("validation windows not run: {DRILL_SKIP}"),
        Err(e) => format!("validation windows: {e}"),
    }
}

/// The screen, on the terminal the run used. Returns the exit code and a line to print once
/// the terminal is restored.
pub async fn screen(
    terminal: &mut DefaultTerminal,
    dir: &Path,
    operator: &str,
    speed: f64,
    vars: &[(String, String)],
    theme: Theme,
) -> (Exit, String) {
    let mut v = match open(dir, operator, speed, vars) {
        Ok(v) => v,
        Err(e) => return (Exit::BadInput, format!("validation windows: {e}")),
    };
    let go_on = format!("rollback watch --validate {}", v.info.run_id);
    let help = Rc::new(Cell::new(false));
    let mut face = Screen {
        terminal,
        recent: Vec::new(),
        theme,
        footer: "q leave the windows (go on later: rollback watch --validate RUN)  ? help".into(),
        help: help.clone(),
    };
    let started = v
        .start(now_ms(), None)
        .map(|changed| face.windows(&v, &changed));
    if let Err(e) = started {
        return (Exit::Internal, format!("validation stopped: {e}"));
    }
    let mut keys = Keys::new();
    let leave = async {
        loop {
            match keys.next().await {
                // Any key closes the help, and does nothing else.
                Input::Event(Event::Key(k)) if help.replace(false) && !ctrl_c(&k) => {}
                Input::Event(Event::Key(k)) if k.code == KeyCode::Char('?') => help.set(true),
                Input::Event(Event::Key(k)) if leaves(&k) => return "q: the operator left".into(),
                Input::Event(_) => {}
                Input::Gone => return input::CLOSED.to_string(),
            }
        }
    };
    let ended = run_loop(&mut v, &mut face, leave).await;
    match ended {
        Err(e) => (Exit::Internal, format!("validation stopped: {e}")),
        Ok(Ended::Left(_)) => (
            Exit::Ok,
            format!("validation left with windows open; go on with: {go_on}"),
        ),
        Ok(Ended::Judged) => {
            let verdict = v.ended().unwrap_or(RunVerdict::NotValidated);
            face.footer = "any key: close".into();
            face.draw(&v);
            while let Input::Event(e) = keys.next().await {
                if matches!(e, Event::Key(_)) {
                    break;
                }
            }
            let exit = if verdict == RunVerdict::Regressed {
                Exit::Failed
            } else {
                Exit::Ok
            };
            (exit, format!("validation {}", verdict.word()))
        }
    }
}

//! The follow screen: the operator's header, escalation banner, step list and timeline,
//! drawn from a read-only fold of the journal. No key acts on the run; ↑/↓ choose a step
//! whose details the timeline shows anyway, q leaves. When the run ends or its runner is
//! gone, the bottom line says so and the screen stays until q.

use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::header::Header;
use super::input::{self, Input, Keys};
use super::recent::Recent;
use super::steps::{Rows, Steps};
use super::theme::Theme;
use crate::exit::Exit;
use crate::timeline::follow::ending;
use crate::timeline::follow::{Follower, Liveness};

/// What the follow screen shows.
pub struct FollowView<'a> {
    pub f: &'a Follower,
    pub rows: &'a Rows,
    pub selected: usize,
    pub live: &'a Liveness,
    /// `None` while the run goes on; how it ended otherwise.
    pub ended: Option<&'a str>,
    pub now_ms: i64,
    /// The `?` help is open.
    pub help: bool,
    pub theme: Theme,
}

/// Every key of the follow screen, as its `?` help lists them.
pub const KEYS: [(&str, &str); 4] = [
    ("↑↓  k j", "select a step (its output shows on the right)"),
    ("q  esc", "leave; the run goes on (nothing here acts on it)"),
    ("ctrl-c", "leave, as q"),
    ("?", "this help"),
];

impl Widget for FollowView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let st = &self.f.state;
        let recent_h = (area.height / 3).clamp(3, 12);
        let [header, banner, body, _, recent, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(recent_h),
            Constraint::Length(1),
        ])
        .areas(area);
        Header {
            plan: &self.f.plan.plan.value,
            level: *self.f.plan.level,
            mode: self
                .f
                .recent
                .front()
                .map_or(crate::engine::Mode::Live, |r| r.mode),
            state: st,
            now_ms: self.now_ms,
            theme: t,
        }
        .render(header, buf);
        let (text, style) = match st.unacknowledged() {
            Some(level) => (
                format!(
                    " ⚠ ESCALATION LEVEL {level}: {} (not acknowledged yet) ",
                    crate::text::inline(&st.escalation_action)
                ),
                t.alarm(),
            ),
            None => (
                format!(" FOLLOWING {} (read-only)", crate::text::inline(&self.f.id)),
                t.dim(),
            ),
        };
        buf.set_string(banner.x, banner.y, text, style);
        Steps {
            plan: &self.f.plan,
            state: st,
            rows: self.rows,
            selected: self.selected,
            now_ms: self.now_ms,
            theme: t,
            focused: true,
        }
        .render(body, buf);
        buf.set_string(
            recent.x,
            recent.y.saturating_sub(1),
            "─".repeat(recent.width as usize),
            t.border(),
        );
        buf.set_string(
            recent.x + 1,
            recent.y.saturating_sub(1),
            " Timeline ",
            t.dim(),
        );
        Recent {
            records: &self.f.recent,
            mask: &Default::default(),
            theme: t,
            speed: self.f.state.speed(),
        }
        .render(recent, buf);
        let line = match (self.ended, self.live) {
            (Some(how), _) => Line::from(vec![
                Span::styled(format!(" {how} "), t.bold()),
                Span::styled(" q", t.key()),
                Span::raw(" leave  "),
                Span::styled("?", t.key()),
                Span::raw(" help"),
            ]),
            _ => Line::from(vec![
                Span::styled(" LIVE ", t.running()),
                Span::raw(" read-only: nothing here acts on the run  "),
                Span::styled("↑↓", t.key()),
                Span::raw(" step  "),
                Span::styled("q", t.key()),
                Span::raw(" leave  "),
                Span::styled("?", t.key()),
                Span::raw(" help"),
            ]),
        };
        super::fit::render_cut(line, footer, buf);
        if self.help {
            super::help::Help {
                title: "Follow: keys",
                keys: &KEYS,
                theme: t,
            }
            .render(area, buf);
        }
    }
}

/// The selectable steps (those in the run), in order.
fn steps_in_run(f: &Follower) -> Vec<usize> {
    (0..f.state.steps.len())
        .filter(|&i| f.state.steps[i].selected)
        .collect()
}

/// Follows until the user leaves; the exit code says how the run ended (see `follow`).
pub fn run(rt: &tokio::runtime::Runtime, f: Follower) -> color_eyre::Result<Exit> {
    let theme = Theme::from_env();
    let mut terminal = super::open_terminal();
    let result = rt.block_on(screen(&mut terminal, f, theme));
    ratatui::restore();
    Ok(result?)
}

/// The follow screen on `terminal` until q, or until the terminal goes away (the dashboard
/// opens it too).
pub async fn screen(
    terminal: &mut ratatui::DefaultTerminal,
    mut f: Follower,
    theme: Theme,
) -> std::io::Result<Exit> {
    let mut keys = Keys::new();
    let mut ended: Option<(String, Exit)> = None;
    let mut live = Liveness::Running;
    let mut cursor = 0usize;
    let mut rows = Rows::new(&f.plan, &f.state);
    let mut started = false;
    let mut help = false;
    loop {
        if ended.is_none() {
            let (_, now_live) = f.step().map_err(std::io::Error::other)?;
            live = now_live;
            if !started && f.state.info.is_some() {
                // The scenario is known: which steps are in the run is settled.
                rows = Rows::new(&f.plan, &f.state);
                started = true;
            }
            if live != Liveness::Running {
                ended = Some(ending(&f, &live));
            }
        }
        let in_run = steps_in_run(&f);
        cursor = cursor.min(in_run.len().saturating_sub(1));
        let selected = in_run.get(cursor).copied().unwrap_or(0);
        let now = chrono::Utc::now().timestamp_millis();
        let drawn = input::draw(terminal, |frame| {
            frame.render_widget(
                FollowView {
                    f: &f,
                    rows: &rows,
                    selected,
                    live: &live,
                    ended: ended.as_ref().map(|(t, _)| t.as_str()),
                    now_ms: now,
                    help,
                    theme,
                },
                frame.area(),
            )
        });
        if drawn.is_err() {
            break;
        }
        tokio::select! {
            input = keys.next() => match input {
                Input::Event(Event::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => break,
                    // Any key closes the help, and does nothing else.
                    _ if std::mem::take(&mut help) => {}
                    KeyCode::Char('?') => help = true,
                    KeyCode::Char('q') | KeyCode::Esc => break,
                    KeyCode::Up | KeyCode::Char('k') => cursor = cursor.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => cursor += 1,
                    _ => {}
                },
                Input::Event(_) => {}
                // Read-only: nothing to record; the screen ends.
                Input::Gone => break,
            },
            // The clocks move each second; the journal wakes the screen at once.
            _ = f.wait(), if ended.is_none() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
    Ok(ended.map_or(Exit::Ok, |(_, code)| code))
}

//! The run screen for a terminal smaller than the full view needs: the header, the open
//! question (or the latest events) and the keys that apply. A run never waits on a
//! question nobody can see, however small the window got.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::app::App;
use super::header::Header;
use super::hints::Hints;
use super::recent::Recent;
use super::view::{MIN_HEIGHT, MIN_WIDTH};

/// Below this nothing useful fits: only the words saying so.
const FLOOR: (u16, u16) = (24, 5);

/// Too small even for the compact view: a question could not be shown, so q leaves at once.
pub fn too_small_to_ask(area: Rect) -> bool {
    area.width < FLOOR.0 || area.height < FLOOR.1
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    if too_small_to_ask(area) {
        let words = format!("{}x{}: too small; q leaves", area.width, area.height);
        Paragraph::new(words)
            .wrap(Wrap { trim: true })
            .style(t.waiting())
            .render(area, buf);
        return;
    }
    let [header, note, body, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let st = &app.session.state();
    Header {
        plan: &app.session.plan().plan.value,
        level: *app.session.plan().level,
        mode: app.session.mode(),
        state: st,
        now_ms: app.session.now_ms(),
        theme: t,
    }
    .render(header, buf);
    Line::styled(
        format!(
            " compact view: {}x{} (the full view needs {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        ),
        t.dim(),
    )
    .render(note, buf);
    if let Some(d) = super::dialog::dialog(app) {
        if !app.help {
            app.drawn();
        }
        let drill = if app.session.mode() == crate::engine::Mode::Drill {
            "DRILL · "
        } else {
            ""
        };
        let mut lines = vec![Line::from(Span::styled(
            format!(" {drill}{}", d.title),
            d.title_style,
        ))];
        lines.extend(d.body.lines.iter().cloned());
        let input_h = d.input.map_or(0, |(_, h)| h + 2).min(body.height / 2);
        let [text, input] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(input_h)]).areas(body);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(text, buf);
        if let Some((ta, _)) = d.input {
            let mut ta = ta.clone();
            ta.set_block(Block::default().borders(Borders::ALL).border_style(t.dim()));
            ta.render(input, buf);
        }
        d.keys.render(keys, buf);
        return;
    }
    let escalation = st.unacknowledged().map(|level| {
        format!(
            " ⚠ ESCALATION LEVEL {level}: {} (e acknowledges)",
            crate::text::inline(&st.escalation_action)
        )
    });
    let events = match escalation {
        Some(words) if body.height > 1 => {
            Line::styled(words, t.alarm()).render(body, buf);
            Rect {
                y: body.y + 1,
                height: body.height - 1,
                ..body
            }
        }
        _ => body,
    };
    Recent {
        records: app.session.recent(),
        mask: app.session.mask(),
        theme: t,
        speed: app.session.state().speed(),
    }
    .render(events, buf);
    Hints {
        state: st,
        following: app.follow && app.scroll.is_none(),
        flash: app.flash.as_deref(),
        theme: t,
    }
    .render(keys, buf);
}

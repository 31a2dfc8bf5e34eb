//! One frame of the run screen: header, escalation banner, steps beside output, the latest
//! events and the key hints; a dialog on top when one is open. Below 80x24, the compact view.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Widget;

use super::app::App;
use super::header::Header;
use super::hints::Hints;
use super::modal;
use super::output::Output;
use super::recent::Recent;
use super::steps::Steps;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn render(app: &mut App, frame: &mut Frame) {
    let area = frame.area();
    draw(app, area, frame.buffer_mut());
}

pub fn draw(app: &mut App, area: Rect, buf: &mut Buffer) {
    app.small = super::compact::too_small_to_ask(area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return super::compact::render(app, area, buf);
    }
    let t = app.theme;
    let now = app.session.now_ms();
    let st = &app.session.state();
    let started_by = super::header::started_by(st);
    let banner_h = u16::from(
        st.unacknowledged().is_some() || app.session.fatal().is_some() || started_by.is_some(),
    );
    let recent_h = (2 + (area.height - MIN_HEIGHT) / 6).min(8);
    let lanes_h = super::lanes::height(st, area.height);
    let [header, banner, lanes, body, _, recent, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_h),
        Constraint::Length(lanes_h),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(recent_h),
        Constraint::Length(1),
    ])
    .areas(area);
    let left_w = (area.width * 38 / 100).clamp(34, 60);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_w), Constraint::Fill(1)]).areas(body);
    let plan = app.session.plan().clone();
    Header {
        plan: &plan.plan.value,
        level: *plan.level,
        mode: app.session.mode(),
        state: st,
        now_ms: now,
        theme: t,
    }
    .render(header, buf);
    super::lanes::Lanes {
        plan: &plan,
        state: st,
        now_ms: now,
        theme: t,
    }
    .render(lanes, buf);
    draw_banner(app, banner, started_by, buf);
    Steps {
        plan: &plan,
        state: st,
        rows: &app.rows,
        selected: app.selected,
        now_ms: now,
        theme: t,
        focused: true,
    }
    .render(left, buf);
    let out_area = Rect {
        x: right.x + 1,
        width: right.width.saturating_sub(1),
        ..right
    };
    app.page = out_area.height.saturating_sub(2).max(1);
    let (pi, _) = app.session.locate(app.selected);
    let src = app.session.state().steps.get(app.selected).map(|s| s.src);
    let step = src
        .and_then(|r| crate::engine::expand::plan_step(&plan, &r))
        .unwrap_or(&plan.phases[pi].steps[0]);
    let tail = app.session.tail(app.selected);
    let guard = tail.as_ref().and_then(|t| t.lock().ok());
    let st = &app.session.state();
    Output {
        step,
        phase_id: &plan.phases[pi].id.value,
        index: app.selected,
        state: st,
        tail: guard.as_deref(),
        scroll: app.scroll,
        following: app.follow && app.scroll.is_none(),
        mode: app.session.mode(),
        mask: app.session.mask(),
        now_ms: now,
        theme: t,
    }
    .render(out_area, buf);
    drop(guard);
    let sep = Rect {
        y: recent.y - 1,
        height: 1,
        ..recent
    };
    buf.set_string(sep.x, sep.y, "─".repeat(sep.width as usize), t.border());
    buf.set_string(sep.x + 1, sep.y, " Timeline ", t.dim());
    Recent {
        records: app.session.recent(),
        mask: app.session.mask(),
        theme: t,
        speed: app.session.state().speed(),
    }
    .render(recent, buf);
    // With a dialog open, the bottom line shows the dialog's own keys: only those apply.
    match super::dialog::dialog(app) {
        Some(d) if app.flash.is_none() => super::fit::render_cut(d.keys, hints, buf),
        _ => Hints {
            state: app.session.state(),
            following: app.follow && app.scroll.is_none(),
            flash: app.flash.as_deref(),
            theme: t,
        }
        .render(hints, buf),
    }
    modal::render(app, area, buf);
}

/// The row under the header: a stopped run, else an escalation to acknowledge, else the
/// trigger that started the run.
fn draw_banner(app: &App, banner: Rect, started_by: Option<String>, buf: &mut Buffer) {
    let (t, st) = (app.theme, &app.session.state());
    if let Some(why) = &app.session.fatal() {
        let msg = format!(" ✖ RUN STOPPED: {why}. Nothing more starts; q leaves. ");
        buf.set_string(banner.x, banner.y, msg, t.alarm());
    } else if let Some(level) = st.unacknowledged() {
        let at = st
            .escalations
            .iter()
            .rev()
            .find(|(l, _)| *l == level)
            .map(|(_, ts)| crate::engine::sla::clock_text(st.elapsed_ms(*ts)))
            .unwrap_or_default();
        // In a field `e` is typed: the way to the banner's key goes through esc.
        let typing = app.modal.as_ref().is_some_and(|m| m.has_field());
        let press = if typing { "esc, then e" } else { "e" };
        // The key first: a narrow screen cuts the action, which the header names too.
        let msg = format!(
            " ⚠ ESCALATION LEVEL {level} at {at}: press {press} to acknowledge · {} ",
            crate::text::inline(&st.escalation_action)
        );
        let fill = " ".repeat(banner.width as usize);
        buf.set_string(banner.x, banner.y, fill, t.alarm());
        super::fit::render_cut(ratatui::text::Line::styled(msg, t.alarm()), banner, buf);
    } else if let Some(line) = started_by {
        super::fit::render_cut(ratatui::text::Line::styled(line, t.alarm()), banner, buf);
    }
}

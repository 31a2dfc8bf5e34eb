//! A step that failed for good: retry, skip or abort, or one of the plan's alternative
//! paths when it offers some. The region failure and interrupted dialogs take the same
//! keys (`decide`).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Text};

use super::{Dialog, current, keys};
use crate::engine::RunState;
use crate::plan::RegionFailure;
use crate::session::Session;
use crate::text;
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// What happened to step `i`'s attempts, and what `r` does now.
pub(super) fn attempt_lines(s: &Session, i: usize) -> Vec<Line<'static>> {
    let ss = &s.state().steps[i];
    let how = ss
        .last_attempt()
        .and_then(|a| a.end.as_ref())
        .map(|e| match (e.exit_code, e.signal, &e.error) {
            (_, _, Some(err)) => text::inline(err).into_owned(),
            (Some(c), _, _) => format!("{} with exit code {c}", e.outcome.word()),
            (None, Some(sig), _) => format!("{} by signal {sig}", e.outcome.word()),
            _ => e.outcome.word().to_string(),
        })
        .unwrap_or_default();
    vec![
        Line::raw(format!(
            "Attempt {} of the plan's {}: {how}.",
            ss.attempts_used(),
            ss.attempts_allowed
        )),
        Line::raw(format!(
            "r runs attempt {}, one more than the plan allows (recorded as yours).",
            ss.attempts_used() + 1
        )),
        Line::raw("Its output is in the pane behind this box (esc to read it)."),
    ]
}

/// The plan's alternative paths for step `i`, each with its key.
pub(super) fn alternative_lines(s: &Session, i: usize) -> Vec<Line<'static>> {
    let ids = s.state().alternatives_for(i);
    if ids.is_empty() {
        return Vec::new();
    }
    let src = s.state().steps[i].src;
    let offered = crate::engine::expand::alternatives(s.plan(), &src);
    let mut out = vec![Line::raw("The plan offers another way:")];
    for (n, id) in ids.iter().enumerate() {
        let title = offered
            .iter()
            .find(|(_, _, a)| &a.id.value == id)
            .map_or(id.as_str(), |(_, _, a)| a.title.as_str());
        let key = if ids.len() == 1 {
            "p".to_string()
        } else {
            (n + 1).to_string()
        };
        out.push(Line::raw(format!("  {key}  {}", text::inline(title))));
    }
    out
}

/// The key for the alternative paths, when the plan offers some.
pub(super) fn alternative_key(st: &RunState, i: usize) -> Option<(&'static str, &'static str)> {
    match st.alternatives_for(i).len() {
        0 => None,
        1 => Some(("p", "alternative path")),
        _ => Some(("1-9", "alternative path")),
    }
}

/// What the operator chose for the other regions, when a region's step failed.
fn region_line(s: &Session, i: usize) -> Option<Line<'static>> {
    let ss = &s.state().steps[i];
    let region = ss.region.as_deref()?;
    Some(Line::raw(match ss.region_choice? {
        RegionFailure::StopAll => {
            format!("The other regions are stopped: nothing new starts until {region} is decided.")
        }
        RegionFailure::Continue => "The other regions went on, as chosen.".to_string(),
        RegionFailure::Ask => return None,
    }))
}

pub(super) fn view(s: &Session, t: Theme) -> Dialog<'_> {
    let i = current(s);
    let mut body = attempt_lines(s, i);
    body.extend(region_line(s, i));
    body.extend(alternative_lines(s, i));
    let mut pairs: Vec<(&str, &str)> = alternative_key(s.state(), i).into_iter().collect();
    pairs.extend([
        ("r", "retry"),
        ("s", "skip…"),
        ("a", "abort…"),
        ("esc", "read output"),
    ]);
    Dialog {
        title: format!("✖ Step failed: {}", s.state().steps[i].key),
        title_style: t.failed(),
        body: Text::from(body),
        input: None,
        keys: keys(t, &pairs),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    decide(app, key, true);
}

/// Retry, skip, abort, and (with `paths`) the plan's alternative paths: `p` for the first,
/// a digit for one of several.
pub(super) fn decide(app: &mut App, key: KeyEvent, paths: bool) {
    let by = app.session.operator().to_string();
    let st = &app.session.state();
    let several = st
        .waiting()
        .step()
        .is_some_and(|i| st.alternatives_for(i).len() > 1);
    match key.code {
        KeyCode::Char('p') if paths => app.take_alternative(0, by),
        KeyCode::Char(c @ '1'..='9') if paths && several => {
            app.take_alternative(c as usize - '1' as usize, by)
        }
        KeyCode::Char('r') => app.send(crate::engine::Input::Retry { by }),
        KeyCode::Char('s') => {
            app.ask_skip();
        }
        KeyCode::Char('a') => app.ask_abort(),
        _ => {}
    }
}

//! A region's step failed for good under `on_region_failure: ask`. One question at a
//! time: first what happens to this region (retry, skip, an alternative path, abort, or
//! leave it failed); only when it is left failed, what happens to the other regions.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Text};

use super::failure::{alternative_key, alternative_lines, attempt_lines, decide};
use super::{Dialog, Modal, current, keys};
use crate::engine::Input;
use crate::plan::RegionFailure;
use crate::session::Session;
use crate::tui::app::App;
use crate::tui::theme::Theme;

fn title(s: &Session, i: usize) -> String {
    let ss = &s.state().steps[i];
    match &ss.region {
        Some(r) => format!("✖ Region {r} failed: {}", ss.key),
        None => format!("✖ Step failed: {}", ss.key),
    }
}

/// The first question: this region.
pub(super) fn view(s: &Session, t: Theme) -> Dialog<'_> {
    let i = current(s);
    let mut body = attempt_lines(s, i);
    body.extend(alternative_lines(s, i));
    let others = s.state().other_regions_left(i);
    if others {
        body.push(Line::raw(
            "f leaves it failed; then you choose what the other regions do.",
        ));
    }
    let mut pairs: Vec<(&str, &str)> = alternative_key(s.state(), i).into_iter().collect();
    pairs.extend([("r", "retry"), ("s", "skip…"), ("a", "abort…")]);
    if others {
        pairs.push(("f", "leave it failed…"));
    }
    pairs.push(("esc", "read output"));
    Dialog {
        title: title(s, i),
        title_style: t.failed(),
        body: Text::from(body),
        input: None,
        keys: keys(t, &pairs),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    // With no other region to go on, there is nothing to leave it failed for.
    if key.code == KeyCode::Char('f') {
        if app
            .session
            .state()
            .other_regions_left(current(&app.session))
        {
            app.modal = Some(Modal::RegionOthers);
        }
    } else {
        decide(app, key, true);
    }
}

/// The second question, once the region is left failed: the other regions.
pub(super) fn others_view(s: &Session, t: Theme) -> Dialog<'_> {
    let i = current(s);
    let key = &s.state().steps[i].key;
    let body = vec![
        Line::styled(
            format!("{key} stays failed. What do the other regions do?"),
            t.bold(),
        ),
        Line::raw(""),
        Line::raw(format!(
            "c: they go on to the end of the phase; then {key} waits for you again."
        )),
        Line::raw(format!(
            "x: they stop (nothing new starts; running steps finish); then retry, skip or abort {key}."
        )),
    ];
    Dialog {
        title: title(s, i),
        title_style: t.failed(),
        body: Text::from(body),
        input: None,
        keys: keys(
            t,
            &[
                ("c", "continue others"),
                ("x", "stop all"),
                ("esc", "not yet"),
            ],
        ),
        width: 72,
    }
}

pub(super) fn others_key(app: &mut App, key: KeyEvent) {
    let choice = match key.code {
        KeyCode::Char('c') => RegionFailure::Continue,
        KeyCode::Char('x') => RegionFailure::StopAll,
        _ => return,
    };
    let by = app.session.operator().to_string();
    app.send(Input::ChooseRegionPolicy { by, choice });
}

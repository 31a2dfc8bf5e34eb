//! The dialogs of a step that failed for good: retry, skip or abort, the plan's alternative
//! paths when it offers some, and, when a region failed under `on_region_failure: ask`, the
//! choice of what happens to the other regions.

use ratatui::text::{Line, Text};

use super::dialogs::{Dialog, keys};
use super::theme::Theme;
use crate::engine::RunState;
use crate::session::Session;
use crate::text;

/// The failure dialog of step `i`; `region` asks about the other regions as well.
pub(super) fn dialog(s: &Session, i: usize, region: bool, t: Theme) -> Dialog<'_> {
    let st = &s.state;
    let ss = &st.steps[i];
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
    let mut body = vec![
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
    ];
    if region {
        body.push(Line::styled(
            "The plan asks what this means for the other regions:",
            t.bold(),
        ));
        body.push(Line::raw(
            "c lets them continue; x stops them (start nothing new).",
        ));
    }
    body.extend(alternative_lines(s, i));
    let title = match (&ss.region, region) {
        (Some(r), true) => format!("✖ Region {r} failed: {}", ss.key),
        _ => format!("✖ Step failed: {}", ss.key),
    };
    let pairs = if region {
        region_keys(st, i)
    } else {
        failure_keys(st, i)
    };
    Dialog {
        title,
        title_style: t.failed(),
        body: Text::from(body),
        input: None,
        keys: keys(t, &pairs),
        width: 72,
    }
}

/// The plan's alternative paths for step `i`, each with its key.
fn alternative_lines(s: &Session, i: usize) -> Vec<Line<'static>> {
    let ids = s.state.alternatives_for(i);
    if ids.is_empty() {
        return Vec::new();
    }
    let src = s.state.steps[i].src;
    let offered = crate::engine::expand::alternatives(&s.plan, &src);
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

/// The region-failure dialog's keys: the choice for the others, then the alternative path.
fn region_keys(st: &RunState, i: usize) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("c", "continue others"), ("x", "stop all")];
    if st.alternatives_for(i).len() == 1 {
        v.push(("p", "alternative path"));
    }
    v.push(("esc", "read output"));
    v
}

/// The failure dialog's keys: the alternative path first when the plan offers one.
fn failure_keys(st: &RunState, i: usize) -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    match st.alternatives_for(i).len() {
        0 => {}
        1 => v.push(("p", "alternative path")),
        _ => v.push(("1-9", "alternative path")),
    }
    v.extend([
        ("r", "retry"),
        ("s", "skip…"),
        ("a", "abort…"),
        ("esc", "read output"),
    ]);
    v
}

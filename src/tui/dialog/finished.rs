//! The summary once the run ended: its outcome against the SLA, and the way out.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Style;
use ratatui::text::{Line, Text};

use super::{Dialog, Modal, is_enter, keys, text_area};
use crate::engine::Outcome;
use crate::engine::sla::{SlaStatus, clock_text};
use crate::engine::tally::Tally;
use crate::session::Session;
use crate::tui::app::{App, Leaving};
use crate::tui::theme::Theme;

/// The summary's colour: green only for a rollback that completed within its SLA.
fn summary_style(t: Theme, outcome: Outcome, sla_missed: bool) -> Style {
    match outcome {
        Outcome::Completed if !sla_missed => t.ok(),
        Outcome::Completed => t.waiting(),
        _ => t.failed(),
    }
}

/// `windows_after`: leaving a completed run opens its validation windows.
pub(super) fn view(s: &Session, windows_after: bool, t: Theme) -> Dialog<'_> {
    let st = &s.state();
    let end = st.end.as_ref();
    let outcome = end.map_or(Outcome::Completed, |e| e.outcome);
    let sla = SlaStatus::new(
        st.elapsed_ms(end.map_or(s.now_ms(), |e| e.at_ms)),
        st.sla_ms(),
    );
    let mut verdict = format!(
        "{} of {}: ",
        clock_text(sla.elapsed_ms),
        clock_text(sla.sla_ms)
    );
    if sla.breached() {
        verdict.push_str(&format!("SLA missed by {}", clock_text(sla.overrun_ms())));
    } else {
        verdict.push_str("SLA met");
    }
    let style = summary_style(t, outcome, sla.breached());
    let mut body = vec![
        Line::styled(format!("Run {}", outcome.word()), style),
        Line::raw(verdict),
    ];
    body.extend(Tally::of(st).lines().into_iter().map(Line::raw));
    if let Some(r) = end.and_then(|e| e.reason.clone()) {
        body.push(Line::raw(format!("Reason: {r}")));
    }
    body.push(Line::raw(""));
    body.push(Line::raw(format!("Report: rollback report {}", s.run().id)));
    let leave = if windows_after && outcome == Outcome::Completed {
        "validation windows"
    } else {
        "quit"
    };
    Dialog {
        title: format!("Run {}", outcome.word()),
        title_style: style,
        body: Text::from(body),
        input: None,
        keys: keys(
            t,
            &[
                ("enter/q", leave),
                ("i", "impact figures"),
                ("esc", "look around"),
            ],
        ),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    if is_enter(key) || key.code == KeyCode::Char('q') {
        app.leaving = Some(Leaving::Now);
    } else if key.code == KeyCode::Char('i') {
        app.modal = Some(Modal::Impact(text_area("e.g. users_affected=1200")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_green_only_when_completed_within_the_sla() {
        let t = Theme { color: true };
        let green = Some(ratatui::style::Color::Green);
        assert_eq!(summary_style(t, Outcome::Completed, false).fg, green);
        assert_ne!(summary_style(t, Outcome::Completed, true).fg, green);
        assert_eq!(
            summary_style(t, Outcome::Completed, true),
            t.waiting(),
            "completed late is a warning"
        );
        for outcome in [Outcome::Failed, Outcome::Aborted] {
            for missed in [false, true] {
                assert_eq!(summary_style(t, outcome, missed), t.failed());
            }
        }
    }
}

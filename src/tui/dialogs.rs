//! What each dialog says: its title, its text, its input and its keys.

use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui_textarea::TextArea;

use super::app::{App, Modal};
use super::keymap::BINDINGS;
use super::theme::Theme;
use crate::engine::sla::{SlaStatus, clock_text};
use crate::engine::tally::Tally;
use crate::engine::{Outcome, Waiting};
use crate::plan::{Step, StepKind};
use crate::text;

pub(super) fn keys(t: Theme, pairs: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in pairs {
        spans.push(Span::styled(format!(" {k}"), t.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    Line::from(spans)
}

pub(super) struct Dialog<'a> {
    pub title: String,
    pub title_style: Style,
    pub body: Text<'a>,
    pub input: Option<(&'a TextArea<'static>, u16)>,
    pub keys: Line<'static>,
    pub width: u16,
}

/// What kind of step it is, in words.
fn action_line(step: &Step) -> &'static str {
    match step.kind() {
        StepKind::Run => "a command",
        StepKind::Check => "a check",
        StepKind::Approve => "an approval gate",
        StepKind::Manual => "a manual check",
    }
}

/// The summary's colour: green only for a rollback that completed within its SLA.
fn summary_style(t: Theme, outcome: Outcome, sla_missed: bool) -> Style {
    match outcome {
        Outcome::Completed if !sla_missed => t.ok(),
        Outcome::Completed => t.waiting(),
        _ => t.failed(),
    }
}

pub(super) fn dialog(app: &App) -> Option<Dialog<'_>> {
    let modal = app.modal.as_ref()?;
    let t = app.theme;
    let s = &app.session;
    let st = &s.state;
    let waiting = st.waiting();
    let step_of = |i: usize| {
        let (pi, si) = s.locate(i);
        let phase = &s.plan.phases[pi];
        (phase, s.plan_step(i).unwrap_or(&phase.steps[si]))
    };
    let current = match waiting {
        Waiting::Approval(i)
        | Waiting::Manual(i)
        | Waiting::PointOfNoReturn(i)
        | Waiting::Failure(i)
        | Waiting::RegionFailure(i)
        | Waiting::Interrupted(i)
        | Waiting::Retry { step: i, .. }
        | Waiting::Orphan { step: i, .. } => Some(i),
        _ => None,
    };
    let key_of = |i: usize| st.steps[i].key.clone();
    Some(match modal {
        Modal::Approval(input) => {
            let i = current.unwrap_or(0);
            let (_, step) = step_of(i);
            let mut body = vec![Line::styled(text::flow(step.action().1), t.bold())];
            if let Some(role) = &step.role {
                body.push(Line::raw(format!("Who approves: {}", text::inline(role))));
            }
            body.push(Line::raw(""));
            body.push(Line::raw(
                "Type the name of the person who approves; it is recorded.",
            ));
            Dialog {
                title: format!("Approval gate: {}", key_of(i)),
                title_style: t.waiting(),
                body: Text::from(body),
                input: Some((input, 1)),
                keys: keys(
                    t,
                    &[
                        ("enter", "approve"),
                        ("tab", &format!("your name ({})", s.operator)),
                        ("esc", "not yet"),
                    ],
                ),
                width: 72,
            }
        }
        Modal::Manual(input) => {
            let i = current.unwrap_or(0);
            let (_, step) = step_of(i);
            Dialog {
                title: format!("Manual check: {}", key_of(i)),
                title_style: t.waiting(),
                body: Text::from(vec![
                    Line::styled(text::flow(step.action().1), t.bold()),
                    Line::raw(""),
                    Line::raw("Confirm once you have checked it yourself. A note is optional."),
                ]),
                input: Some((input, 3)),
                keys: keys(
                    t,
                    &[
                        ("enter", "confirm"),
                        ("alt-enter", "new line"),
                        ("esc", "not yet"),
                    ],
                ),
                width: 72,
            }
        }
        Modal::PointOfNoReturn => {
            let i = current.unwrap_or(0);
            let (phase, step) = step_of(i);
            let what = if step.point_of_no_return.set {
                format!("step {}", key_of(i))
            } else {
                format!("phase {} ({})", phase.id.value, text::inline(phase.title()))
            };
            let mut body = vec![
                Line::styled(format!("Entering {what} cannot be undone."), t.bold()),
                Line::raw(""),
                Line::raw(format!(
                    "Next: {} ({})",
                    text::inline(step.title()),
                    action_line(step)
                )),
            ];
            if let Some(e) = &step.explain {
                body.push(Line::styled(text::flow(e), t.dim()));
            }
            body.push(Line::raw(""));
            body.push(Line::raw(
                "After this point, aborting stops the rollback half way and escalates.",
            ));
            Dialog {
                title: "⚠ Point of no return".into(),
                title_style: t.alarm(),
                body: Text::from(body),
                input: None,
                keys: keys(t, &[("y", "confirm and go on"), ("n/esc", "not yet")]),
                width: 76,
            }
        }
        Modal::Failure => super::failure::dialog(s, current.unwrap_or(0), false, t),
        Modal::RegionFailure => super::failure::dialog(s, current.unwrap_or(0), true, t),
        Modal::Interrupted => {
            let i = current.unwrap_or(0);
            Dialog {
                title: format!("? Interrupted: {}", key_of(i)),
                title_style: t.waiting(),
                body: Text::from(vec![Line::raw(format!(
                    "{} was running when rollback stopped (attempt {}). It may or may not have done its work: check before deciding.",
                    key_of(i),
                    st.steps[i].attempts_used()
                ))]),
                input: None,
                keys: keys(
                    t,
                    &[
                        ("r", "run it again"),
                        ("s", "skip (it is done)…"),
                        ("a", "abort…"),
                        ("esc", "look first"),
                    ],
                ),
                width: 72,
            }
        }
        Modal::Orphan => {
            let (i, pgid) = match waiting {
                Waiting::Orphan { step, pgid } => (step, pgid),
                _ => (0, 0),
            };
            Dialog {
                title: "Still running from before".into(),
                title_style: t.waiting(),
                body: Text::from(vec![Line::raw(format!(
                    "{} is still running (process group {pgid}), left by the rollback that stopped. Nothing new starts until it is gone.",
                    key_of(i)
                ))]),
                input: None,
                keys: keys(
                    t,
                    &[
                        ("w", "wait for it to end"),
                        ("k", "kill it"),
                        ("esc", "look first"),
                    ],
                ),
                width: 72,
            }
        }
        Modal::Skip(input) => Dialog {
            title: format!("Skip {}", current.map(key_of).unwrap_or_default()),
            title_style: t.waiting(),
            body: Text::from(vec![Line::raw(
                "Why is this step skipped? The reason is recorded.",
            )]),
            input: Some((input, 1)),
            keys: keys(t, &[("enter", "skip it"), ("esc", "cancel")]),
            width: 72,
        },
        Modal::Abort(input) => {
            let mut body = vec![Line::raw(
                "Stop the rollback here? Running commands are killed.",
            )];
            if st.ponr_passed.is_some() {
                body.push(Line::styled(
                    "⚠ The point of no return is passed: the system may be half rolled back. Aborting raises the escalation level.",
                    t.failed(),
                ));
            }
            Dialog {
                title: "Abort the rollback".into(),
                title_style: t.failed(),
                body: Text::from(body),
                input: Some((input, 1)),
                keys: keys(t, &[("enter", "abort"), ("esc", "cancel, go on")]),
                width: 72,
            }
        }
        Modal::Note(input) => Dialog {
            title: "Note for the timeline".into(),
            title_style: t.title(),
            body: Text::from(vec![Line::raw("Recorded with the time and your name.")]),
            input: Some((input, 4)),
            keys: keys(
                t,
                &[
                    ("enter", "save"),
                    ("alt-enter", "new line"),
                    ("esc", "cancel"),
                ],
            ),
            width: 72,
        },
        Modal::Status(text) => Dialog {
            title: "Status update (recorded)".into(),
            title_style: t.title(),
            body: Text::from(
                text.lines()
                    .map(|l| Line::raw(l.to_string()))
                    .collect::<Vec<_>>(),
            ),
            input: None,
            keys: keys(
                t,
                &[
                    ("any key", "close"),
                    ("", "select the text with the mouse to copy"),
                ],
            ),
            width: 100,
        },
        Modal::Help => {
            let mut lines: Vec<Line> = BINDINGS
                .iter()
                .map(|b| {
                    Line::from(vec![
                        Span::styled(format!("{:>11}  ", b.keys), t.key()),
                        Span::raw(b.help),
                    ])
                })
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "In dialogs: esc closes (never quits); the keys are shown at the bottom.",
                t.dim(),
            ));
            Dialog {
                title: "Keys".into(),
                title_style: t.title(),
                body: Text::from(lines),
                input: None,
                keys: keys(t, &[("any key", "close")]),
                width: 84,
            }
        }
        Modal::Quit(choice) => {
            let options: Vec<String> = super::dialog_keys::quit_options(st)
                .into_iter()
                .map(|(label, _)| label)
                .collect();
            let mut body = vec![
                Line::raw(format!(
                    "The run stays resumable: rollback resume {}",
                    s.run.id
                )),
                Line::raw(""),
            ];
            for (n, o) in options.iter().enumerate() {
                let style = if n == *choice {
                    t.selected()
                } else {
                    Style::new()
                };
                body.push(Line::styled(format!(" {} {o} ", n + 1), style));
            }
            Dialog {
                title: "Leave the run?".into(),
                title_style: t.title(),
                body: Text::from(body),
                input: None,
                keys: keys(t, &[("↑↓", "choose"), ("enter", "do it"), ("esc", "stay")]),
                width: 72,
            }
        }
        Modal::Finished => {
            let end = st.end.as_ref();
            let outcome = end.map_or(Outcome::Completed, |e| e.outcome);
            let sla = SlaStatus::new(
                st.elapsed_ms(end.map_or(s.now_ms(), |e| e.at_ms)),
                st.sla_ms(),
            );
            let verdict = if sla.breached() {
                format!(
                    "{} of {}: SLA missed by {}",
                    clock_text(sla.elapsed_ms),
                    clock_text(sla.sla_ms),
                    clock_text(sla.overrun_ms())
                )
            } else {
                format!(
                    "{} of {}: SLA met",
                    clock_text(sla.elapsed_ms),
                    clock_text(sla.sla_ms)
                )
            };
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
            body.push(Line::raw(format!("Report: rollback report {}", s.run.id)));
            Dialog {
                title: format!("Run {}", outcome.word()),
                title_style: style,
                body: Text::from(body),
                input: None,
                keys: keys(
                    t,
                    &[
                        ("enter/q", "quit"),
                        ("i", "impact figures"),
                        ("esc", "look around"),
                    ],
                ),
                width: 72,
            }
        }
        Modal::Impact(input) => Dialog {
            title: "Impact of the incident (for the report)".into(),
            title_style: t.title(),
            body: Text::from(vec![
                Line::raw("One figure as NAME=VALUE, recorded with your name and the time:"),
                Line::raw(
                    "users_affected, data_loss, downtime (e.g. 12m), revenue_impact, customer_complaints, affected_requests, failed_requests",
                ),
            ]),
            input: Some((input, 1)),
            keys: keys(t, &[("enter", "record"), ("esc", "back")]),
            width: 72,
        },
    })
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

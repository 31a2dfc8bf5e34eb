//! A watch's changes as lines, the same on screen, headless and in its journal: a verdict
//! with its sample, or what the severity policy does (JSON with `--json`).

use serde_json::json;

use super::prepared::{Prepared, WatchJournal, alert};
use super::watcher::{Watcher, rfc3339};
use crate::monitor::board::Change;
use crate::monitor::{Action, Sample, Spec, Verdict};
use crate::plan::trigger::TriggerSeverity;

/// Bytes of a value or a message a text line shows.
const SHOWN: usize = 512;

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a fired trigger does under the severity policy.
fn policy(severity: TriggerSeverity) -> &'static str {
    match severity {
        TriggerSeverity::Critical => "the rollback starts now",
        TriggerSeverity::High => "the rollback starts when its cancel window ends",
        TriggerSeverity::Medium => "an operator decides whether to roll back",
    }
}

/// One line for a change of state, as text or JSON.
pub fn line(spec: &Spec, verdict: &Verdict, sample: &Sample, json: bool) -> String {
    let fired = matches!(verdict, Verdict::Fired { .. });
    if json {
        let mut doc = json!({
            "time": now(),
            "trigger": spec.name,
            "verdict": verdict,
            "severity": spec.severity.name(),
            "sample": sample,
        });
        super::journal::bound_sample(&mut doc["sample"]);
        if fired {
            doc["explain"] = json!(spec.explain);
            doc["policy"] = json!(policy(spec.severity));
        }
        return doc.to_string();
    }
    // A value or a message from outside: bounded, and escaped for the terminal.
    let value = sample
        .value
        .as_ref()
        .map(|v| format!(" (last value {})", crate::text::cut(&v.to_string(), SHOWN)))
        .unwrap_or_default();
    let state = match verdict {
        Verdict::Failing { failures, count } => format!("failing {failures} of {count}"),
        Verdict::Blind { errors } => format!(
            "BLIND after {errors} probe errors in a row: {}",
            crate::text::cut(sample.message.as_deref().unwrap_or(""), SHOWN)
        ),
        Verdict::Ask => "INCONCLUSIVE: a person must judge".into(),
        Verdict::Fired { .. } => format!(
            "FIRED ({}): {}; {}",
            spec.severity.name(),
            spec.explain,
            policy(spec.severity)
        ),
        other => other.name().to_string(),
    };
    let text = format!("{}: {state}{value}", spec.name);
    format!("{} {}", now(), crate::text::inline(&text))
}

/// Records one change in the watch journal, alerts through the notify hook when a trigger
/// waits on the policy, and returns the change as a line (JSON with `--json`).
pub fn record(p: &Prepared, w: &Watcher, c: &Change, journal: &mut WatchJournal) -> String {
    let json = p.json;
    match c {
        Change::Verdict {
            trigger,
            verdict,
            sample,
        } => {
            let spec = &w.board.rows[*trigger].spec;
            journal.write(json!({"type": "verdict", "trigger": spec.name, "verdict": verdict, "sample": sample}));
            line(spec, verdict, sample, json)
        }
        Change::Policy(action) => {
            let name = |t: usize| w.board.rows[t].spec.name.clone();
            let (doc, text) = match action {
                Action::Start { trigger, by } => (
                    json!({"policy": "start", "trigger": name(*trigger), "by": by}),
                    format!(
                        "{}: STARTING THE ROLLBACK{}",
                        name(*trigger),
                        by.as_ref()
                            .map(|b| format!(" (started by {b})"))
                            .unwrap_or_default()
                    ),
                ),
                Action::Countdown { trigger, ends } => {
                    let secs = ends.saturating_sub(w.now()).as_millis().div_ceil(1000);
                    (
                        json!({"policy": "countdown", "trigger": name(*trigger), "seconds": secs, "starts_at": rfc3339(w.wall_ms(*ends))}),
                        format!(
                            "{}: the rollback starts in {secs}s unless an operator cancels",
                            name(*trigger)
                        ),
                    )
                }
                Action::Ask { trigger } => (
                    json!({"policy": "ask", "trigger": name(*trigger)}),
                    format!(
                        "{}: an operator decides whether to roll back",
                        name(*trigger)
                    ),
                ),
                Action::Cancelled { trigger, who, why } => (
                    json!({"policy": "cancelled", "trigger": name(*trigger), "who": who, "why": why}),
                    format!(
                        "{}: cancelled by {who}: {why}{}",
                        name(*trigger),
                        // A drill's exercise ends with its cancel.
                        if p.exercise.is_some() {
                            ""
                        } else {
                            "; watching again"
                        }
                    ),
                ),
            };
            if let Action::Countdown { trigger, .. } | Action::Ask { trigger } = action {
                let spec = &w.board.rows[*trigger].spec;
                alert(
                    p,
                    json!({"version": 1, "event": "trigger_fired", "plan": p.loaded.plan.plan.value,
                        "trigger": spec.name, "severity": spec.severity.name(), "explain": spec.explain,
                        "policy": doc["policy"], "ts": now()}),
                );
            }
            let mut entry = doc.clone();
            entry["type"] = json!("policy");
            journal.write(entry);
            let mut doc = doc;
            doc["time"] = json!(now());
            if json {
                doc.to_string()
            } else {
                format!("{} {}", now(), crate::text::inline(&text))
            }
        }
    }
}

/// What a batch of changes leads to.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// The policy starts the rollback: the trigger, and who started it by hand.
    Start((usize, Option<String>)),
    /// A drill exercise ended without a run, and what to tell the trainee.
    Ended(String),
    Watch,
}

/// Records each change (its line handed to `show`), then says what the batch leads to: the
/// one way both faces take a watch's changes.
pub fn settle(
    p: &Prepared,
    w: &Watcher,
    changes: &[Change],
    journal: &mut WatchJournal,
    show: &mut dyn FnMut(String),
) -> Next {
    for c in changes {
        show(record(p, w, c, journal));
    }
    if let Some(start) = super::watcher::start_in(changes) {
        return Next::Start(start);
    }
    match p.drill_ended(&w.board, changes, journal) {
        Some(why) => Next::Ended(why),
        None => Next::Watch,
    }
}

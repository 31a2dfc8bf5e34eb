//! The markdown sections after the timeline: escalations, point of no return, notes,
//! notifications and interruptions (only when there are any), follow-ups as a `- [ ]`
//! checklist by validation window, and the standard's metrics.

use super::events::NoteKind;
use super::followups::{FollowUpKind, window_label};
use super::markdown::{trigger_word, utc};
use super::md::{block, cell, cell_code, code, inline, table};
use super::metrics::{Tested, pct_text};
use super::model::{Report, RunOutcome};
use super::time::elapsed_text;
use crate::engine::describe::duration_text;
use crate::engine::sla::clock_text;

impl Report {
    pub(super) fn escalations_md(&self, out: &mut String) {
        out.push_str("## Escalations\n\n");
        let t = &self.timing;
        match (t.sla_breached_at, t.sla_breached_elapsed_ms) {
            (Some(at), Some(el)) => out.push_str(&format!(
                "SLA of {} breached at {} ({}).\n\n",
                clock_text(t.sla_ms),
                elapsed_text(el),
                utc(at)
            )),
            _ => out.push_str(&format!(
                "The SLA of {} was not breached.\n\n",
                clock_text(t.sla_ms)
            )),
        }
        if self.escalations.is_empty() {
            out.push_str("No escalation: the run stayed at level 1 (retry with logging).\n\n");
            return;
        }
        let rows: Vec<Vec<String>> = self
            .escalations
            .iter()
            .map(|e| {
                vec![
                    elapsed_text(e.elapsed_ms),
                    e.level.to_string(),
                    cell(&e.action),
                    cell(e.reason.as_deref().unwrap_or("time elapsed")),
                    match (&e.acknowledged_by, e.acknowledged_elapsed_ms) {
                        (Some(by), Some(el)) => cell(&format!("by {by} at {}", elapsed_text(el))),
                        _ => "**not acknowledged**".into(),
                    },
                ]
            })
            .collect();
        out.push_str(&table(
            &["Elapsed", "Level", "Action", "Reason", "Acknowledged"],
            &rows,
        ));
        out.push('\n');
    }

    pub(super) fn ponr_md(&self, out: &mut String) {
        out.push_str("## Point of no return\n\n");
        let p = &self.point_of_no_return;
        let text = match (&p.before_step, &p.by, p.at, p.elapsed_ms) {
            (Some(step), Some(by), Some(at), Some(el)) => format!(
                "Passed at {} ({}): confirmed by {} before {}.",
                elapsed_text(el),
                utc(at),
                inline(by),
                code(step)
            ),
            _ if p.steps.is_empty() => "This run has no point of no return.".into(),
            _ => format!(
                "Not passed: the run did not go beyond {}.",
                p.steps
                    .iter()
                    .map(|s| code(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push_str(&text);
        out.push('\n');
        if self.outcome.after_point_of_no_return {
            out.push_str(
                "\n**The run was aborted after the point of no return: the system may be \
                 half rolled back.**\n",
            );
        }
        out.push('\n');
    }

    pub(super) fn notes_md(&self, out: &mut String) {
        out.push_str("## Notes\n\n");
        if self.notes.is_empty() {
            out.push_str("No notes or status updates.\n\n");
            return;
        }
        let rows: Vec<Vec<String>> = self
            .notes
            .iter()
            .map(|n| {
                vec![
                    elapsed_text(n.elapsed_ms),
                    n.at.text(),
                    match n.kind {
                        NoteKind::Note => "note".into(),
                        NoteKind::StatusUpdate => "status update".into(),
                    },
                    cell(&n.by),
                    cell(&n.text),
                ]
            })
            .collect();
        out.push_str(&table(&["Elapsed", "UTC", "Kind", "By", "Text"], &rows));
        out.push('\n');
    }

    pub(super) fn notifications_md(&self, out: &mut String) {
        if self.notifications.is_empty() {
            return;
        }
        out.push_str("## Notifications\n\n");
        let failed = self.notifications.iter().filter(|n| !n.ok).count();
        if failed > 0 {
            out.push_str(&format!(
                "**{failed} of {} notifications failed.**\n\n",
                self.notifications.len()
            ));
        }
        let rows: Vec<Vec<String>> = self
            .notifications
            .iter()
            .map(|n| {
                let d = duration_text(n.duration_ms);
                let stderr = n.stderr.lines().next().unwrap_or("");
                let result = match (n.ok, n.timed_out, n.exit_code) {
                    (true, _, _) => format!("sent in {d}"),
                    (false, true, _) => format!("**TIMED OUT** after {d}"),
                    (false, false, Some(c)) => format!("**FAILED** (exit {c}) in {d}"),
                    (false, false, None) => format!("**FAILED** in {d}"),
                };
                let result = if !n.ok && !stderr.is_empty() {
                    format!("{result}: {}", cell(stderr))
                } else {
                    result
                };
                vec![
                    elapsed_text(n.elapsed_ms),
                    cell(&n.on),
                    cell_code(&n.command),
                    result,
                ]
            })
            .collect();
        out.push_str(&table(&["Elapsed", "On", "Command", "Result"], &rows));
        out.push('\n');
    }

    pub(super) fn interruptions_md(&self, out: &mut String) {
        let i = &self.interruptions;
        if i.is_empty() {
            return;
        }
        out.push_str("## Interruptions and resumes\n\n");
        let mut lines: Vec<(u64, String)> = Vec::new();
        for d in &i.left {
            let running = d
                .running
                .as_deref()
                .map(|s| format!("; {} left running", code(s)))
                .unwrap_or_default();
            lines.push((
                d.elapsed_ms,
                format!("{} left ({}){running}", inline(&d.by), inline(&d.reason)),
            ));
        }
        for r in &i.resumes {
            let forced = if r.forced {
                " **forced: the plan had changed**"
            } else {
                ""
            };
            lines.push((
                r.elapsed_ms,
                format!(
                    "resumed by {} on {} (pid {}){forced}",
                    inline(&r.by),
                    inline(&r.host),
                    r.pid
                ),
            ));
        }
        for s in &i.interrupted_steps {
            let orphan = match (s.orphan_pgid, s.orphan_killed) {
                (Some(g), Some(true)) => format!("; process group {g} was still running: killed"),
                (Some(g), Some(false)) => {
                    format!("; process group {g} was still running: waited for")
                }
                (Some(g), None) => format!("; process group {g} was still running"),
                _ => String::new(),
            };
            lines.push((
                s.elapsed_ms,
                format!(
                    "{} attempt {} interrupted{}: outcome unknown{orphan}",
                    code(&s.step),
                    s.attempt,
                    if s.unrecorded_start {
                        " (its start was never recorded)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        lines.sort_by_key(|(t, _)| *t);
        for (t, line) in lines {
            out.push_str(&format!("- {} {line}\n", elapsed_text(t)));
        }
        out.push('\n');
    }

    pub(super) fn follow_ups_md(&self, out: &mut String) {
        out.push_str("## Follow-ups\n\n");
        let f = &self.follow_ups;
        if let Some(v) = &f.validation {
            validation_md(v, out);
        }
        if f.groups.is_empty() {
            if f.validation.is_none() {
                out.push_str("The plan lists no post-rollback validation.\n\n");
            }
            return;
        }
        if f.provisional {
            out.push_str(&format!(
                "The run has not ended: due times count from its last record ({}) and \
                 will move.\n\n",
                utc(f.counted_from)
            ));
        } else {
            out.push_str(&format!(
                "Post-rollback validation from the plan; due times count from the run's \
                 end ({}).\n\n",
                utc(f.counted_from)
            ));
        }
        for g in &f.groups {
            // The plan's own ends make the standard's labels wrong: name the window only.
            let label = match f.validation {
                Some(_) => format!("{} window", g.window.name()),
                None => window_label(g.window).to_string(),
            };
            let mut title = label[..1].to_uppercase();
            title.push_str(&label[1..]);
            out.push_str(&format!(
                "### {title}: from {} to {}\n\n",
                utc(g.opens_at),
                utc(g.due_at)
            ));
            for item in &g.items {
                let head = item
                    .title
                    .as_deref()
                    .map(|t| format!("**{}**: ", inline(t)))
                    .unwrap_or_default();
                let run = if head.is_empty() { "Run" } else { "run" };
                match item.kind {
                    FollowUpKind::Manual => {
                        out.push_str(&format!("- [ ] {head}{}\n", inline(&item.text)))
                    }
                    FollowUpKind::Check if !item.text.trim().contains('\n') => {
                        out.push_str(&format!("- [ ] {head}{run} {}\n", code(item.text.trim())))
                    }
                    FollowUpKind::Check => {
                        out.push_str(&format!("- [ ] {head}{run}:\n\n"));
                        out.push_str(&block(&item.text, 2));
                        out.push('\n');
                    }
                }
            }
            out.push('\n');
        }
    }

    pub(super) fn metrics_md(&self, out: &mut String) {
        let m = &self.metrics;
        let (e, q) = (&m.execution, &m.quality);
        out.push_str("## Metrics\n\n### Execution\n\n");
        let retries = match e.retries {
            1 => "1 retry".to_string(),
            n => format!("{n} retries"),
        };
        out.push_str(&table(
            &["Metric", "Value"],
            &[
                vec!["Trigger".into(), trigger_word(self).into()],
                vec!["Duration vs SLA".into(), cell(&self.sla_text())],
                vec![
                    "Attempts".into(),
                    format!(
                        "{} in total, {} failed, {retries}",
                        e.attempts, e.failures.failed_attempts
                    ),
                ],
                vec!["Failed for good".into(), failed_for_good(&e.failures)],
                vec![
                    "Success".into(),
                    match e.outcome {
                        RunOutcome::Completed => "yes (completed)".into(),
                        RunOutcome::NotFinished => "not yet (not finished)".into(),
                        o => format!("no ({})", o.word()),
                    },
                ],
            ],
        ));
        out.push_str("\n### Impact\n\n");
        out.push_str(&super::impact_md::markdown(
            &m.impact,
            self.run.run_id.as_deref(),
        ));
        out.push_str("\n### Quality\n\n");
        let pct = |p: Option<f64>| p.map(pct_text).unwrap_or_else(|| "-".into());
        let tested = match (q.tested_beforehand, self.run.mode) {
            (Tested::Yes, mode) => format!("yes: this run is itself a {}", mode.name()),
            (Tested::Unknown, _) => "unknown (rehearsals and drills are separate runs)".into(),
        };
        out.push_str(&table(
            &["Metric", "Value"],
            &[
                vec!["Rollback tested beforehand".into(), tested],
                vec![
                    "Automated vs manual".into(),
                    format!(
                        "{} automated (run/check), {} manual (approve/manual): {} automated",
                        q.steps_automated,
                        q.steps_manual,
                        pct(q.automated_pct)
                    ),
                ],
                vec![
                    "Plan followed".into(),
                    format!(
                        "{}: {} of {} steps ok ({} skipped, {}{} failed, {} not done)",
                        pct(q.plan_followed_pct),
                        q.steps_ok,
                        q.steps_selected,
                        q.steps_skipped,
                        match q.steps_replaced {
                            0 => String::new(),
                            n => format!("{n} replaced by another path, "),
                        },
                        q.steps_failed,
                        q.steps_not_done
                    ),
                ],
                vec!["Documentation accuracy".into(), "not recorded".into()],
            ],
        ));
        out.push('\n');
    }
}

/// The validation windows' verdicts, before the to-do list.
fn validation_md(v: &super::followups::Validated, out: &mut String) {
    use crate::monitor::validation::WindowVerdict;
    out.push_str(&format!(
        "Validation windows: **{}** ({} samples, {} failed).\n\n",
        v.verdict.word(),
        v.samples,
        v.failures
    ));
    let rows: Vec<Vec<String>> = v
        .windows
        .iter()
        .map(|w| {
            let detail = match &w.verdict {
                WindowVerdict::Regressed { source } => format!("{} failed", inline(source)),
                WindowVerdict::NotRun { why } => inline(why),
                _ => String::new(),
            };
            vec![
                w.window.name().to_string(),
                w.verdict.word().to_string(),
                detail,
            ]
        })
        .collect();
    out.push_str(&table(&["Window", "Verdict", "Why"], &rows));
    out.push('\n');
}

/// `2 steps: 1 retried, 1 replaced by another path; in 1 region`, or `none`.
fn failed_for_good(c: &crate::engine::tally::FailureCounts) -> String {
    if c.steps() == 0 {
        return "none".into();
    }
    let parts = c.by_fate();
    let regions = match c.regions {
        0 => String::new(),
        1 => "; in 1 region".into(),
        n => format!("; in {n} regions"),
    };
    let steps = if c.steps() == 1 { "step" } else { "steps" };
    format!("{} {steps}: {}{regions}", c.steps(), parts.join(", "))
}

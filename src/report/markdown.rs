//! The report as markdown that renders as-is on GitHub and GitLab: a title saying the mode,
//! a summary table and the timeline of phases and steps here; the sections after it in
//! `sections`. Words carry every status; times are UTC `YYYY-MM-DD HH:MM:SS`, moments in
//! the run `+mm:ss`.

use super::md::{cell, cell_code, code, inline, table};
use super::model::{OutcomeSection, Report};
use super::phases::{AttemptOutcome, AttemptReport, PhaseReport, StepReport, StepStatus};
use super::time::{Timestamp, elapsed_text};
use crate::engine::Mode;
use crate::engine::describe::duration_text;
use crate::plan::{Automation, Operation};

pub(super) fn utc(t: Timestamp) -> String {
    format!("{} UTC", t.text())
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

impl OutcomeSection {
    /// `completed`, `aborted by alice: wrong plan`, `not finished: operator left ...`.
    pub fn text(&self) -> String {
        let mut s = self.status.word().to_string();
        if let Some(by) = &self.by {
            s.push_str(&format!(" by {by}"));
        }
        if self.after_point_of_no_return {
            s.push_str(" after the point of no return");
        }
        if let Some(reason) = &self.reason {
            s.push_str(&format!(": {reason}"));
        }
        s
    }
}

impl Report {
    /// The whole report as one markdown document.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        if let Some(card) = &self.drill {
            out.push_str(&card.markdown());
        }
        self.timeline(&mut out);
        super::regions::markdown(&self.regions, &mut out);
        self.escalations_md(&mut out);
        self.ponr_md(&mut out);
        self.checklist_md(&mut out);
        self.notes_md(&mut out);
        self.notifications_md(&mut out);
        self.interruptions_md(&mut out);
        self.follow_ups_md(&mut out);
        self.metrics_md(&mut out);
        if let Some(c) = &self.comparison {
            out.push_str(&super::trend_md::markdown(&self.run.plan, c));
        }
        out.push_str(&format!(
            "---\n\nGenerated {} from {} timeline records{}.\n",
            utc(self.generated_at),
            self.record.records,
            self.record
                .last_hash
                .as_deref()
                .map(|h| format!("; last record hash {}", code(h)))
                .unwrap_or_default()
        ));
        out
    }

    fn header(&self, out: &mut String) {
        let r = &self.run;
        let mode = match r.mode {
            Mode::Live => String::new(),
            m => format!(" ({})", m.banner()),
        };
        out.push_str(&format!(
            "# Rollback report{mode}: {}\n\n",
            inline(&r.title)
        ));
        match r.mode {
            Mode::Drill => out.push_str(
                "> DRILL: a training run. Commands were simulated; nothing was executed.\n\n",
            ),
            Mode::Rehearsal => out.push_str(
                "> REHEARSAL: a practice run. Commands ran for real, on a rehearsal target.\n\n",
            ),
            Mode::Live => {}
        }
        for w in &self.warnings {
            out.push_str(&format!("> **Warning:** {}\n\n", inline(w)));
        }
        let others: Vec<&str> = r.operators.iter().skip(1).map(String::as_str).collect();
        let operator = if others.is_empty() {
            cell(&r.operator)
        } else {
            cell(&format!("{} (also: {})", r.operator, others.join(", ")))
        };
        let t = &self.timing;
        let mut rows = vec![
            vec![
                "Plan".into(),
                format!("{}: {}", cell_code(&r.plan), cell(&r.title)),
            ],
            vec![
                "Level".into(),
                format!(
                    "{} ({}, automation {})",
                    r.level,
                    operation_word(r.operation),
                    automation_word(r.automation)
                ),
            ],
            vec!["Mode".into(), r.mode.name().into()],
            vec!["Operator".into(), operator],
        ];
        if let Some(reh) = &r.rehearsal {
            rows.push(vec!["Rehearsal".into(), cell(&reh.text())]);
        }
        if let Some(id) = &r.run_id {
            rows.insert(1, vec!["Run".into(), cell_code(id)]);
        }
        if let Some(sc) = &r.scenario {
            let title = sc
                .title
                .as_deref()
                .map(|t| format!(": {}", cell(t)))
                .unwrap_or_default();
            rows.push(vec![
                "Scenario".into(),
                format!("{}{title}", cell_code(&sc.id)),
            ]);
        }
        rows.push(vec!["Trigger".into(), cell(&trigger_text(self))]);
        rows.push(vec!["Start".into(), utc(t.started_at)]);
        rows.push(vec![
            "End".into(),
            match t.ended_at {
                Some(end) => utc(end),
                None => format!("not finished (last record {})", utc(t.last_record_at)),
            },
        ]);
        rows.push(vec!["Duration vs SLA".into(), cell(&t.sla_text())]);
        rows.push(vec!["Outcome".into(), cell(&self.outcome.text())]);
        out.push_str(&table(&["Field", "Value"], &rows));
        if !r.vars.is_empty() {
            let vars: Vec<String> = r
                .vars
                .iter()
                .map(|v| code(&format!("{}={}", v.name, v.value)))
                .collect();
            out.push_str(&format!("\nVariables: {}\n", vars.join(", ")));
        }
        out.push('\n');
    }

    fn timeline(&self, out: &mut String) {
        out.push_str("## Timeline\n\n");
        let mut rows = Vec::new();
        for (n, p) in self.phases.iter().enumerate() {
            rows.push(phase_row(n + 1, p));
            rows.extend(p.steps.iter().map(step_row));
        }
        out.push_str(&table(
            &[
                "Phase / step",
                "Kind",
                "Status",
                "Start",
                "Duration",
                "Details",
            ],
            &rows,
        ));
        if !self.phases_left_out.is_empty() {
            let names: Vec<String> = self.phases_left_out.iter().map(|p| code(&p.id)).collect();
            let by = self
                .run
                .scenario
                .as_ref()
                .map(|s| format!(" by scenario {}", code(&s.id)))
                .unwrap_or_default();
            out.push_str(&format!("\nPhases left out{by}: {}.\n", names.join(", ")));
        }
        let steps_out: Vec<String> = self
            .phases
            .iter()
            .flat_map(|p| p.steps_left_out.iter().map(|s| code(s)))
            .collect();
        if !steps_out.is_empty() {
            out.push_str(&format!("\nSteps left out: {}.\n", steps_out.join(", ")));
        }
        out.push('\n');
    }
}

fn operation_word(o: Operation) -> &'static str {
    match o {
        Operation::Application => "application",
        Operation::Database => "database",
        Operation::Infrastructure => "infrastructure",
        Operation::Configuration => "configuration",
        Operation::Workflow => "workflow",
    }
}

fn automation_word(a: Automation) -> &'static str {
    match a {
        Automation::Full => "full",
        Automation::Semi => "semi",
        Automation::Manual => "manual",
    }
}

/// `auto` or `manual`, and for a run a trigger started: which, why, and how fast.
pub(super) fn trigger_text(r: &Report) -> String {
    let e = &r.metrics.execution;
    let Some(f) = &e.fired else {
        return trigger_word(r).into();
    };
    let secs = |ms: Option<u64>| ms.map_or("?".into(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
    let by = f
        .started_by
        .as_ref()
        .map(|who| format!(", started by {who}"))
        .unwrap_or_default();
    format!(
        "auto: trigger `{}` ({}): `{}` was {}; first failing sample {}, time to detect {}, rollback started {} after it fired{by}",
        f.name,
        f.severity,
        f.condition,
        f.value,
        utc(Timestamp(f.first_failure_ms)),
        secs(e.time_to_detect_ms),
        secs(e.time_to_start_ms),
    )
}

pub(super) fn trigger_word(r: &Report) -> &'static str {
    match r.run.trigger {
        crate::engine::Trigger::Auto => "auto",
        crate::engine::Trigger::Manual => "manual",
    }
}

fn phase_row(n: usize, p: &PhaseReport) -> Vec<String> {
    let mut title = format!("**{n}. {}**", cell(&p.id));
    if let Some(kind) = p.kind.filter(|k| k.name() != p.id) {
        title.push_str(&format!(" ({})", kind.name()));
    }
    if p.title != p.id {
        title.push_str(&format!(": {}", cell(&p.title)));
    }
    let mut details = Vec::new();
    if let Some(e) = p.estimate_ms {
        details.push(format!("estimate {}", duration_text(e)));
    }
    if let Some(r) = &p.region {
        details.push(format!("region {}", cell(r)));
    }
    if p.point_of_no_return {
        details.push("point of no return".into());
    }
    vec![
        title,
        "phase".into(),
        format!("**{}**", p.status.word()),
        or_dash(p.start_elapsed_ms.map(elapsed_text)),
        or_dash(p.duration_ms.map(duration_text)),
        details.join("; "),
    ]
}

fn step_row(s: &StepReport) -> Vec<String> {
    let name = if s.title == s.id {
        cell_code(&s.key)
    } else {
        format!("{}: {}", cell_code(&s.key), cell(&s.title))
    };
    let mut details: Vec<String> = Vec::new();
    if s.point_of_no_return {
        details.push(match &s.point_of_no_return_confirmed_by {
            Some(by) => cell(&format!("point of no return, confirmed by {by}")),
            None => "point of no return, not confirmed".into(),
        });
    }
    if let Some(by) = &s.approved_by {
        details.push(cell(&format!("approved by {by}")));
    }
    if let Some(by) = &s.confirmed_by {
        details.push(cell(&format!("confirmed by {by}")));
    }
    if let Some(note) = &s.note {
        details.push(format!("note: {}", cell(note)));
    }
    if let Some(skip) = &s.skipped {
        details.push(cell(&format!("skipped by {}: {}", skip.by, skip.reason)));
    }
    details.extend(s.attempts.iter().map(attempt_text));
    let status = match s.status {
        StepStatus::Failed | StepStatus::Interrupted => format!("**{}**", s.status.word()),
        other => other.word().into(),
    };
    vec![
        name,
        s.kind.word().into(),
        status,
        or_dash(s.start_elapsed_ms.map(elapsed_text)),
        or_dash(s.duration_ms.map(duration_text)),
        details.join("<br>"),
    ]
}

/// `attempt 2 (requested by alice): failed (exit 1) in 1.5s, 12 lines, log `output/...``.
fn attempt_text(a: &AttemptReport) -> String {
    let mut s = format!("attempt {}", a.n);
    if let Some(by) = &a.requested_by {
        s.push_str(&format!(" (requested by {})", cell(by)));
    }
    s.push_str(": ");
    let word = match a.outcome {
        AttemptOutcome::Ok | AttemptOutcome::Running | AttemptOutcome::Unknown => {
            a.outcome.word().to_string()
        }
        o => format!("**{}**", o.word()),
    };
    s.push_str(&word);
    match (a.exit_code, a.signal) {
        (Some(c), _) => s.push_str(&format!(" (exit {c})")),
        (None, Some(sig)) => s.push_str(&format!(" (signal {sig})")),
        _ => {}
    }
    if let Some(d) = a.duration_ms {
        s.push_str(&format!(" in {}", duration_text(d)));
    }
    if let Some(l) = a.lines {
        s.push_str(&format!(", {l} line{}", if l == 1 { "" } else { "s" }));
    }
    if let Some(e) = &a.error {
        s.push_str(&format!(", could not start: {}", cell(e)));
    }
    if let Some(log) = &a.log {
        s.push_str(&format!(", log {}", cell_code(log)));
    }
    s
}

/// The Markdown form as printed: plan text in it is escaped like everywhere else, since
/// Markdown is read on terminals too.
pub fn markdown_text(report: &Report) -> String {
    crate::text::block(&report.to_markdown()).into_owned()
}

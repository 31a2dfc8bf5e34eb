//! `rollback new`: a plan with the eight template phases that validates for its level
//! (with warnings for the placeholders) and teaches the format through its comments.

use std::fmt::Write as _;

use super::levels::default_plan_sla;
use super::model::Operation;
use super::schema::SCHEMA_COMMENT;
use super::validate::PLACEHOLDER;

/// What a first command of each kind of change typically captures, to start the author off.
fn capture_hint(op: Operation) -> &'static str {
    match op {
        Operation::Application => "kubectl get deploy my-app -o yaml",
        Operation::Database => "pg_dump --schema-only \"$DATABASE_URL\"",
        Operation::Infrastructure => "terraform show -json",
        Operation::Configuration => "cat /etc/my-app/config.yaml",
        Operation::Workflow => "curl -fsS \"$N8N_URL/api/v1/workflows/$workflow_id\"",
    }
}

/// The text of a new plan named `name`.
pub fn new_plan(name: &str, level: u8, op: Operation) -> String {
    let sla_mins = default_plan_sla(level, op).as_secs() / 60;
    let automation = if level >= 3 { "semi" } else { "manual" };
    let timeout = if level >= 3 {
        "\n        timeout: 1m"
    } else {
        ""
    };
    let todo = PLACEHOLDER;
    let mut t = String::new();
    let _ = writeln!(t, "{SCHEMA_COMMENT}");
    let _ = writeln!(
        t,
        "# A rollback plan. `rollback validate` checks it; `rollback drill` rehearses it without\n\
         # running anything. Every `{todo}` is a placeholder that validate warns about.\n\
         plan: {name}                 # id: lowercase letters, digits, - and _\n\
         title: \"{todo}: roll back <what> to <which version>\"\n\
         owner: \"{todo}: team or person accountable\"\n\
         level: {level}                          # certification level 2-4: sets the SLA and the rules\n\
         operation: {}\n\
         automation: {automation}                # full | semi (approval gates) | manual\n\
         sla: {sla_mins}m                        # the standard's default for level {level} and {}{}",
        op.name(),
        op.name(),
        if level >= 4 { " (per region)" } else { "" }
    );
    if level >= 4 {
        t.push_str("regions: [eu-west-1, us-east-1]   # level 4 declares its regions\n");
    }
    t.push_str(
        "\n# Variables reach commands as environment variables ($revision), never pasted into\n\
         # the command text, so a value cannot inject a command.\n\
         vars:\n  revision:\n    prompt: Version to roll back to\n    required: true\n    pattern: '[0-9]+'\n    example: '41'                 # what a drill uses\n\n\
         # escalation:                    # omit to use the standard's ladder:\n\
         #   - {after: 5m,  level: 2, action: Engage senior SRE, notify: ./notify/slack.sh}\n\
         #   - {after: 15m, level: 3, action: Engage CTO/VP}\n\
         #   - {after: 30m, level: 4, action: Full incident response}\n\n\
         # scenarios:                     # partial rollbacks, run with --scenario NAME\n\
         #   app-only: {title: Application only, kind: application-only, phases: [capture, execute, verify]}\n\n\
         phases:\n",
    );
    phases(&mut t, level, op, timeout);

    t
}

/// The plan's phases, one placeholder step each, as the standard orders them.
fn phases(t: &mut String, level: u8, op: Operation, timeout: &str) {
    let todo = PLACEHOLDER;
    let _ = writeln!(
        t,
        "  - id: assess\n    title: Confirm the rollback is the right call\n    steps:\n      \
         - id: impact\n        manual: \"{todo}: what you must see (dashboards, alerts) before rolling back\"\n"
    );
    let _ = writeln!(
        t,
        "  - id: capture                   # every plan captures state before changing it\n    \
         title: Capture the state before the rollback\n    steps:\n      - id: snapshot\n        \
         run: \"{todo}: {} > \\\"$ROLLBACK_RUN_DIR/before.txt\\\"\"{timeout}\n        \
         simulate: {{duration: 2s, output: [\"state saved\"]}}   # what a drill shows\n",
        capture_hint(op).replace('"', "\\\"")
    );
    let _ = writeln!(
        t,
        "  - id: communicate\n    steps:\n      - id: announce\n        \
         manual: \"{todo}: tell #incidents the rollback has started\"\n"
    );
    let role = if level >= 4 {
        "\n        role: service owner          # level 4: a named stakeholder approves"
    } else {
        ""
    };
    let _ = writeln!(
        t,
        "  - id: prepare\n    steps:\n      - id: go\n        \
         approve: \"{todo}: who approves the rollback, and on what evidence\"{role}\n"
    );
    let ponr = if level >= 3 {
        "\n    point_of_no_return: true        # the operator confirms before entering"
    } else {
        ""
    };
    let _ = writeln!(
        t,
        "  - id: execute{ponr}\n    steps:\n      - id: revert\n        \
         run: \"{todo}: the command that reverts to $revision\"{timeout}\n        \
         retry: {{attempts: 2, delay: 10s}}\n        \
         explain: Why this command and what to watch for; shown in drills.\n        \
         simulate: {{duration: 5s, output: [\"reverted\"]}}\n"
    );
    let _ = writeln!(
        t,
        "  - id: verify\n    steps:\n      - id: healthy\n        \
         check: \"{todo}: a command that exits 0 only when the service is healthy\"{}\n        \
         simulate: {{duration: 3s, output: [\"healthy\"]}}\n",
        if level >= 3 {
            "\n        timeout: 2m"
        } else {
            ""
        }
    );
    let _ = writeln!(
        t,
        "  - id: validate\n    steps:\n      - id: metrics\n        \
         manual: \"{todo}: error rate and latency are back to baseline\"\n"
    );
    let _ = writeln!(
        t,
        "  - id: close\n    steps:\n      - id: record\n        \
         manual: \"{todo}: incident ticket updated with the report\"\n"
    );
    let _ = write!(
        t,
        "# Follow-ups after the rollback, listed in the report.\n\
         post_rollback:\n  \
         - {{window: immediate, manual: \"{todo}: service, performance and data checks\"}}\n  \
         - {{window: short-term, manual: \"{todo}: user impact and business metrics\"}}\n  \
         - {{window: long-term, manual: \"{todo}: trends, data quality, customer communication\"}}\n"
    );
    let _ = write!(
        t,
        "\n# The standard's verification checklist. Each item: an existing `step` (phase.step), a\n\
         # `check` command, a `trigger` of this plan sampled once, a `confirm` for people, or\n\
         # `not_applicable:` and why. The checks and confirmations written here join the verify phase.\n\
         verification:\n  \
         service_health: {{step: verify.healthy}}\n  \
         version: {{check: \"{todo}: exits 0 when the running version is the one captured\"}}\n  \
         error_rate: {{check: \"{todo}: exits 0 when the error rate is back to its baseline\"}}\n  \
         latency: {{check: \"{todo}: exits 0 when latency is back to its baseline\"}}\n  \
         data_integrity: {{not_applicable: \"{todo}: why, or a check of row counts against the capture\"}}\n  \
         dependencies: {{check: \"{todo}: exits 0 when every dependency answers\"}}\n  \
         smoke_test: {{confirm: \"{todo}: the main user journey works end to end\"}}\n  \
         logs_reviewed: {{confirm: \"{todo}: no new errors in the logs since the rollback\"}}\n  \
         stakeholders_informed: {{confirm: \"{todo}: stakeholders told the rollback is done\"}}\n  \
         dashboards_normal: {{step: validate.metrics}}\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Severity, load::parse_str, validate::validate};

    #[test]
    fn every_level_and_operation_validates_with_only_placeholder_warnings() {
        let ops = [
            Operation::Application,
            Operation::Database,
            Operation::Infrastructure,
            Operation::Configuration,
            Operation::Workflow,
        ];
        for level in 2..=4 {
            for op in ops {
                let text = new_plan("my-plan", level, op);
                let plan =
                    parse_str(&text).unwrap_or_else(|d| panic!("L{level} {op:?}: {d:?}\n{text}"));
                let diags = validate(&plan);
                let errors: Vec<_> = diags
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .collect();
                assert!(errors.is_empty(), "L{level} {op:?}: {errors:?}\n{text}");
                assert!(diags.iter().any(|d| d.rule == "placeholder"), "L{level}");
                // Level 3 and 4 plans are also reminded to add triggers.
                assert!(
                    diags
                        .iter()
                        .all(|d| d.rule == "placeholder" || (level >= 3 && d.rule == "triggers")),
                    "L{level}: {diags:?}"
                );
            }
        }
    }
}

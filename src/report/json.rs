//! The report as JSON: the serde form of [`Report`], a stable shape for tools. Keys are
//! snake_case and always present (`null` when unknown), times are RFC 3339 UTC with
//! milliseconds, durations are milliseconds (`*_ms`), elapsed times count from the run's
//! start. New keys may be added; none are renamed or removed without raising
//! `report_version`.
//!
//! ```text
//! report_version      1
//! generated_at        time of rendering (the only value not taken from the records)
//! run                 run_id, plan, title, level, operation, automation, mode
//!                     (live|rehearsal|drill), operator, operators[], scenario {id, title}|null,
//!                     trigger (auto|manual), host, version, plan_sha256, vars[{name, value}]
//!                     rehearsal {environment (staging|prod-like),
//!                     participants[{name, stakeholder}]}|null, regions[]
//! timing              started_at, ended_at|null, last_record_at, finished, duration_ms,
//!                     sla_ms, sla (met|missed|open), sla_margin_ms (to spare, or over),
//!                     sla_breached_at|null, sla_breached_elapsed_ms|null
//! outcome             status (completed|failed|aborted|not_finished), at, reason, by,
//!                     after_point_of_no_return
//! point_of_no_return  steps[], passed, at, elapsed_ms, by, before_step
//! phases[]            id, title, kind, region, status (pending|running|ok|failed|skipped|
//!                     interrupted|incomplete), started_at, start_elapsed_ms, ended_at,
//!                     duration_ms, estimate_ms, point_of_no_return, steps_left_out[], steps[]
//!   steps[]           key (phase.step, phase.step@region in a lane, phase.step+path.step on
//!                     an alternative path), id, title, kind (run|check|approve|manual), status
//!                     (pending|running|ok|failed|skipped|interrupted|replaced), started_at,
//!                     start_elapsed_ms, ended_at, duration_ms, approved_by, confirmed_by,
//!                     note, skipped {by, reason}|null, point_of_no_return,
//!                     point_of_no_return_confirmed_by, attempts[]
//!     attempts[]      n, started_at, start_elapsed_ms, outcome (ok|failed|timed_out|killed|
//!                     running|interrupted|unknown), exit_code, signal, duration_ms, lines,
//!                     bytes, log (relative to the run directory, or null), sha256, error,
//!                     requested_by
//! phases_left_out[]   id, title
//! regions[]           only for runs with `for_each: region` phases: region, started_at,
//!                     duration_ms, sla_ms, met (true|false|null), escalation
//! escalations[]       level, action, reason, at, elapsed_ms, acknowledged_by,
//!                     acknowledged_at, acknowledged_elapsed_ms
//! notes[]             kind (note|status_update), by, text, at, elapsed_ms
//! notifications[]     on, command, ok, exit_code, timed_out, duration_ms, stderr, at,
//!                     elapsed_ms
//! interruptions       left[{by, reason, running, at, elapsed_ms}],
//!                     resumes[{by, host, pid, forced, at, elapsed_ms}],
//!                     interrupted_steps[{step, attempt, unrecorded_start, at, elapsed_ms,
//!                     orphan_pgid, orphan_killed}]
//! follow_ups          counted_from, provisional, groups[{window (immediate|short-term|
//!                     long-term), opens_at, due_at, items[{title, kind (check|manual), text}]}],
//!                     validation (when the plan declares windows) {verdict (validating|
//!                     validated|regressed|not_validated), windows[{window, verdict {state,
//!                     source|why}}], samples, failures}
//! checklist[]         item (service_health|version|error_rate|latency|data_integrity|
//!                     dependencies|smoke_test|logs_reviewed|stakeholders_informed|
//!                     dashboards_normal), automated, how, result (passed|failed|skipped|
//!                     not run|not applicable|missing), reason?, by?, at?; empty without one
//! metrics             execution {trigger, finished, outcome, success, duration_ms, sla_ms,
//!                     within_sla (bool|null while open), attempts, retries; when a trigger
//!                     started the run: fired {name, uses, severity, condition, explain,
//!                     value, first_failure_ms, fired_ms, samples, started_by},
//!                     time_to_detect_ms, time_to_start_ms}
//!                     impact {recorded (anything entered), downtime_ms,
//!                     affected_requests, failed_requests, revenue_impact, users_affected,
//!                     data_loss (text), customer_complaints: null until entered;
//!                     entries[{key, value, by, at}] (who entered each, latest per key),
//!                     missing[] (standard metrics not entered yet)}
//!                     quality {tested_beforehand (yes|unknown), steps_selected,
//!                     steps_automated, steps_manual, automated_pct, steps_ok, steps_skipped,
//!                     steps_failed, steps_not_done, plan_followed_pct,
//!                     documentation_accuracy_pct: null}
//! record              records (count), last_hash
//! warnings[]          strings
//! comparison          null unless a rehearsal: earlier_count, earlier[] and this {run_id,
//!                     started_at, duration_ms, sla_ms, within_sla, environment}, trend
//!                     (first|faster|steady|slower), change_pct (vs the earlier median),
//!                     median_ms, phases[{id, this_ms, previous_ms, median_ms}],
//!                     slower_steps[{key, this_ms, previous_ms}], sla_headroom_ms,
//!                     previous_headroom_ms
//! drill               drills only (absent otherwise): trainee, exercise|null, speed,
//!                     real_duration_ms, drill_duration_ms, sla_ms, sla_met|null,
//!                     decisions[{kind, step|null, by, at, real_ms|null, drill_ms|null}],
//!                     escalations[{level, raised_drill_ms, acknowledged_after_drill_ms|null,
//!                     in_time}], mistakes[]; a drill's timing is on the drill clock
//! ```

use serde_json::Value;

use super::model::Report;

/// The top-level keys of the JSON form, in the struct's order. (A `serde_json::Value` keeps
/// keys sorted; serialize the `Report` itself to keep this order in text.)
pub const TOP_LEVEL_KEYS: [&str; 18] = [
    "report_version",
    "generated_at",
    "run",
    "timing",
    "outcome",
    "point_of_no_return",
    "phases",
    "phases_left_out",
    "escalations",
    "notes",
    "notifications",
    "interruptions",
    "follow_ups",
    "checklist",
    "metrics",
    "record",
    "warnings",
    "comparison",
];

impl Report {
    /// The report as a JSON value (see the module docs for its shape).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a report always serializes: plain data, string keys")
    }
}

/// The JSON form as printed, pretty and ending in a newline.
pub fn json_text(report: &Report) -> String {
    let json = serde_json::to_string_pretty(report)
        .expect("a report always serializes: plain data, string keys");
    format!("{json}\n")
}

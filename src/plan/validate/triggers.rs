//! Triggers: names, catalogue references, probes, thresholds in the right unit, conditions
//! that compile, window numbers that can fire, and the standard's expectation that level 3
//! and 4 plans watch for the signals that start their rollback.

use super::{rule, unique};
use crate::plan::catalogue::{self, Unit};
use crate::plan::condition::Condition;
use crate::plan::diag::{Diagnostic, did_you_mean};
use crate::plan::loc::{Loc, Pos};
use crate::plan::model::Plan;
use crate::plan::trigger::Trigger;

pub(super) fn triggers(plan: &Plan, out: &mut Vec<Diagnostic>) {
    if plan.triggers.is_empty() && *plan.level >= 3 {
        out.push(Diagnostic::warning(
            plan.level.pos,
            rule::TRIGGERS,
            format!(
                "the standard expects a level {} plan to define automatic rollback triggers, integrated with monitoring: add `triggers:` (`rollback triggers` lists the predefined ones)",
                *plan.level
            ),
        ));
    }
    unique(plan.triggers.iter().map(|t| &t.name), "trigger", out);
    for t in &plan.triggers {
        trigger(plan, t, out);
    }
    super::webhook::shared_ports(plan, out);
}

fn trigger(plan: &Plan, t: &Trigger, out: &mut Vec<Diagnostic>) {
    let mut error = |pos: Pos, msg: String| out.push(Diagnostic::error(pos, rule::TRIGGERS, msg));
    let name = &t.name.value;
    let entry = match &t.uses {
        Some(u) => match catalogue::find(u) {
            Some(e) => Some(e),
            None => {
                let hint = did_you_mean(u, catalogue::entries().iter().map(|e| e.name.as_str()))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| "; `rollback triggers` lists them".into());
                error(
                    u.pos,
                    format!("no trigger `{}` in the catalogue{hint}", u.value),
                );
                return;
            }
        },
        None => None,
    };
    let probes = t.probes();
    if probes.len() > 1 {
        error(
            probes[1].1,
            format!(
                "trigger `{name}` has two probes, `{}` and `{}`: keep one",
                probes[0].0, probes[1].0
            ),
        );
    }
    let kind = probes
        .first()
        .map(|p| p.0)
        .or(entry.map(|e| e.probe_kind()));
    probe(plan, t, kind, entry, &mut error);
    judged(t, entry, &mut error);
    for (d, what) in [(&t.interval, "an interval"), (&t.timeout, "a timeout")] {
        if let Some(d) = d
            && d.0.is_zero()
        {
            error(d.pos, format!("{what} must be longer than zero"));
        }
    }
    let severity = t
        .severity
        .as_ref()
        .map(|s| s.value)
        .or(entry.map(|e| e.severity));
    if let Some(w) = &t.cancel_window
        && severity != Some(crate::plan::trigger::TriggerSeverity::High)
    {
        error(
            w.pos,
            format!(
                "only a `severity: high` trigger waits for a cancel window; `{name}` is {}",
                severity.map_or("medium", |s| s.name())
            ),
        );
    }
    let count = t.count.as_ref().map(|c| c.value).unwrap_or(5);
    if let Some(c) = &t.count
        && c.value == 0
    {
        error(c.pos, "`count` must be at least 1 sample".into());
    }
    if let Some(f) = &t.failure_limit
        && count > 0
        && f.value >= count
    {
        error(
            f.pos,
            format!(
                "`failure_limit: {}` can never be passed in a window of {count} samples: the trigger would never fire",
                f.value
            ),
        );
    }
}

/// The trigger's probe has what its kind needs.
fn probe(
    plan: &Plan,
    t: &Trigger,
    kind: Option<&str>,
    entry: Option<&catalogue::Entry>,
    error: &mut impl FnMut(Pos, String),
) {
    let name = &t.name.value;
    match kind {
        None => error(
            t.name.pos,
            format!(
                "trigger `{name}` has no probe: add `command`, `http`, `prometheus` or `alertmanager`, or `use:` one of the catalogue"
            ),
        ),
        Some("prometheus") => {
            let p = t.prometheus.as_ref();
            let at = p.map(|p| p.pos).unwrap_or(t.name.pos);
            let p = p.map(|p| &p.value);
            if p.and_then(|p| p.url.as_ref()).is_none() {
                error(
                    at,
                    format!(
                        "trigger `{name}` needs `prometheus.url`: the server to ask, e.g. http://prometheus:9090"
                    ),
                );
            }
            if let Some(u) = p.and_then(|p| p.url.as_ref()) {
                url(plan, u, error);
            }
            let query = p.and_then(|p| p.query.as_ref()).is_some()
                || entry.is_some_and(|e| e.prometheus.is_some());
            if !query {
                error(at, format!("trigger `{name}` needs `prometheus.query`"));
            }
        }
        Some("http") => {
            let h = t.http.as_ref();
            match h.and_then(|h| h.value.url.as_ref()) {
                Some(u) => url(plan, u, error),
                None => error(
                    h.map(|h| h.pos).unwrap_or(t.name.pos),
                    format!("trigger `{name}` needs `http.url`"),
                ),
            }
            if let Some(j) = h.and_then(|h| h.value.jsonpath.as_ref())
                && let Err(e) = jsonpath_rust::parser::parse_json_path(&j.value)
            {
                error(
                    j.pos,
                    format!(
                        "`{}` is not a JSONPath: {}",
                        j.value,
                        one_line(&e.to_string())
                    ),
                );
            }
        }
        Some("alertmanager") => super::webhook::receiver(plan, t, error),
        Some(_) => {}
    }
}

/// The trigger's threshold and conditions can judge a sample.
fn judged(t: &Trigger, entry: Option<&catalogue::Entry>, error: &mut impl FnMut(Pos, String)) {
    let name = &t.name.value;
    if let Some(w) = &t.threshold {
        let unit = entry
            .map(|e| e.unit)
            .unwrap_or(Unit::of_written(&w.value.0));
        if let Err(e) = unit.parse(&w.value.0) {
            let what = match entry {
                Some(e) if e.unit == Unit::None => format!("`{}` has no threshold to set", e.name),
                Some(en) => format!(
                    "{e}; `{}` takes its threshold in {}",
                    en.name,
                    unit_words(en.unit)
                ),
                None => e,
            };
            error(w.pos, what);
        }
    }
    match &t.condition {
        Some(c) => condition(c, "condition", error),
        None if entry.is_none() => error(
            t.name.pos,
            format!(
                "trigger `{name}` has no `condition`: a CEL expression over `result` that is true when the sample is bad"
            ),
        ),
        None => {}
    }
    if let Some(c) = &t.inconclusive {
        condition(c, "inconclusive condition", error);
    }
}

fn unit_words(unit: Unit) -> &'static str {
    match unit {
        Unit::Percent => "percent (e.g. 5%)",
        Unit::Duration => "a duration (e.g. 500ms)",
        Unit::Number => "a plain number",
        Unit::None => "nothing",
    }
}

/// An http(s) URL, or one that starts with a variable of the plan (`${prometheus_url}/...`),
/// filled in when the probe runs.
fn url(plan: &Plan, u: &Loc<String>, error: &mut impl FnMut(Pos, String)) {
    if u.starts_with("http://") || u.starts_with("https://") {
        return;
    }
    let Some(name) = u
        .strip_prefix("${")
        .and_then(|r| r.split_once('}'))
        .map(|(n, _)| n)
    else {
        error(
            u.pos,
            format!("`{}` is not an http:// or https:// URL", u.value),
        );
        return;
    };
    if plan.vars.get(name).is_none() {
        let hint = did_you_mean(name, plan.vars.keys())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        error(
            u.pos,
            format!("the URL starts with `${{{name}}}`, which is not a variable of the plan{hint}"),
        );
    }
}

fn condition(c: &Loc<String>, what: &str, error: &mut impl FnMut(Pos, String)) {
    if let Err(e) = Condition::compile(&c.value) {
        // The parser lists every token it would have accepted; the first words suffice.
        let message = e.message.split(" expecting {").next().unwrap_or("");
        error(
            c.pos,
            format!(
                "the {what} does not compile at column {} of `{}`: {message}",
                e.col, c.value
            ),
        );
    }
}

/// The parser's multi-line report as `expected ... at column N`.
fn one_line(report: &str) -> String {
    let col = report
        .split("--> ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|lc| lc.split(':').nth(1));
    let what = report
        .rsplit("= ")
        .next()
        .map(str::trim)
        .filter(|w| !w.is_empty() && !w.contains('\n'))
        .unwrap_or("invalid syntax");
    match col {
        Some(col) => format!("{what} at column {col}"),
        None => what.to_string(),
    }
}

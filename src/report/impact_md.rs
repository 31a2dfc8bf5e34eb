//! The impact table of the report: each metric's value and who entered it when, or that it
//! is missing, and the command that enters what is missing.

use super::impact::Entry;
use super::markdown::utc;
use super::md::{cell, code, table};
use super::metrics::ImpactMetrics;
use crate::engine::describe::duration_text;

fn shown(key: &str, i: &ImpactMetrics) -> Option<String> {
    let n = |v: Option<u64>| v.map(|v| v.to_string());
    match key {
        "users_affected" => n(i.users_affected),
        "data_loss" => i.data_loss.clone(),
        "downtime" => i.downtime_ms.map(duration_text),
        "revenue_impact" => i.revenue_impact.map(|v| v.to_string()),
        "customer_complaints" => n(i.customer_complaints),
        "affected_requests" => n(i.affected_requests),
        "failed_requests" => n(i.failed_requests),
        _ => None,
    }
}

fn label(key: &str) -> String {
    let mut s = key.replace('_', " ");
    if let Some(c) = s.get_mut(..1) {
        c.make_ascii_uppercase();
    }
    s
}

fn by(e: Option<&Entry>) -> String {
    e.map(|e| format!(" (entered by {} at {})", cell(&e.by), utc(e.at)))
        .unwrap_or_default()
}

pub(super) fn markdown(i: &ImpactMetrics, run_id: Option<&str>) -> String {
    let entry = |k: &str| i.entries.iter().find(|e| e.key == k);
    let mut rows: Vec<Vec<String>> = super::impact::STANDARD
        .iter()
        .map(|k| {
            let value = match shown(k, i) {
                Some(v) => format!("{}{}", cell(&v), by(entry(k))),
                None => "missing".into(),
            };
            vec![label(k), value]
        })
        .collect();
    for k in super::impact::EXTRA {
        if let Some(v) = shown(k, i) {
            rows.push(vec![label(k), format!("{}{}", cell(&v), by(entry(k)))]);
        }
    }
    let mut out = table(&["Metric", "Value"], &rows);
    if i.entries.iter().any(|e| !e.by.starts_with("step ")) {
        out.push_str(&format!(
            "\nValues entered by people after the run are kept in {}, not in its sealed \
             timeline; values a step wrote are in the timeline.\n",
            code(super::impact::FILE)
        ));
    }
    if !i.missing.is_empty() {
        let run = run_id.unwrap_or("RUN");
        let example = format!("rollback report {run} --set {}=...", i.missing[0]);
        out.push_str(&format!(
            "\nMissing: {}. The tool does not measure impact: take these from monitoring and \
             enter them with {} (or have a step write `NAME=VALUE` lines to \
             `$ROLLBACK_OUTPUTS`).\n",
            i.missing.join(", "),
            code(&example)
        ));
    }
    out
}

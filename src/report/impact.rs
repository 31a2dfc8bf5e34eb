//! Impact figures entered after a run (`rollback report RUN --set users_affected=1200`):
//! the tool cannot measure them, so people enter them, and each entry says who and when.
//! They live in `impact.jsonl` beside the timeline, one entry a line, the latest per key
//! winning: the timeline is sealed when the run ends, and a record after its seal would
//! read as tampering to `verify`; so entries are a separate, attributed addendum that the
//! report names as entered afterwards, never part of the hash chain.

use serde::{Deserialize, Serialize};

use super::metrics::ImpactMetrics;
use super::time::Timestamp;

/// Beside the timeline.
pub const FILE: &str = "impact.jsonl";

/// The standard's impact metrics, in the order reports list them; a report names those
/// still missing.
pub const STANDARD: [&str; 5] = [
    "users_affected",
    "data_loss",
    "downtime",
    "revenue_impact",
    "customer_complaints",
];
/// Also accepted, not asked for.
pub const EXTRA: [&str; 2] = ["affected_requests", "failed_requests"];

/// Data loss in words is at most this long.
const MAX_TEXT: usize = 500;

/// One value entered, as kept in `impact.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    /// Normalised: a whole number, a number, milliseconds for `downtime`, or text.
    pub value: String,
    pub by: String,
    pub at: Timestamp,
}

/// `KEY=VALUE` checked and normalised into an entry by `by` at `at_ms`.
pub fn parse_set(text: &str, by: &str, at_ms: i64) -> Result<Entry, String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected KEY=VALUE, e.g. users_affected=1200"))?;
    let (key, value) = (key.trim(), value.trim());
    let value = match key {
        "users_affected" | "customer_complaints" | "affected_requests" | "failed_requests" => {
            let digits = value.replace(['_', ','], "");
            digits
                .parse::<u64>()
                .map_err(|_| format!("{key}: `{value}` is not a whole number"))?
                .to_string()
        }
        "revenue_impact" => match value.parse::<f64>() {
            Ok(n) if n.is_finite() => n.to_string(),
            _ => {
                return Err(format!(
                    "{key}: `{value}` is not a number (in your currency)"
                ));
            }
        },
        "downtime" => humantime::parse_duration(value)
            .map_err(|e| format!("downtime: `{value}` is not a duration like 12m or 1h30m: {e}"))?
            .as_millis()
            .to_string(),
        "data_loss" if value.is_empty() => {
            return Err("data_loss: say what was lost, or `none`".into());
        }
        "data_loss" if value.chars().count() > MAX_TEXT => {
            return Err(format!("data_loss: at most {MAX_TEXT} characters"));
        }
        "data_loss" => value.to_string(),
        _ => {
            return Err(format!(
                "`{key}` is not an impact metric; one of: {}, {}",
                STANDARD.join(", "),
                EXTRA.join(", ")
            ));
        }
    };
    Ok(Entry {
        key: key.to_string(),
        value,
        by: by.to_string(),
        at: Timestamp(at_ms),
    })
}

/// The entries in `text` (one JSON object a line), and a warning per line that is not one.
pub fn read(text: &str) -> (Vec<Entry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => entries.push(e),
            Err(e) => warnings.push(format!("{FILE} line {}: ignored: {e}", n + 1)),
        }
    }
    (entries, warnings)
}

/// Impact figures steps wrote (`step_outputs`), as entries by `step <key>`; a value that
/// does not check out is a warning, not a figure.
pub fn from_outputs(records: &[crate::engine::Record]) -> (Vec<Entry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for r in records {
        let crate::engine::Event::StepOutputs { step, outputs, .. } = &r.event else {
            continue;
        };
        for (k, v) in outputs {
            if !STANDARD.contains(&k.as_str()) && !EXTRA.contains(&k.as_str()) {
                continue;
            }
            match parse_set(&format!("{k}={v}"), &format!("step {step}"), r.ts_ms) {
                Ok(e) => entries.push(e),
                Err(e) => warnings.push(format!(
                    "{step} wrote an impact figure that is ignored: {e}"
                )),
            }
        }
    }
    (entries, warnings)
}

/// Sets `impact` from `entries` (later ones win) and lists the standard metrics missing.
pub fn apply(impact: &mut ImpactMetrics, entries: &[Entry]) {
    for e in entries {
        let num = || e.value.parse::<u64>().ok();
        match e.key.as_str() {
            "users_affected" => impact.users_affected = num(),
            "customer_complaints" => impact.customer_complaints = num(),
            "affected_requests" => impact.affected_requests = num(),
            "failed_requests" => impact.failed_requests = num(),
            "downtime" => impact.downtime_ms = num(),
            "revenue_impact" => impact.revenue_impact = e.value.parse().ok(),
            "data_loss" => impact.data_loss = Some(e.value.clone()),
            _ => continue,
        }
        impact.entries.retain(|x| x.key != e.key);
        impact.entries.push(e.clone());
    }
    impact.recorded = !impact.entries.is_empty();
    impact.missing = STANDARD
        .iter()
        .filter(|k| !impact.entries.iter().any(|e| e.key == **k))
        .map(|k| k.to_string())
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> Result<String, String> {
        parse_set(text, "ana", 0).map(|e| e.value)
    }

    #[test]
    fn values_are_checked_and_normalised() {
        assert_eq!(set("users_affected=1,200"), Ok("1200".into()));
        assert_eq!(set(" downtime = 12m "), Ok("720000".into()));
        assert_eq!(set("revenue_impact=4300.5"), Ok("4300.5".into()));
        assert_eq!(set("data_loss=none"), Ok("none".into()));
        assert!(
            set("users_affected=many")
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            set("downtime=soon")
                .unwrap_err()
                .contains("duration like 12m")
        );
        assert!(
            set("revenue_impact=inf")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(set("data_loss=").unwrap_err().contains("or `none`"));
        assert!(
            set("users=3")
                .unwrap_err()
                .contains("one of: users_affected")
        );
        assert!(set("users_affected").unwrap_err().contains("KEY=VALUE"));
    }

    #[test]
    fn the_latest_entry_wins_and_the_missing_are_named() {
        let mut impact = ImpactMetrics::default();
        apply(&mut impact, &[]);
        assert!(!impact.recorded);
        assert_eq!(impact.missing, STANDARD);
        let entries: Vec<Entry> = ["users_affected=10", "downtime=1m", "users_affected=12"]
            .iter()
            .map(|t| parse_set(t, "ana", 5).unwrap())
            .collect();
        apply(&mut impact, &entries);
        assert!(impact.recorded);
        assert_eq!(impact.users_affected, Some(12));
        assert_eq!(impact.downtime_ms, Some(60_000));
        assert_eq!(impact.entries.len(), 2);
        assert_eq!(
            impact.missing,
            ["data_loss", "revenue_impact", "customer_complaints"]
        );
    }

    #[test]
    fn a_line_that_is_not_an_entry_is_a_warning() {
        let good = serde_json::to_string(&parse_set("data_loss=none", "a", 1).unwrap()).unwrap();
        let (entries, warnings) = read(&format!("{good}\n{{oops\n\n"));
        assert_eq!(entries.len(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("line 2"), "{warnings:?}");
    }
}

//! The report of one run (PURE but for `render_run`, which reads the run directory): a
//! replay of the timeline over the plan copy, turned into data (`model`), markdown and JSON.
//! Nothing is stored twice: a report can always be rendered again from the same records.

mod attempts;
pub mod checklist;
pub mod events;
pub mod failures;
pub mod files;
pub mod followups;
pub mod impact;
mod impact_md;
pub mod json;
pub mod markdown;
mod md;
pub mod metrics;
pub mod model;
pub mod phases;
pub mod regions;
pub mod scorecard;
mod scorecard_md;
mod sections;
pub mod status;
pub mod time;
mod trend_md;
mod verdict;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use json::TOP_LEVEL_KEYS;
pub use metrics::{Metrics, metrics};
pub use model::{Report, RunOutcome, SlaVerdict, build};
pub use time::Timestamp;

use crate::engine::Event;
use crate::plan::load::load_bytes;
use crate::timeline::journal::read_complete;
use crate::timeline::rundir::{PLAN_COPY, TIMELINE};

/// Reads the run in `dir` (its `plan.yaml` and `timeline.jsonl`) and builds its report.
/// A damaged chain is an error naming the line; a torn last line (a crash mid-write) and a
/// plan copy that no longer matches the recorded digest are warnings in the report.
pub fn render_run(dir: &Path, now_ms: i64) -> Result<Report, String> {
    let plan_path = dir.join(PLAN_COPY);
    let plan_bytes =
        crate::timeline::files::read_bounded(&plan_path, crate::timeline::files::MAX_WHOLE)
            .map_err(|e| format!("cannot read {}: {e}", plan_path.display()))?;
    let digest = hex::encode(Sha256::digest(&plan_bytes));
    let plan = load_bytes(&plan_path.display().to_string(), plan_bytes)
        .map_err(|e| format!("the run's plan copy does not load:\n{e}"))?
        .plan;

    let timeline_path = dir.join(TIMELINE);
    let bytes =
        crate::timeline::files::read_bounded(&timeline_path, crate::timeline::files::MAX_WHOLE)
            .map_err(|e| format!("cannot read {}: {e}", timeline_path.display()))?;
    let (records, complete) = read_complete(&bytes)
        .map_err(|e| format!("{} is damaged at {e}", timeline_path.display()))?;
    if !records
        .iter()
        .any(|r| matches!(r.event, Event::RunStarted(_)))
    {
        return Err(format!(
            "{} records no run start: there is no run to report",
            timeline_path.display()
        ));
    }

    let mut report = build(&plan, &records, now_ms);
    // Only a completed rollback is validated: a failed one has nothing that could hold.
    if report.outcome.status == RunOutcome::Completed {
        let segment = segment(dir, &records, &mut report);
        report.follow_ups.validation = followups::validation(&plan, &segment);
    }
    if complete < bytes.len() {
        report.warnings.push(format!(
            "the timeline ends in an incomplete line ({} bytes, a crash mid-write); \
             the report covers the {} complete records",
            bytes.len() - complete,
            records.len()
        ));
    }
    let recorded = records.iter().rev().find_map(|r| match &r.event {
        Event::RunResumed { plan_sha256, .. } => Some(plan_sha256),
        Event::RunStarted(info) => Some(&info.plan_sha256),
        _ => None,
    });
    match crate::timeline::files::read_text(
        &dir.join(impact::FILE),
        crate::timeline::files::MAX_WHOLE,
    ) {
        Ok(text) => {
            let (entries, warnings) = impact::read(&text);
            impact::apply(&mut report.metrics.impact, &entries);
            report.warnings.extend(warnings);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => report
            .warnings
            .push(format!("{} cannot be read: {e}", impact::FILE)),
    }
    if let Some(want) = recorded
        && *want != digest
    {
        report.warnings.push(format!(
            "{PLAN_COPY} (sha256 {digest}) is not the plan recorded for this run \
             (sha256 {want}): steps may be misdescribed"
        ));
    }
    Ok(report)
}

/// The validation segment chained after the seal; a damaged one is a warning, not read.
fn segment(
    dir: &Path,
    records: &[crate::engine::Record],
    report: &mut Report,
) -> Vec<crate::engine::Record> {
    use crate::timeline::segment::{SEGMENT, read};
    let (Ok(bytes), Some(seal)) = (
        crate::timeline::files::read_bounded(&dir.join(SEGMENT), crate::timeline::files::MAX_WHOLE),
        records.last(),
    ) else {
        return Vec::new();
    };
    match read(&bytes, seal) {
        Ok((r, _)) => r,
        Err((line, why)) => {
            report.warnings.push(format!(
                "{SEGMENT}:{line}: {why}; the validation windows are left out (see `rollback verify`)"
            ));
            Vec::new()
        }
    }
}

//! A run's report read from its directory, and its copies there (`report.md`, `report.json`,
//! owner-only): written when a run is sealed and again by `rollback report`, always in the
//! same text, so the copy a reader finds is the one the command prints.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::files::{MAX_WHOLE, read_bounded};
use super::journal::read_complete;
use super::rundir::{PLAN_COPY, TIMELINE, write_private};
use super::seal::read_seal;
use crate::engine::{Event, Mode};
use crate::plan::load::load_bytes;
use crate::report::summary::Summary;
use crate::report::{Report, RunOutcome, build, followups, impact, json_text, markdown_text};

pub const MARKDOWN: &str = "report.md";
pub const JSON: &str = "report.json";

/// Writes both forms into `dir`; the paths written, Markdown first.
pub fn write_both(dir: &Path, report: &Report) -> Result<[PathBuf; 2], String> {
    let md = dir.join(MARKDOWN);
    let json = dir.join(JSON);
    for (path, text) in [(&md, markdown_text(report)), (&json, json_text(report))] {
        write_private(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok([md, json])
}

/// Appends entries to the run's `impact.jsonl` (owner-only) and syncs them.
pub fn append_impact(dir: &Path, entries: &[impact::Entry]) -> std::io::Result<()> {
    use std::io::Write;
    let mut text = String::new();
    for e in entries {
        text.push_str(&serde_json::to_string(e).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    let mut f = crate::timeline::files::open_append(&dir.join(impact::FILE))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// One impact figure typed as `KEY=VALUE` by `by`: checked, kept in `impact.jsonl`, and the
/// report copies written again with it. The figure as kept, or why it was refused.
pub fn enter_impact(dir: &Path, text: &str, by: &str, now_ms: i64) -> Result<String, String> {
    let entry = impact::parse_set(text, by, now_ms)?;
    append_impact(dir, std::slice::from_ref(&entry))
        .map_err(|e| format!("cannot write {}: {e}", impact::FILE))?;
    let report = render_with_history(dir, now_ms)?;
    write_both(dir, &report)?;
    Ok(format!("{} = {}", entry.key, entry.value))
}

/// The report of the run in `dir` (see [`render_run`]), a rehearsal's compared with
/// the earlier rehearsals of its plan in the same runs directory.
pub fn render_with_history(dir: &Path, now_ms: i64) -> Result<Report, String> {
    let mut report = render_run(dir, now_ms)?;
    if report.run.mode != Mode::Rehearsal {
        return Ok(report);
    }
    let id = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let earlier = match dir.parent() {
        Some(root) => sealed_runs_of(root, &report.run.plan, &id),
        None => Vec::new(),
    };
    report.comparison = crate::report::trend::compare(&id, &Summary::of(&report), &earlier);
    Ok(report)
}

/// Whether a run directory's name, `<UTC start>-<plan id>[-n]`, names a run of `plan`.
fn names_plan(id: &str, plan: &str) -> bool {
    let stamp = "2026-11-27T22-38-04Z".len();
    id.get(stamp..)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_prefix(plan))
        .is_some_and(|n| {
            n.is_empty()
                || n.strip_prefix('-')
                    .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The sealed summaries of the runs of `plan` under `root` other than `except`. Only run
/// directories named for the plan are read (one read of a timeline's end each); a run
/// without a seal has no settled timing and is left out.
pub fn sealed_runs_of(root: &Path, plan: &str, except: &str) -> Vec<(String, Summary)> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|id| id != except && names_plan(id, plan))
        .filter_map(|id| {
            let seal = read_seal(&root.join(&id).join(TIMELINE)).ok()??;
            let summary = Summary::of_seal(&seal).ok()?;
            (summary.plan == plan).then_some((id, summary))
        })
        .collect()
}

/// Reads the run in `dir` (its `plan.yaml` and `timeline.jsonl`) and builds its report.
/// A damaged chain is an error naming the line; a torn last line (a crash mid-write) and a
/// plan copy that no longer matches the recorded digest are warnings in the report.
pub fn render_run(dir: &Path, now_ms: i64) -> Result<Report, String> {
    let plan_path = dir.join(PLAN_COPY);
    let plan_bytes = read_bounded(&plan_path, MAX_WHOLE)
        .map_err(|e| format!("cannot read {}: {e}", plan_path.display()))?;
    let digest = hex::encode(Sha256::digest(&plan_bytes));
    let plan = load_bytes(&plan_path.display().to_string(), plan_bytes)
        .map_err(|e| format!("the run's plan copy does not load:\n{e}"))?
        .plan;

    let timeline_path = dir.join(TIMELINE);
    let bytes = read_bounded(&timeline_path, MAX_WHOLE)
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
    match super::files::read_text(&dir.join(impact::FILE), MAX_WHOLE) {
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
    use super::segment::{SEGMENT, read};
    let (Ok(bytes), Some(seal)) = (read_bounded(&dir.join(SEGMENT), MAX_WHOLE), records.last())
    else {
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_run_directory_names_its_plan_with_an_optional_counter() {
        use super::names_plan;
        assert!(names_plan("2026-11-27T22-38-04Z-db", "db"));
        assert!(names_plan("2026-11-27T22-38-04Z-db-2", "db"));
        assert!(!names_plan("2026-11-27T22-38-04Z-my-db", "db"));
        assert!(!names_plan("2026-11-27T22-38-04Z-db-x", "db"));
        assert!(!names_plan("2026-11-27T22-38-04Z-dbx", "db"));
        assert!(!names_plan(".2026-11-27T22-38-04Z-db", "db"));
    }
}

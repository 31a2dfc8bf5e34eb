//! The report's copies in the run directory (`report.md`, `report.json`, owner-only): written
//! when a run is sealed and again by `rollback report`, always in the same text, so the
//! copy a reader finds is the one the command prints.

use std::path::{Path, PathBuf};

use super::model::Report;
use super::summary::Summary;
use crate::engine::Mode;
use crate::timeline::rundir::{TIMELINE, write_private};
use crate::timeline::seal::read_seal;

pub const MARKDOWN: &str = "report.md";
pub const JSON: &str = "report.json";

/// The Markdown form as printed: plan text in it is escaped like everywhere else, since
/// Markdown is read on terminals too.
pub fn markdown_text(report: &Report) -> String {
    crate::text::block(&report.to_markdown()).into_owned()
}

/// The JSON form as printed, pretty and ending in a newline.
pub fn json_text(report: &Report) -> String {
    let json = serde_json::to_string_pretty(report)
        .expect("a report always serializes: plain data, string keys");
    format!("{json}\n")
}

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
pub fn append_impact(dir: &Path, entries: &[super::impact::Entry]) -> std::io::Result<()> {
    use std::io::Write;
    let mut text = String::new();
    for e in entries {
        text.push_str(&serde_json::to_string(e).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    let mut f = crate::timeline::files::open_append(&dir.join(super::impact::FILE))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// One impact figure typed as `KEY=VALUE` by `by`: checked, kept in `impact.jsonl`, and the
/// report copies written again with it. The figure as kept, or why it was refused.
pub fn enter_impact(dir: &Path, text: &str, by: &str, now_ms: i64) -> Result<String, String> {
    let entry = super::impact::parse_set(text, by, now_ms)?;
    append_impact(dir, std::slice::from_ref(&entry))
        .map_err(|e| format!("cannot write {}: {e}", super::impact::FILE))?;
    let report = render_with_history(dir, now_ms)?;
    write_both(dir, &report)?;
    Ok(format!("{} = {}", entry.key, entry.value))
}

/// The report of the run in `dir` (see [`super::render_run`]), a rehearsal's compared with
/// the earlier rehearsals of its plan in the same runs directory.
pub fn render_with_history(dir: &Path, now_ms: i64) -> Result<Report, String> {
    let mut report = super::render_run(dir, now_ms)?;
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
    report.comparison = crate::records::trend::compare(&id, &Summary::of(&report), &earlier);
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

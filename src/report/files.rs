//! The report's copies in the run directory (`report.md`, `report.json`, owner-only): written
//! when a run is sealed and again by `rollback report`, always in the same text, so the
//! copy a reader finds is the one the command prints.

use std::path::{Path, PathBuf};

use super::model::Report;
use crate::timeline::rundir::write_private;

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

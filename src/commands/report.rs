//! `rollback report RUN [--format md|json]`: prints the report and keeps a copy in the run
//! directory (`report.md` / `report.json`).

use crate::cli::{ReportArgs, ReportFormat};
use crate::exit::Exit;
use crate::report::files;
use crate::timeline::rundir::{find, runs_root};

pub fn run(args: &ReportArgs) -> color_eyre::Result<Exit> {
    let root = runs_root(args.runs.runs_dir.as_deref());
    let dir = match find(&root, &args.run) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback report: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    let report = match files::render_with_history(&dir, now) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rollback report: {e}");
            return Ok(Exit::Failed);
        }
    };
    let (text, name) = match args.format {
        ReportFormat::Md => (files::markdown_text(&report), files::MARKDOWN),
        ReportFormat::Json => (files::json_text(&report), files::JSON),
    };
    print!("{text}");
    // The copy is a convenience; the timeline is the record, so a read-only run
    // directory is not an error.
    let _ = crate::timeline::rundir::write_private(&dir.join(name), text.as_bytes());
    Ok(Exit::Ok)
}

//! `rollback report RUN [--format md|json] [--set KEY=VALUE]`: enters impact metrics (kept
//! in `impact.jsonl`, see `report::impact`), prints the report and keeps a copy in the run
//! directory (`report.md` / `report.json`; both when values were entered).

use super::args::{ReportArgs, ReportFormat};
use crate::exit::Exit;
use crate::report::impact;
use crate::timeline::reports as files;
use crate::timeline::rundir::{find, runs_root};

pub fn run(args: &ReportArgs) -> color_eyre::Result<Exit> {
    match super::store_at::for_reading(&args.from) {
        Ok(Some(store)) => return from_store(args, &store),
        Ok(None) => {}
        Err(e) => {
            eprintln!("rollback report: {e}");
            return Ok(Exit::BadInput);
        }
    }
    let root = runs_root(args.runs.runs_dir.as_deref());
    let dir = match find(&root, &args.run) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback report: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    if !args.set.is_empty() {
        let by = super::load::operator(args.by.as_deref());
        let entries: Result<Vec<_>, String> = args
            .set
            .iter()
            .map(|t| impact::parse_set(t, &by, now))
            .collect();
        let entries = match entries {
            Ok(e) => e,
            Err(e) => {
                eprintln!("rollback report: --set {}", crate::text::inline(&e));
                return Ok(Exit::BadInput);
            }
        };
        if let Err(e) = files::append_impact(&dir, &entries) {
            eprintln!("rollback report: cannot write {}: {e}", impact::FILE);
            return Ok(Exit::Internal);
        }
    }
    let report = match files::render_with_history(&dir, now) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rollback report: {e}");
            return Ok(Exit::Failed);
        }
    };
    let (text, name) = match args.format {
        ReportFormat::Md => (crate::report::markdown_text(&report), files::MARKDOWN),
        ReportFormat::Json => (crate::report::json_text(&report), files::JSON),
    };
    print!("{text}");
    if !args.set.is_empty() {
        let _ = files::write_both(&dir, &report);
    }
    // The copy is a convenience; the timeline is the record, so a read-only run
    // directory is not an error.
    let _ = crate::timeline::rundir::write_private(&dir.join(name), text.as_bytes());
    Ok(Exit::Ok)
}

/// The report of a run in the team store, printed (nothing is written: the store is
/// append-only, and impact figures are entered where the run was recorded).
fn from_store(args: &ReportArgs, store: &crate::store::Store) -> color_eyre::Result<Exit> {
    if !args.set.is_empty() {
        eprintln!(
            "rollback report: --set with --store: impact figures are entered where the run is recorded (its runs directory)"
        );
        return Ok(Exit::BadInput);
    }
    let now = chrono::Utc::now().timestamp_millis();
    let report = crate::store::block_on(async {
        let client = store.connect().await?;
        crate::store::schema::check(store, &client).await?;
        match crate::store::read::find(store, &client, &args.run).await? {
            Ok(found) => crate::store::read::report(store, &client, &found, now)
                .await
                .map(Ok),
            Err(why) => Ok(Err(why)),
        }
    });
    let report = match report {
        Ok(Ok(r)) => r,
        Ok(Err(why)) => {
            eprintln!("rollback report: {why}");
            return Ok(Exit::BadInput);
        }
        Err(e) => {
            eprintln!("rollback report: {}: {e}", store.shown());
            return Ok(Exit::Failed);
        }
    };
    print!(
        "{}",
        match args.format {
            ReportFormat::Md => crate::report::markdown_text(&report),
            ReportFormat::Json => crate::report::json_text(&report),
        }
    );
    Ok(Exit::Ok)
}

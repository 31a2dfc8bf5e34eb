//! Reads a runs directory into [`Records`] for `stats`, `ready` and `prune`: a sealed run
//! costs one read of its timeline's end; a run without a seal is replayed with the report
//! code to tell an ended run (counted) from an open, left or corrupt one (listed). A run
//! that cannot be read never stops the others from being counted.

use std::path::Path;

use crate::records::{Records, RunSummary, Uncounted, Unread};
use crate::report::render_run;
use crate::timeline::rundir::{LOCK, TIMELINE, holder};
use crate::timeline::seal::{Summary, read_seal};

/// Every run directory under `root` (names starting with `.` are skipped: `prune` hides a
/// run there while it removes it). A missing root is no runs.
pub fn scan(root: &Path, now_ms: i64) -> Records {
    let mut records = Records::default();
    let Ok(entries) = std::fs::read_dir(root) else {
        return records;
    };
    for entry in entries.filter_map(Result::ok) {
        let Ok(id) = entry.file_name().into_string() else {
            continue;
        };
        let dir = entry.path();
        if id.starts_with('.') || !dir.join(TIMELINE).is_file() {
            continue;
        }
        match read_seal(&dir.join(TIMELINE)) {
            Ok(Some(seal)) => records.runs.push(RunSummary::of(&id, &seal.summary, true)),
            Ok(None) => unsealed(&dir, &id, now_ms, &mut records),
            Err(e) => records.uncounted.push(Uncounted {
                id,
                plan: None,
                mode: None,
                started_ms: None,
                why: Unread::Corrupt {
                    why: format!("cannot read {TIMELINE}: {e}"),
                },
            }),
        }
    }
    records
}

/// A run whose timeline does not end in a seal: replayed.
fn unsealed(dir: &Path, id: &str, now_ms: i64, records: &mut Records) {
    let report = render_run(dir, now_ms);
    let (plan, mode, started_ms) = match &report {
        Ok(r) => (
            Some(r.run.plan.clone()),
            Some(r.run.mode),
            Some(r.timing.started_at.ms()),
        ),
        Err(_) => (None, None, None),
    };
    let why = if let Some(holder) = holder(dir) {
        Unread::Open { holder }
    } else {
        match report {
            Err(e) => Unread::Corrupt { why: e },
            // Every run has a lock until it is sealed: no lock and no seal means the
            // seal (and maybe more) was cut off.
            Ok(_) if !dir.join(LOCK).exists() => Unread::Corrupt {
                why: "no seal and no lock: records are missing at its end (`rollback verify`)"
                    .into(),
            },
            Ok(r) if r.timing.finished => {
                records
                    .runs
                    .push(RunSummary::of(id, &Summary::of(&r), false));
                return;
            }
            Ok(_) => Unread::Left,
        }
    };
    records.uncounted.push(Uncounted {
        id: id.to_string(),
        plan,
        mode,
        started_ms,
        why,
    });
}

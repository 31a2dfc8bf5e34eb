//! Reads a runs directory into [`Records`] for `stats`, `ready` and `prune`: each run's chain
//! is read whole and counts only when it holds from its start to a seal that agrees with it
//! (`timeline::standing`); a run without a seal is replayed with the report code to tell
//! an ended run from an open, left or corrupt one (listed). A run that cannot be read never
//! stops the others from being counted.

use std::path::Path;

use crate::records::{Records, RunSummary, Uncounted, Unread};
use crate::report::RunOutcome;
use crate::report::summary::Summary;
use crate::timeline::files::{Budget, IN_FLIGHT};
use crate::timeline::follow::lock_held_in;
use crate::timeline::rebuild::Plans;
use crate::timeline::reports::render_run;
use crate::timeline::rundir::{LOCK, TIMELINE};
use crate::timeline::standing::{Standing, counted};

/// Threads reading runs at once: on a cold cache the time goes in waiting for the disk,
/// and a deeper queue of reads is several times faster than one at a time.
const READERS: usize = 16;

/// Every run directory under `root` (names starting with `.` are skipped: `prune` hides a
/// run there while it removes it). A missing root is no runs.
pub fn scan(root: &Path, now_ms: i64) -> Records {
    // Each entry with whether it is a link, told by the directory itself (no lstat each).
    let ids: Vec<(String, bool)> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let link = e.file_type().is_ok_and(|t| t.is_symlink());
                    e.file_name().into_string().ok().map(|id| (id, link))
                })
                .filter(|(id, _)| !id.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    let chunk = ids.len().div_ceil(READERS).max(1);
    // Which locks are held, read once for every run.
    let locks = std::fs::read_to_string("/proc/locks").ok();
    let locks = locks.as_deref();
    let plans = Plans::default();
    let budget = Budget::new(IN_FLIGHT);
    let shared = (&plans, &budget);
    std::thread::scope(|s| {
        let readers: Vec<_> = ids
            .chunks(chunk)
            .map(|ids| {
                s.spawn(move || {
                    let mut records = Records::default();
                    for (id, link) in ids {
                        if *link {
                            // A link to a directory elsewhere is not a run of this directory.
                            let why = "a symbolic link, not a run directory".into();
                            records.uncounted.push(corrupt(id, why));
                            continue;
                        }
                        read_run(&root.join(id), id, now_ms, locks, shared, &mut records);
                    }
                    records
                })
            })
            .collect();
        let mut all = Records::default();
        for r in readers {
            let part = r.join().unwrap_or_default();
            all.runs.extend(part.runs);
            all.uncounted.extend(part.uncounted);
        }
        all
    })
}

/// What the readers share: the plans read, and the bytes of timelines held whole at once.
type Shared<'a> = (&'a Plans, &'a Budget);

/// Adds the run in `dir` (if it is one) to `records`.
fn read_run(
    dir: &Path,
    id: &str,
    now_ms: i64,
    locks: Option<&str>,
    (plans, budget): Shared,
    records: &mut Records,
) {
    match counted(dir, plans, budget) {
        Ok(Standing::Sealed(summary)) => records.runs.push(RunSummary::of(id, &summary, true)),
        Ok(Standing::Unsealed) => {
            // Replayed from a second read: held from the budget too.
            let size = std::fs::symlink_metadata(dir.join(TIMELINE)).map_or(0, |m| m.len());
            let _held = budget.take(size);
            unsealed(dir, id, now_ms, locks, records)
        }
        Ok(Standing::Damaged(why)) => records.uncounted.push(corrupt(id, why)),
        // Not a run directory (or not one any more).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {}
        Err(e) => records
            .uncounted
            .push(corrupt(id, format!("cannot read {TIMELINE}: {e}"))),
    }
}

fn corrupt(id: &str, why: String) -> Uncounted {
    Uncounted {
        id: id.to_string(),
        plan: None,
        mode: None,
        started_at: None,
        why: Unread::Corrupt { why },
    }
}

/// A run whose timeline does not end in a seal: replayed.
fn unsealed(dir: &Path, id: &str, now_ms: i64, locks: Option<&str>, records: &mut Records) {
    let report = render_run(dir, now_ms);
    let (plan, mode, started_at) = match &report {
        Ok(r) => (
            Some(r.run.plan.clone()),
            Some(r.run.mode),
            Some(r.timing.started_at),
        ),
        Err(_) => (None, None, None),
    };
    // Read without taking the lock, even for a moment: a reader must never make a
    // `resume` that starts at the same instant find the run busy.
    let why = if lock_held_in(dir, locks) {
        let text = crate::timeline::files::read_text(&dir.join(LOCK), 4096).unwrap_or_default();
        Unread::Open {
            holder: text.trim().to_string(),
        }
    } else {
        match report {
            Err(e) => Unread::Corrupt { why: e },
            // Every run has a lock until it is sealed: no lock and no seal means the
            // seal (and maybe more) was cut off.
            Ok(_) if !dir.join(LOCK).exists() => Unread::Corrupt {
                why: "no seal and no lock: records are missing at its end (`rollback verify`)"
                    .into(),
            },
            // Without a seal only what counts against the team is counted: a run that
            // failed or was aborted, or one left after a failure once its SLA has passed.
            Ok(r) if r.timing.finished && r.outcome.status != RunOutcome::Completed => {
                records
                    .runs
                    .push(RunSummary::of(id, &Summary::of(&r), false));
                return;
            }
            Ok(r) if r.timing.finished => Unread::Unsealed,
            Ok(r)
                if r.outcome.failed_step.is_some()
                    && now_ms - r.timing.started_at.ms() >= r.timing.sla_ms as i64 =>
            {
                let mut run = RunSummary::of(id, &Summary::of(&r), false);
                run.outcome = RunOutcome::Failed;
                run.within_sla = Some(false);
                run.left = true;
                records.runs.push(run);
                return;
            }
            Ok(_) => Unread::Left,
        }
    };
    records.uncounted.push(Uncounted {
        id: id.to_string(),
        plan,
        mode,
        started_at,
        why,
    });
}

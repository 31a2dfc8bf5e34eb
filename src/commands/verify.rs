//! `rollback verify RUN`: one verdict, each with its exit code: 0 intact (sealed, chain,
//! seal, plan and output digests hold), 1 damaged (a line edited or out of place, an output
//! log changed), 2 bad input, 5 unsealed (open, or left or killed before it ended), 6
//! truncated (records lost), 7 plan changed. Every finding is printed; the exit code is the
//! most serious one's.

use super::args::VerifyArgs;
use crate::exit::Exit;
use crate::timeline::rundir::{PLAN_COPY, TIMELINE, find, runs_root};
use crate::timeline::verify::{Finding, Gap, PlanState, SealState, verify};

fn records(n: u64) -> String {
    if n == 1 {
        "1 record".into()
    } else {
        format!("{n} records")
    }
}

fn gap_text(g: &Gap) -> String {
    let lost = match g.lost {
        Some(n) => format!("lost {}", records(n)),
        None => "lost at least 1 record".into(),
    };
    let at = match g.after_seq {
        Some(seq) => format!("after seq {seq}"),
        None => "before the first record left".into(),
    };
    format!("{lost} {at} ({})", g.why)
}

pub fn run(args: &VerifyArgs) -> color_eyre::Result<Exit> {
    let root = runs_root(args.runs.runs_dir.as_deref());
    let dir = match find(&root, &args.run) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback verify: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let v = match verify(&dir) {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "rollback verify: cannot read {}: {e}",
                crate::text::path(&dir.join(TIMELINE))
            );
            return Ok(Exit::BadInput);
        }
    };
    let timeline = dir.join(TIMELINE);
    if let Some((at, why)) = &v.damage {
        println!(
            "{}: {}",
            crate::text::path(&dir.join(at)),
            crate::text::inline(why)
        );
    }
    match &v.seal {
        SealState::Truncated(gaps) => {
            for g in gaps {
                println!(
                    "{}: TRUNCATED: {}",
                    crate::text::path(&timeline),
                    gap_text(g)
                );
            }
        }
        SealState::Unsealed {
            holder: Some(h), ..
        } => println!(
            "{}: not sealed: the run is open ({}); its records so far are checked",
            crate::text::path(&timeline),
            crate::text::inline(h)
        ),
        SealState::Unsealed { ended: true, .. } => println!(
            "{}: not sealed: the run ended but was killed before its seal (`rollback resume` seals it)",
            crate::text::path(&timeline)
        ),
        SealState::Unsealed { .. } => println!(
            "{}: not sealed: the run was left or killed before it ended (it can be resumed)",
            crate::text::path(&timeline)
        ),
        SealState::Sealed | SealState::NotChecked => {}
    }
    if let Some(state) = &v.validation {
        println!(
            "{}: {}",
            crate::text::path(&dir.join(crate::timeline::segment::SEGMENT)),
            crate::text::inline(state)
        );
    }
    let plan = dir.join(PLAN_COPY);
    match &v.plan {
        PlanState::Changed { recorded, now } => println!(
            "{}: PLAN CHANGED: sha256 {} now, {} on the record",
            crate::text::path(&plan),
            now.as_deref().unwrap_or("(unreadable)"),
            crate::text::inline(recorded)
        ),
        PlanState::Matches => {
            for by in &v.plan_changes_accepted {
                println!(
                    "{}: changed at a resume, accepted by {} (on the record)",
                    crate::text::path(&plan),
                    crate::text::inline(by)
                );
            }
        }
        PlanState::Unrecorded => {}
    }
    if v.torn_tail && !matches!(v.seal, SealState::Truncated(_)) {
        println!(
            "{}: a torn last line follows the last record (the run was killed mid-write; `rollback resume` sets it aside)",
            crate::text::path(&timeline)
        );
    }
    let (exit, verdict) = match v.finding() {
        Finding::Damaged => (
            Exit::Failed,
            "verification FAILED: the record was altered".to_string(),
        ),
        Finding::Truncated => (
            Exit::Truncated,
            "verification FAILED: TRUNCATED, records are missing".into(),
        ),
        Finding::PlanChanged => (
            Exit::PlanChanged,
            "verification FAILED: PLAN CHANGED since it was recorded".into(),
        ),
        Finding::Unsealed => (
            Exit::Unsealed,
            format!(
                "UNSEALED: {} records so far, hash chain intact, {} output logs match their digests",
                v.records, v.logs
            ),
        ),
        Finding::Intact => (
            Exit::Ok,
            format!(
                "verified INTACT: sealed, {} records, hash chain intact, plan.yaml matches its recorded sha256, {} output logs match their digests",
                v.records, v.logs
            ),
        ),
    };
    println!("{verdict}");
    Ok(exit)
}

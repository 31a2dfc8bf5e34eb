//! `rollback prune --older-than AGE [--yes] [RUNS_DIR]`: retention. Lists the sealed runs
//! that ended longer ago than AGE and still verify, and removes them with `--yes`. Refuses
//! an age below the standard's 365-day minimum unless `--force-below-minimum`; never
//! touches a run without a seal or whose lock is held (checked again just before each
//! removal); a damaged run only with `--damaged`.

use std::path::Path;

use super::args::PruneArgs;
use crate::engine::record::utc_text;
use crate::exit::Exit;
use crate::records::retention::{MINIMUM_MS, select};
use crate::text::inline;
use crate::timeline::rundir::{holder, runs_root};

pub fn run(args: &PruneArgs) -> color_eyre::Result<Exit> {
    let older_than = u64::try_from(args.older_than.as_millis()).unwrap_or(u64::MAX);
    if older_than < MINIMUM_MS && !args.force_below_minimum {
        eprintln!(
            "rollback prune: {} is below the standard's retention minimum of 365 days; \
             records are kept at least that long (--force-below-minimum to override)",
            humantime::format_duration(args.older_than)
        );
        return Ok(Exit::BadInput);
    }
    match super::store_at::for_reading(&args.from) {
        Ok(Some(store)) => return from_store(args, &store, older_than),
        Ok(None) => {}
        Err(e) => {
            eprintln!("rollback prune: {e}");
            return Ok(Exit::BadInput);
        }
    }
    let root = runs_root(args.dir.as_deref().or(args.runs.runs_dir.as_deref()));
    let now = args.now.ms();
    let mut plan = select(
        &super::records::scan(&root, now),
        older_than,
        now,
        args.damaged,
    );
    // A sealed run goes only if its whole record still verifies (logs, plan, validation).
    for d in plan.remove.iter_mut().filter(|d| d.damaged.is_none()) {
        d.damaged = does_not_verify(&root.join(&d.id));
    }
    if !args.damaged {
        let (keep, go): (Vec<_>, Vec<_>) =
            plan.remove.into_iter().partition(|d| d.damaged.is_some());
        plan.remove = go;
        plan.kept.extend(keep.into_iter().map(|d| {
            let why = d.damaged.unwrap_or_default();
            (
                d.id,
                format!("does not verify ({why}): kept unless --damaged"),
            )
        }));
    }
    let shown = inline(&root.display().to_string()).into_owned();
    if plan.remove.is_empty() {
        println!(
            "nothing to prune: no sealed run in {shown} ended before {}",
            utc_text(now - older_than as i64)
        );
    }
    let mut removed = 0;
    let mut failed = false;
    for d in &plan.remove {
        let dir = root.join(&d.id);
        let line = match &d.damaged {
            None => format!(
                "{}  {}  ended {}",
                inline(&d.id),
                inline(&d.plan),
                utc_text(d.ended_ms)
            ),
            Some(why) => format!(
                "{}  damaged, started {}: {}",
                inline(&d.id),
                utc_text(d.ended_ms),
                inline(why)
            ),
        };
        if !args.yes {
            println!("would remove  {line}");
        } else if let Some(h) = holder(&dir) {
            println!(
                "kept          {}  lock held ({})",
                inline(&d.id),
                inline(&h)
            );
        } else {
            match remove(&root, &d.id) {
                Ok(()) => {
                    removed += 1;
                    println!("removed       {line}");
                }
                Err(e) => {
                    failed = true;
                    eprintln!("rollback prune: cannot remove {}: {e}", dir.display());
                }
            }
        }
    }
    for (id, why) in &plan.kept {
        println!("kept          {}  {}", inline(id), inline(why));
    }
    if !args.yes && !plan.remove.is_empty() {
        println!(
            "{} run(s) would be removed from {shown}; nothing was removed (--yes to remove them)",
            plan.remove.len()
        );
    } else if args.yes {
        println!("{removed} run(s) removed from {shown}");
    }
    Ok(if failed { Exit::Internal } else { Exit::Ok })
}

/// Why the sealed run in `dir` does not verify, if it does not.
fn does_not_verify(dir: &Path) -> Option<String> {
    use crate::timeline::verify::Finding;
    match crate::timeline::verify::verify(dir) {
        Ok(v) => match (v.finding(), v.damage) {
            (Finding::Intact, _) => None,
            (_, Some((at, why))) => Some(format!("{at}: {why}")),
            (f, None) => Some(format!("{f:?}").to_lowercase()),
        },
        Err(e) => Some(e.to_string()),
    }
}

/// Renames the run out of sight first, so a removal cut short never leaves a half run
/// that `stats` would count as corrupt.
fn remove(root: &Path, id: &str) -> std::io::Result<()> {
    let hidden = root.join(format!(".{id}.pruning"));
    std::fs::rename(root.join(id), &hidden)?;
    std::fs::remove_dir_all(&hidden)
}

/// Retention in the team store: whole months of records dropped (their partitions), and the
/// runs started in them. Only a role in `rollback_retention` may; the store itself refuses
/// anything within 365 days, `--force-below-minimum` or not.
fn from_store(
    args: &PruneArgs,
    store: &crate::store::Store,
    older_than: u64,
) -> color_eyre::Result<Exit> {
    if older_than < MINIMUM_MS || args.damaged {
        eprintln!(
            "rollback prune: with --store, records are kept at least 365 days and only whole months go (no --force-below-minimum, no --damaged)"
        );
        return Ok(Exit::BadInput);
    }
    let cutoff = args.now.ms() - i64::try_from(older_than).unwrap_or(i64::MAX);
    let done = crate::store::block_on(async {
        let client = store.connect().await?;
        crate::store::schema::check(store, &client).await?;
        let (runs, upto) = crate::store::read::prunable(store, &client, cutoff).await?;
        let removed = if args.yes && runs > 0 {
            Some(crate::store::read::prune(store, &client, cutoff).await?)
        } else {
            None
        };
        Ok::<_, crate::store::StoreError>((runs, upto, removed))
    });
    match done {
        Ok((0, upto, _)) => {
            println!(
                "nothing to prune: no run in {} started before {}",
                store.shown(),
                utc_text(upto)
            );
            Ok(Exit::Ok)
        }
        Ok((runs, upto, None)) => {
            println!(
                "{runs} run(s) in {} started before {} would be removed (their months' records dropped whole); --yes removes them",
                store.shown(),
                utc_text(upto)
            );
            Ok(Exit::Ok)
        }
        Ok((_, upto, Some(removed))) => {
            println!(
                "removed {removed} run(s) started before {} from {}",
                utc_text(upto),
                store.shown()
            );
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!("rollback prune: {}: {e}", store.shown());
            Ok(Exit::Failed)
        }
    }
}

//! `rollback ready PLAN`: the permit check a deploy pipeline runs. Exit 0 only when the plan
//! validates and the recorded runs meet its level's requirements; 1 with exactly what is
//! missing otherwise; 2 when the plan cannot be read or parsed.

use super::args::ReadyArgs;
use crate::engine::Mode;
use crate::exit::Exit;
use crate::monitor::check_plan as validate;
use crate::plan::{LoadError, Severity, load_file};
use crate::records::ready::{Asked, readiness};
use crate::text::inline;
use crate::timeline::rundir::runs_root;

pub fn run(args: &ReadyArgs) -> color_eyre::Result<Exit> {
    let loaded = match load_file(&args.plan) {
        Ok(l) => l,
        Err(e) => {
            match e {
                LoadError::Unreadable { path, message } => {
                    eprintln!("rollback ready: {path}: {message}")
                }
                LoadError::Invalid {
                    source,
                    diagnostics,
                } => {
                    for d in &diagnostics {
                        eprintln!("{}", d.one_line(&source.path));
                    }
                }
            }
            return Ok(Exit::BadInput);
        }
    };
    let diagnostics = validate(&loaded.plan);
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let now = args.now.ms();
    let store = match super::store_at::for_reading(&args.from) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback ready: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let plan_id = loaded.plan.plan.value.clone();
    // Only the plan's own team's rehearsals: another team's plan of the same id is not this one.
    let team = loaded
        .plan
        .team
        .as_ref()
        .map_or(crate::store::local::DEFAULT_TEAM.to_string(), |t| {
            t.value.clone()
        });
    let (runs, place) = match &store {
        // The permit check of a pipeline: the store's rehearsals of the plan, no runs here.
        Some(store) => {
            let read = crate::store::block_on(async {
                let client = store.connect().await?;
                crate::store::schema::check(store, &client).await?;
                crate::store::read::run_summaries(
                    store,
                    &client,
                    Some(&team),
                    Some(&plan_id),
                    Mode::Rehearsal,
                )
                .await
            });
            match read {
                Ok(r) => (r, store.shown().to_string()),
                Err(e) => {
                    eprintln!("rollback ready: {}: {e}", store.shown());
                    return Ok(Exit::Failed);
                }
            }
        }
        None => {
            let root = runs_root(args.runs.as_deref());
            (
                super::records::scan(&root, now).runs,
                root.display().to_string(),
            )
        }
    };
    let asked = Asked {
        plan: &loaded.plan.plan.value,
        level: *loaded.plan.level,
        errors,
        max_age_ms: u64::try_from(args.max_age.as_millis()).unwrap_or(u64::MAX),
        now_ms: now,
    };
    let verdict = readiness(&asked, &runs);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            eprintln!("{}", d.one_line(&loaded.source.path));
        }
        let name = inline(&verdict.plan);
        if verdict.ready {
            println!(
                "ready: `{name}` (level {}) meets its level's requirements",
                verdict.level
            );
        } else {
            println!(
                "not ready: `{name}` (level {}): {} of {} requirements missing (runs in {})",
                verdict.level,
                verdict.missing().count(),
                verdict.requirements.len(),
                inline(&place)
            );
        }
        for r in &verdict.requirements {
            match (&r.evidence, &r.missing) {
                (Some(e), _) => println!("  ✔ {}: {}", r.text, inline(e)),
                (_, Some(m)) => println!("  ✘ {}: {}", r.text, inline(m)),
                _ => println!("  ✘ {}", r.text),
            }
        }
    }
    Ok(if verdict.ready {
        Exit::Ok
    } else {
        Exit::Failed
    })
}

//! `rollback runs`: the runs under the runs directory, newest first, with their plan, mode,
//! outcome and time against the SLA, fitted to the terminal (see `runs_table`).

use std::path::Path;

use super::args::RunsArgs;
use crate::engine::replay;
use crate::engine::sla::clock_text;
use crate::engine::{Event, Outcome};
use crate::exit::Exit;
use crate::plan::load::load_bytes;
use crate::text;
use crate::timeline::files;
use crate::timeline::journal::read_complete;
use crate::timeline::rundir::{PLAN_COPY, TIMELINE, holder, run_ids, runs_root};
use crate::timeline::standing::{Standing, standing};

/// One row of the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub plan: String,
    pub mode: String,
    pub outcome: String,
    pub time: String,
}

/// Summarises the run in `dir`; a damaged run still gets a row saying so.
pub fn summarize(dir: &Path, now_ms: i64) -> Row {
    let id = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let row = |plan: &str, mode: &str, outcome: String, time: String| Row {
        id: id.clone(),
        plan: plan.into(),
        mode: mode.into(),
        outcome,
        time,
    };
    // A run whose record does not hold is listed as such, whatever its records say.
    if let Ok(Standing::Damaged(why)) = standing(dir) {
        return row("?", "?", format!("damaged ({why})"), String::new());
    }
    let bytes = match files::read_bounded(&dir.join(TIMELINE), files::MAX_WHOLE) {
        Ok(b) => b,
        Err(e) => return row("?", "?", format!("unreadable ({e})"), String::new()),
    };
    let records = match read_complete(&bytes) {
        Ok((r, _)) => r,
        Err(e) => return row("?", "?", format!("damaged ({e})"), String::new()),
    };
    let Some(info) = records.iter().find_map(|r| match &r.event {
        Event::RunStarted(i) => Some(i.clone()),
        _ => None,
    }) else {
        return row("?", "?", "empty".into(), String::new());
    };
    let Ok(loaded) = files::read_bounded(&dir.join(PLAN_COPY), files::MAX_WHOLE)
        .map_err(|e| e.to_string())
        .and_then(|b| load_bytes(PLAN_COPY, b).map_err(|e| e.to_string()))
    else {
        return row(
            &info.plan,
            records[0].mode.name(),
            "plan copy unreadable".into(),
            String::new(),
        );
    };
    let state = replay(&loaded.plan, &records);
    let end_ms = state.end.as_ref().map(|e| e.at_ms);
    let outcome = match &state.end {
        Some(e) => e.outcome.word().to_string(),
        None if holder(dir).is_some() => "running".into(),
        None if state.left => "left (resumable)".into(),
        None => "interrupted (resumable)".into(),
    };
    let last = end_ms.unwrap_or_else(|| {
        if outcome == "running" {
            now_ms
        } else {
            state.last_ts_ms
        }
    });
    let elapsed = state.elapsed_ms(last);
    let verdict = match state.end.as_ref().map(|e| e.outcome) {
        Some(Outcome::Completed) if elapsed <= info.sla_ms => " met",
        _ if elapsed > info.sla_ms => " missed",
        _ => "",
    };
    let time = format!(
        "{} / {}{verdict}",
        clock_text(elapsed),
        clock_text(info.sla_ms)
    );
    row(&info.plan, records[0].mode.name(), outcome, time)
}

pub fn run(args: &RunsArgs) -> color_eyre::Result<Exit> {
    match super::store_at::for_reading(&args.from) {
        Ok(Some(store)) => return from_store(&store, args.limit),
        Ok(None) => {}
        Err(e) => {
            eprintln!("rollback runs: {e}");
            return Ok(Exit::BadInput);
        }
    }
    let root = runs_root(args.runs.runs_dir.as_deref());
    let ids = run_ids(&root);
    if ids.is_empty() {
        eprintln!("no runs in {}", text::path(&root));
        return Ok(Exit::Ok);
    }
    let now = chrono::Utc::now().timestamp_millis();
    let rows: Vec<Row> = ids
        .iter()
        .take(args.limit)
        .map(|id| summarize(&root.join(id), now))
        .collect();
    for line in super::runs_table::lines(&rows, super::runs_table::width()) {
        println!("{line}");
    }
    if ids.len() > rows.len() {
        eprintln!(
            "({} older runs not shown; --limit N)",
            ids.len() - rows.len()
        );
    }
    Ok(Exit::Ok)
}

/// The store's newest runs, from every machine that ships to it. A run whose seal has not
/// reached the store is still running there, or was left, or is not shipped whole yet.
fn from_store(store: &crate::store::Store, limit: usize) -> color_eyre::Result<Exit> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let listed = crate::store::block_on(async {
        let client = store.connect().await?;
        crate::store::schema::check(store, &client).await?;
        crate::store::read::list(store, &client, limit).await
    });
    let listed = match listed {
        Ok(l) => l,
        Err(e) => {
            eprintln!("rollback runs: {}: {e}", store.shown());
            return Ok(Exit::Failed);
        }
    };
    if listed.is_empty() {
        eprintln!("no runs in {}", store.shown());
        return Ok(Exit::Ok);
    }
    let rows: Vec<Row> = listed
        .iter()
        .map(|l| Row {
            id: l.run.clone(),
            plan: format!("{} ({})", l.plan, l.team),
            mode: l.mode.clone(),
            outcome: l
                .outcome
                .clone()
                .unwrap_or_else(|| format!("not sealed ({} records)", l.records)),
            time: match (l.duration_ms, l.sla_ms) {
                (Some(d), Some(sla)) => format!(
                    "{} / {}{}",
                    clock_text(d.max(0) as u64),
                    clock_text(sla.max(0) as u64),
                    match l.within_sla {
                        Some(true) => " met",
                        Some(false) => " missed",
                        None => "",
                    }
                ),
                _ => String::new(),
            },
        })
        .collect();
    for line in super::runs_table::lines(&rows, super::runs_table::width()) {
        println!("{line}");
    }
    Ok(Exit::Ok)
}

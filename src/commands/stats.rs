//! `rollback stats [RUNS_DIR]`: the team's figures over recorded runs, per plan and overall,
//! with the standard's criteria met or unmet; exit 1 when an overall criterion is unmet
//! (a CI gate), 0 when all are met or there is nothing to judge.

use serde::Serialize;

use super::args::StatsArgs;
use crate::engine::Mode;
use crate::engine::record::utc_text;
use crate::engine::sla::clock_text;
use crate::exit::Exit;
use crate::records::figures::{Figures, PhaseSpread, Stats, stats};
use crate::records::restore::RestoreTime;
use crate::records::trainee::{TraineeDrills, trainee_drills};
use crate::records::{Select, Uncounted};
use crate::text::inline;
use crate::timeline::rundir::runs_root;

#[derive(Serialize)]
struct Json<'a> {
    runs_dir: String,
    generated_at: String,
    since: Option<String>,
    plan: Option<&'a str>,
    include_drills: bool,
    #[serde(flatten)]
    stats: &'a Stats,
    not_counted: Vec<&'a Uncounted>,
}

pub fn run(args: &StatsArgs) -> color_eyre::Result<Exit> {
    let now = args.now.ms();
    let select = Select {
        since_ms: args
            .since
            .map(|d| now.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))),
        plan: args.plan.clone(),
        include_drills: args.include_drills,
    };
    match super::store_at::for_reading(&args.from) {
        Ok(Some(store)) => return from_store(args, &store, &select, now),
        Ok(None) => {}
        Err(e) => {
            eprintln!("rollback stats: {e}");
            return Ok(Exit::BadInput);
        }
    }
    let root = runs_root(args.dir.as_deref().or(args.runs.runs_dir.as_deref()));
    let records = super::records::scan(&root, now);
    if let Some(name) = &args.trainee {
        let drills = trainee_drills(&records.runs, name, &select);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&drills)?);
        } else {
            print_trainee(&drills);
        }
        return Ok(Exit::Ok);
    }
    let figures = stats(&records.runs, &select, now);
    let not_counted: Vec<&Uncounted> = records
        .uncounted
        .iter()
        .filter(|u| u.plan.is_none() || select.plan_matches(u.plan.as_deref()))
        .collect();
    if args.json {
        let json = Json {
            runs_dir: root.display().to_string(),
            generated_at: utc_text(now),
            since: select.since_ms.map(utc_text),
            plan: args.plan.as_deref(),
            include_drills: args.include_drills,
            stats: &figures,
            not_counted,
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        let left: Vec<&str> = records
            .runs
            .iter()
            .filter(|r| r.left && select.takes(r))
            .map(|r| r.id.as_str())
            .collect();
        print_text(&root.display().to_string(), &figures, &not_counted, &select);
        if !left.is_empty() {
            println!();
            println!(
                "left after a failure ({}, counted as failed outside their SLA; `rollback resume RUN` goes on, `--headless --abort --reason WHY` closes one):",
                left.len()
            );
            for id in left {
                println!("  {}", inline(id));
            }
        }
    }
    Ok(if figures.overall.all_met() {
        Exit::Ok
    } else {
        Exit::Failed
    })
}

/// The figures of the team store, aggregated there; and the time to restore per team and
/// plan, which only the store has (detection and validation come from other machines).
fn from_store(
    args: &StatsArgs,
    store: &crate::store::Store,
    select: &Select,
    now: i64,
) -> color_eyre::Result<Exit> {
    use crate::store::{figures, read};
    let read = crate::store::block_on(async {
        let client = store.connect().await?;
        crate::store::schema::check(store, &client).await?;
        if let Some(name) = &args.trainee {
            let drills = read::run_summaries(store, &client, None, None, Mode::Drill).await?;
            return Ok(Err(trainee_drills(&drills, name, select)));
        }
        let both = figures::stats(store, &client, select, now).await?;
        Ok::<_, crate::store::StoreError>(Ok(both))
    });
    let (figures, restore) = match read {
        Ok(Ok(x)) => x,
        Ok(Err(drills)) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&drills)?);
            } else {
                print_trainee(&drills);
            }
            return Ok(Exit::Ok);
        }
        Err(e) => {
            eprintln!("rollback stats: {}: {e}", store.shown());
            return Ok(Exit::Failed);
        }
    };
    if args.json {
        #[derive(Serialize)]
        struct StoreJson<'a> {
            store: &'a str,
            generated_at: String,
            since: Option<String>,
            plan: Option<&'a str>,
            include_drills: bool,
            #[serde(flatten)]
            stats: &'a Stats,
            time_to_restore: &'a [RestoreTime],
        }
        let json = StoreJson {
            store: store.shown(),
            generated_at: utc_text(now),
            since: select.since_ms.map(utc_text),
            plan: args.plan.as_deref(),
            include_drills: args.include_drills,
            stats: &figures,
            time_to_restore: &restore,
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_text(store.shown(), &figures, &[], select);
        print_restore(&restore);
    }
    Ok(if figures.overall.all_met() {
        Exit::Ok
    } else {
        Exit::Failed
    })
}

/// Time to restore per team and plan: median and p90, to the end and to a passed window.
fn print_restore(rows: &[RestoreTime]) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!("time to restore, live rollbacks completed (from detection or start; median / p90):");
    for r in rows {
        let end = format!(
            "to the end {} / {} ({} runs)",
            clock_text(r.to_end.median_ms),
            clock_text(r.to_end.p90_ms),
            r.to_end.runs
        );
        let ok = r.to_validated.map_or_else(
            || "no immediate window passed".to_string(),
            |v| {
                format!(
                    "to a passed immediate window {} / {} ({} runs)",
                    clock_text(v.median_ms),
                    clock_text(v.p90_ms),
                    v.runs
                )
            },
        );
        println!("  {} {}: {end}; {ok}", inline(&r.team), inline(&r.plan));
    }
}

fn print_text(root: &str, s: &Stats, not_counted: &[&Uncounted], select: &Select) {
    let o = &s.overall;
    let mut scope = String::new();
    if let Some(p) = &select.plan {
        scope.push_str(&format!(" of plan `{}`", inline(p)));
    }
    if let Some(t) = select.since_ms {
        scope.push_str(&format!(" started since {}", utc_text(t)));
    }
    if o.runs == 0 && s.drills_excluded == 0 && not_counted.is_empty() {
        println!("no runs{scope} in {}", inline(root));
    } else if o.runs == 0 {
        println!("no finished runs{scope} in {}", inline(root));
    } else {
        println!("{} finished runs{scope} in {}", o.runs, inline(root));
    }
    if s.drills_excluded > 0 {
        println!(
            "{} drill(s) not counted (--include-drills to count them)",
            s.drills_excluded
        );
    }
    if o.runs > 0 {
        println!();
        table(s);
        println!();
        if o.drill > 0 {
            println!(
                "MEDIAN and P95 are real time over live runs and rehearsals; drills are timed apart, on the drill clock"
            );
        }
        println!("{}", failures_line(o));
        println!();
        if o.runs > o.drill {
            println!("per phase, median / p95, real time:");
            for (plan, f) in s.plans.iter().filter(|(_, f)| f.runs > f.drill) {
                println!("  {}: {}", inline(plan), spreads(&f.phases));
            }
        }
        if o.drill > 0 {
            println!("drills, median / p95 on the drill clock:");
            for (plan, f) in s.plans.iter().filter(|(_, f)| f.drill > 0) {
                let whole = f.drill_duration.map_or("-".into(), |d| {
                    format!("{} / {}", clock_text(d.median_ms), clock_text(d.p95_ms))
                });
                let phases = spreads(&f.drill_phases);
                println!("  {} [drill]: whole run {whole}; {phases}", inline(plan));
            }
        }
        let levels: Vec<String> = o
            .escalations
            .iter()
            .map(|l| format!("L{} {} run(s)", l.level, l.runs))
            .collect();
        println!(
            "escalation reached: {}",
            if levels.is_empty() {
                "none".into()
            } else {
                levels.join(", ")
            }
        );
        println!();
        println!("criteria (over the runs above):");
        for c in &o.criteria {
            let mark = match c.met {
                Some(true) => "✔ met  ",
                Some(false) => "✘ UNMET",
                None => "· no data",
            };
            println!("  {mark}  {:<28}  {}", c.target, c.detail);
        }
        if s.plans.len() > 1 {
            for (plan, f) in &s.plans {
                let unmet: Vec<&str> = f
                    .criteria
                    .iter()
                    .filter(|c| c.met == Some(false))
                    .map(|c| c.target)
                    .collect();
                let verdict = if unmet.is_empty() {
                    "all met or no data".to_string()
                } else {
                    format!("unmet: {}", unmet.join("; "))
                };
                println!("  {}: {verdict}", inline(plan));
            }
        }
    }
    if !not_counted.is_empty() {
        println!();
        println!("not counted ({}):", not_counted.len());
        for u in not_counted {
            println!("  {}  {}", inline(&u.id), inline(&u.why.text()));
        }
    }
}

fn table(s: &Stats) {
    let mut rows: Vec<(&str, &Figures)> = s.plans.iter().map(|(p, f)| (p.as_str(), f)).collect();
    if s.plans.len() > 1 {
        rows.push(("(all)", &s.overall));
    }
    for line in super::stats_table::lines(&rows, super::runs_table::width()) {
        println!("{line}");
    }
}

/// `capture 00:20 / 00:31, execute 01:40 / 02:05`.
fn spreads(phases: &[PhaseSpread]) -> String {
    let v: Vec<String> = phases
        .iter()
        .map(|p| {
            format!(
                "{} {} / {}",
                inline(&p.phase),
                clock_text(p.spread.median_ms),
                clock_text(p.spread.p95_ms)
            )
        })
        .collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

/// Failures on the way, completed runs' too: `failed on the way: 2 of 40 attempts; 1 step
/// failed for good (1 retried, then ok) in 1 region`.
fn failures_line(f: &Figures) -> String {
    let c = &f.failures;
    let mut line = format!(
        "failed on the way: {} of {} attempts, {} retr{}",
        c.failed_attempts,
        f.attempts,
        f.retries,
        if f.retries == 1 { "y" } else { "ies" }
    );
    let parts = c.by_fate();
    let steps = c.steps();
    line.push_str(&format!(
        "; {steps} step{} failed for good",
        if steps == 1 { "" } else { "s" }
    ));
    if !parts.is_empty() {
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    if c.regions > 0 {
        let s = if c.regions == 1 { "" } else { "s" };
        line.push_str(&format!(" in {} region{s}", c.regions));
    }
    line
}

/// `3d ago`, `5h ago`, `12m ago`.
pub(super) fn ago(ms: u64) -> String {
    let (d, h, m) = (ms / 86_400_000, ms / 3_600_000, ms / 60_000);
    if d > 0 {
        format!("{d}d ago")
    } else if h > 0 {
        format!("{h}h ago")
    } else {
        format!("{m}m ago")
    }
}

/// One line per drill of the trainee, oldest first, then the totals.
fn print_trainee(t: &TraineeDrills) {
    if t.drills.is_empty() {
        println!("no drills by {}", inline(&t.trainee));
        return;
    }
    println!("drills by {}: {}", inline(&t.trainee), t.drills.len());
    println!();
    println!(
        "{:<20}  {:<24}  {:<16}  {:<9}  {:>5}  {:>8}  {:>9}  {:>8}  {:>8}",
        "STARTED", "PLAN", "EXERCISE", "OUTCOME", "SPEED", "SLA", "DECISIONS", "DECIDE", "MISTAKES"
    );
    for d in &t.drills {
        let s = &d.score;
        let sla = match s.sla_met {
            Some(true) => "met",
            Some(false) => "missed",
            None => "-",
        };
        println!(
            "{:<20}  {:<24}  {:<16}  {:<9}  {:>5}  {:>8}  {:>9}  {:>8}  {:>8}",
            utc_text(d.started_ms).get(..19).unwrap_or_default(),
            inline(&d.plan),
            inline(s.exercise.as_deref().unwrap_or("-")),
            d.outcome.word(),
            format!("x{}", crate::engine::clock::factor_text(s.speed)),
            sla,
            s.decisions,
            s.median_decide_drill_ms.map_or("-".into(), clock_text),
            s.mistakes,
        );
    }
    println!();
    let trend = match t.decide_trend_ms {
        Some(d) if d < 0 => format!(
            ", {} faster than the first drill",
            clock_text(d.unsigned_abs())
        ),
        Some(d) if d > 0 => format!(", {} slower than the first drill", clock_text(d as u64)),
        _ => String::new(),
    };
    println!(
        "SLA met (drill clock) in {} of {}; {} mistake(s); median time to decide {}{trend}",
        t.sla_met,
        t.drills.len(),
        t.mistakes,
        t.median_decide_drill_ms.map_or("-".into(), clock_text),
    );
}

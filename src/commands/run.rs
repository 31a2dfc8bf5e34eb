//! `rollback run|rehearse|drill PLAN`: load and check the plan, gather variables, then hand
//! the run to a face (the terminal UI, or headless).

use std::sync::Arc;

use super::args::{DrillArgs, RehearseArgs, RunArgs, TriggerArg};
use super::drive::drive_headless;
use super::load::{drill_options, given_with_sources, load_for_run, operator};
use crate::engine::rehearsal::Rehearsal;
use crate::engine::{Mode, SystemClock, Trigger};
use crate::exit::Exit;
use crate::plan::Plan;
use crate::plan::drill_vars::{parse_factor, step_keys, unknown_step, with_drill_values};
use crate::plan::vars::{process_env, resolve_from};
use crate::session::{DrillOptions, StartOptions};
use crate::timeline::rundir::runs_root;

/// `rollback drill PLAN`: a run in drill mode with its faults and clock.
pub fn drill(args: DrillArgs) -> color_eyre::Result<Exit> {
    match drill_options(args.speed, &args.fail, &args.slow) {
        Ok(d) => {
            let d = DrillOptions {
                exercise: args.exercise,
                trainee: args.trainee,
                ..d
            };
            run(args.run, Mode::Drill, d)
        }
        Err(e) => {
            eprintln!("rollback drill: {e}");
            Ok(Exit::BadInput)
        }
    }
}

/// How long an exercise's cut command goes on when the plan does not say.
const ORPHAN_LASTS: std::time::Duration = std::time::Duration::from_secs(60);

/// The drill with its exercise's faults added before the ad-hoc ones (which must name steps
/// of the plan), and its speed when `--speed` left the clock at 1.
fn with_exercise(plan: &Plan, drill: DrillOptions) -> Result<DrillOptions, String> {
    let keys = step_keys(plan);
    let named = drill
        .fail
        .iter()
        .map(|(s, _)| s)
        .chain(drill.slow.iter().map(|(s, _)| s));
    for named in named {
        // `step@region` makes the step fail in that region only.
        let (step, region) = match named.split_once('@') {
            Some((s, r)) => (s, Some(r)),
            None => (named.as_str(), None),
        };
        if let Some(why) = unknown_step(&keys, step) {
            return Err(format!("--fail/--slow: {why}"));
        }
        if let Some(r) = region
            && !plan.regions.iter().any(|x| x.value == r)
        {
            return Err(format!("--fail/--slow: the plan has no region `{r}`"));
        }
    }
    let Some(name) = drill.exercise.as_deref() else {
        return Ok(drill);
    };
    let Some(ex) = plan.drills.get(name) else {
        let known: Vec<&str> = plan.drills.keys().collect();
        return Err(match known.is_empty() {
            true => format!("the plan has no exercise `{name}` (it has no `drills:`)"),
            false => format!(
                "the plan has no exercise `{name}`; it has: {}",
                known.join(", ")
            ),
        });
    };
    let mut fail: Vec<(String, u32)> = ex
        .fail
        .iter()
        .map(|(k, n)| (k.value.clone(), n.value))
        .collect();
    fail.extend(drill.fail.iter().cloned());
    let mut slow: Vec<(String, f64)> = ex
        .slow
        .iter()
        .filter_map(|(k, f)| parse_factor(&f.value).map(|f| (k.value.clone(), f)))
        .collect();
    slow.extend(drill.slow.iter().cloned());
    let speed = match &ex.speed {
        Some(s) if drill.speed == 1.0 => s.value,
        _ => drill.speed,
    };
    let orphan = ex.orphan.as_ref().map(|o| {
        let lasts = o.lasts.as_ref().map_or(ORPHAN_LASTS, |l| l.value.0);
        (o.step.value.clone(), lasts)
    });
    Ok(DrillOptions {
        speed,
        fail,
        slow,
        orphan,
        ..drill
    })
}

pub fn run(args: RunArgs, mode: Mode, drill: DrillOptions) -> color_eyre::Result<Exit> {
    start_run(args, mode, drill, None)
}

/// `rollback rehearse`: a run that records its environment and participants.
pub fn rehearse(args: RehearseArgs) -> color_eyre::Result<Exit> {
    match args.rehearsal() {
        Ok(r) => start_run(args.run, Mode::Rehearsal, DrillOptions::default(), Some(r)),
        Err(e) => {
            eprintln!("rollback rehearse: {e}");
            Ok(Exit::BadInput)
        }
    }
}

fn start_run(
    args: RunArgs,
    mode: Mode,
    drill: DrillOptions,
    rehearsal: Option<Rehearsal>,
) -> color_eyre::Result<Exit> {
    let loaded = match load_for_run(&args.plan) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    if let Some(name) = &args.scenario
        && let Some(why) = crate::engine::selection::scenario_error(&loaded.plan, name)
    {
        eprintln!("rollback: {}", crate::text::inline(&why));
        return Ok(Exit::BadInput);
    }
    if let Some(why) = crate::engine::selection::regions_error(
        &loaded.plan,
        args.scenario.as_deref(),
        &args.regions,
    ) {
        eprintln!("rollback: {}", crate::text::inline(&why));
        return Ok(Exit::BadInput);
    }
    let drill = match with_exercise(&loaded.plan, drill) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rollback: {}", crate::text::inline(&e));
            return Ok(Exit::BadInput);
        }
    };
    let given = match given_with_sources(&args.vars, &args.var_files) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("rollback: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let given = match mode {
        Mode::Drill => match with_drill_values(&loaded.plan, &given, &process_env) {
            Ok(g) => g,
            Err(problems) => {
                for p in problems {
                    eprintln!("rollback: {}", crate::text::inline(&p));
                }
                return Ok(Exit::BadInput);
            }
        },
        _ => given,
    };
    let opts = StartOptions {
        mode,
        operator: operator(args.operator.as_deref().or(args.headless.approver())),
        runs_root: runs_root(args.runs.runs_dir.as_deref()),
        vars: Default::default(),
        scenario: args.scenario.clone(),
        regions: args.regions.clone(),
        trigger: match args.trigger {
            TriggerArg::Manual => Trigger::Manual,
            TriggerArg::Auto => Trigger::Auto,
        },
        drill,
        grace: None,
        logs: args.logs.limits(),
        hangup: args.logs.on_hangup,
        rehearsal,
    };
    if mode == Mode::Drill
        && let Some(t) = opts
            .drill
            .exercise
            .as_deref()
            .and_then(|e| loaded.plan.drills.get(e))
            .and_then(|e| e.trigger.clone())
    {
        return super::drill_trigger::run(loaded, &given, opts, &t, &args.headless);
    }
    let clock = Arc::new(SystemClock);
    if !args.headless.headless {
        return crate::tui::run_new(loaded, given, opts, clock, args.headless.validate);
    }
    let vars = match resolve_from(&loaded.plan, &given, &process_env) {
        Ok(v) => v,
        Err(problems) => {
            for p in problems {
                eprintln!("rollback: {}", crate::text::inline(&p));
            }
            return Ok(Exit::BadInput);
        }
    };
    let opts = StartOptions { vars, ..opts };
    let rt = crate::runner::runtime()?;
    let h = args.headless.clone();
    Ok(rt.block_on(async move {
        match crate::session::start(&loaded, opts, clock) {
            Ok((session, rx)) => drive_headless(session, rx, &h).await,
            Err(e) => {
                eprintln!("rollback: {e}");
                Exit::Internal
            }
        }
    }))
}

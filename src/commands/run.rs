//! `rollback run|rehearse|drill PLAN`: load and check the plan, gather variables, then hand
//! the run to a face (the terminal UI, or headless).

use std::path::Path;
use std::sync::Arc;

use super::args::{DrillArgs, HeadlessArgs, RehearseArgs, RunArgs, TriggerArg};
use crate::engine::rehearsal::Rehearsal;
use crate::engine::{Mode, SystemClock, Trigger};
use crate::exit::Exit;
use crate::monitor::check_plan as validate;
use crate::plan::diag::{Lines, snippet};
use crate::plan::drill_vars::{parse_factor, step_keys, unknown_step, with_drill_values};
use crate::plan::vars::{
    Given, Source, parse_assignment, parse_var_file, process_env, resolve_from,
};
use crate::plan::{Diagnostic, LoadError, Loaded, Plan, Severity, load_file};
use crate::session::{DrillOptions, StartOptions};
use crate::timeline::rundir::runs_root;

/// Parses `--speed`, `--fail STEP[:N]` and `--slow STEP:FACTOR`.
pub fn drill_options(speed: f64, fail: &[String], slow: &[String]) -> Result<DrillOptions, String> {
    if !(speed.is_finite() && speed >= 1.0) {
        return Err(format!("--speed must be 1 or more, not {speed}"));
    }
    let fail = fail
        .iter()
        .map(|f| match f.rsplit_once(':') {
            Some((step, n)) => n
                .parse::<u32>()
                .map(|n| (step.to_string(), n))
                .map_err(|_| format!("--fail {f}: `{n}` is not a number of attempts")),
            None => Ok((f.clone(), 1)),
        })
        .collect::<Result<_, _>>()?;
    let slow = slow
        .iter()
        .map(|f| match f.rsplit_once(':') {
            Some((step, n)) => parse_factor(n)
                .map(|n| (step.to_string(), n))
                .ok_or_else(|| format!("--slow {f}: `{n}` is not a factor of 1 or more (e.g. 3x)")),
            None => Err(format!("--slow {f}: write STEP:FACTOR, e.g. {f}:3x")),
        })
        .collect::<Result<_, _>>()?;
    Ok(DrillOptions {
        speed,
        fail,
        slow,
        ..Default::default()
    })
}

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

/// The operator's name: given, or the login name.
pub fn operator(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "operator".into())
}

fn print_diagnostics(path: &str, source: &str, diags: &[Diagnostic]) {
    let lines = Lines::new(source);
    for d in diags {
        eprintln!("{}", d.one_line(path));
        eprint!("{}", snippet(&lines, d.pos(), &d.message));
    }
}

/// Rules whose breach makes a plan unsafe to run; level rules only warn at run time, so
/// a plan that misses its certification can still roll back production at 3 a.m.
fn blocks_running(d: &Diagnostic) -> bool {
    d.severity == Severity::Error && !d.rule.starts_with("level-")
}

/// Loads a plan for running: exit 2 with every problem when it cannot be run.
pub fn load_for_run(path: &Path) -> Result<Loaded, Exit> {
    let loaded = match load_file(path) {
        Ok(l) => l,
        Err(LoadError::Unreadable { path, message }) => {
            eprintln!("{path}: error: {message}");
            return Err(Exit::BadInput);
        }
        Err(LoadError::Invalid {
            source,
            diagnostics,
        }) => {
            print_diagnostics(&source.path, &source.text, &diagnostics);
            return Err(Exit::BadInput);
        }
    };
    let diags = validate(&loaded.plan);
    let (blocking, rest): (Vec<Diagnostic>, Vec<Diagnostic>) =
        diags.into_iter().partition(blocks_running);
    if !blocking.is_empty() {
        print_diagnostics(&loaded.source.path, &loaded.source.text, &blocking);
        eprintln!("rollback: the plan cannot be run until these are fixed");
        return Err(Exit::BadInput);
    }
    for d in rest.iter().filter(|d| d.severity == Severity::Error) {
        eprintln!("{} (running anyway)", d.one_line(&loaded.source.path));
    }
    Ok(loaded)
}

/// `--var-file`s in order, then `--var`s (later ones win).
pub fn given_vars(
    vars: &[String],
    files: &[std::path::PathBuf],
) -> Result<Vec<(String, String)>, String> {
    given_with_sources(vars, files).map(|g| g.pairs())
}

/// `--var-file` values, then `--var` values (a later one wins), each with its source.
pub fn given_with_sources(vars: &[String], files: &[std::path::PathBuf]) -> Result<Given, String> {
    let mut given = Given::default();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let pairs = parse_var_file(&text).map_err(|e| format!("{}:{e}", f.display()))?;
        given
            .0
            .extend(pairs.into_iter().map(|(k, v)| (k, v, Source::VarFile)));
    }
    for v in vars {
        let (k, v) = parse_assignment(v).map_err(|e| format!("--var {e}"))?;
        given.0.push((k, v, Source::Given));
    }
    Ok(given)
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

/// Drives a started run without a screen. It exits when the rollback ends, with the
/// rollback's code: a pipeline is never held for the windows' day unless `--validate` asks.
pub async fn drive_headless(
    session: crate::session::Session,
    rx: tokio::sync::mpsc::UnboundedReceiver<crate::runner::RunnerMsg>,
    h: &HeadlessArgs,
) -> Exit {
    let (who, speed, mode) = (
        session.operator.clone(),
        session.state.info.as_ref().map_or(1.0, |i| i.speed()),
        session.mode,
    );
    let dir = session.run.path.clone();
    let vars: Vec<(String, String)> = session
        .vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let exit = crate::headless::drive(session, rx, h.clone().into()).await;
    if exit != Exit::Ok {
        return exit;
    }
    // The session is gone, so the run is sealed: its windows follow the seal.
    let skip = if h.no_validate {
        Some("skipped with --no-validate")
    } else if mode == Mode::Drill && !h.validate {
        Some(super::validate_windows::DRILL_SKIP)
    } else {
        None
    };
    if skip.is_none() && !h.validate {
        super::validate_windows::tell_later(&dir);
        return exit;
    }
    let o = super::validate_windows::Options {
        operator: &who,
        speed,
        skip,
        vars,
    };
    super::validate_windows::after_run(&dir, o).await
}

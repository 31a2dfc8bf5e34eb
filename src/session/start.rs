//! Starting a run: its directory, its journal, and the `run_started` event.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc::unbounded_channel;

use super::{DrillOptions, Fatal, Opened, Session};
use crate::engine::selection::regions_in_run;
use crate::engine::sla::run_sla_ms;
use crate::engine::{Clock, FiredTrigger, Input, Mode, RunInfo, RunState, Trigger};
use crate::mask::REDACTED;
use crate::plan::vars::Values;
use crate::plan::{Loaded, Plan};
use crate::runner::{LogLimits, Runner};
use crate::timeline::{Journal, RunDir, rundir};

/// What a new run needs besides its plan.
#[derive(Debug, Clone)]
pub struct StartOptions {
    pub mode: Mode,
    pub operator: String,
    pub runs_root: PathBuf,
    pub vars: Values,
    pub scenario: Option<String>,
    /// Regions chosen for a partial rollback (`--region`); empty: all the run's regions.
    pub regions: Vec<String>,
    pub trigger: Trigger,
    pub drill: DrillOptions,
    /// How long a killed command gets between SIGTERM and SIGKILL.
    pub grace: Option<Duration>,
    /// How much output the logs keep.
    pub logs: LogLimits,
    /// What a hang-up does to the running step.
    pub hangup: super::Hangup,
    /// A rehearsal's environment and participants.
    pub rehearsal: Option<crate::engine::rehearsal::Rehearsal>,
}

pub(super) struct Parts {
    pub plan: Arc<Plan>,
    pub plan_dir: PathBuf,
    pub run: RunDir,
    pub state: RunState,
    pub operator: String,
    pub mode: Mode,
    pub vars: Values,
    pub drill: DrillOptions,
    pub clock: Arc<dyn Clock>,
    pub logs: LogLimits,
    pub hangup: super::Hangup,
}

pub(super) fn runner(
    grace: Option<Duration>,
) -> (
    Runner,
    tokio::sync::mpsc::UnboundedReceiver<crate::runner::RunnerMsg>,
) {
    let (tx, rx) = unbounded_channel();
    let runner = Runner::new(tx);
    let runner = match grace {
        Some(g) => runner.with_grace(g),
        None => runner,
    };
    (runner, rx)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How many regions the run's SLA counts: those chosen with `--region`, else the scenario's
/// or the plan's.
fn regions_of(plan: &Plan, opts: &StartOptions) -> usize {
    if opts.regions.is_empty() {
        regions_in_run(plan, opts.scenario.as_deref())
    } else {
        opts.regions.len()
    }
}

/// The context recorded by `run_started`.
pub fn run_info(
    plan: &Plan,
    plan_bytes: &[u8],
    plan_path: &str,
    run_id: &str,
    opts: &StartOptions,
) -> RunInfo {
    let secret = |name: &str| plan.vars.get(name).is_some_and(|v| v.secret);
    RunInfo {
        run_id: run_id.to_string(),
        plan: plan.plan.value.clone(),
        title: plan.title.value.clone(),
        team: plan.team.as_ref().map(|t| t.value.clone()),
        plan_sha256: sha256_hex(plan_bytes),
        level: *plan.level,
        sla_ms: run_sla_ms(plan, regions_of(plan, opts)),
        scenario: opts.scenario.clone(),
        regions: opts.regions.clone(),
        vars: opts
            .vars
            .iter()
            .map(|(k, v)| {
                let shown = if secret(k) { REDACTED } else { v };
                (k.to_string(), shown.to_string())
            })
            .collect(),
        var_sources: opts
            .vars
            .iter()
            .map(|(k, _)| {
                let source = opts.vars.source(k).unwrap_or_default();
                (k.to_string(), source.name().to_string())
            })
            .collect(),
        trigger: opts.trigger,
        fired: None,
        plan_path: plan_path.to_string(),
        host: crate::session::hostname(),
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        rehearsal: opts
            .rehearsal
            .clone()
            .filter(|_| opts.mode == Mode::Rehearsal),
        drill: (opts.mode == Mode::Drill).then(|| {
            Box::new(crate::engine::event::DrillInfo {
                speed: crate::engine::clock::sane_speed(opts.drill.speed),
                exercise: opts.drill.exercise.clone(),
                trainee: opts
                    .drill
                    .trainee
                    .clone()
                    .unwrap_or_else(|| opts.operator.clone()),
                fail: opts.drill.fail.clone(),
                slow: opts.drill.slow.clone(),
                orphan: opts
                    .drill
                    .orphan
                    .as_ref()
                    .map(|(k, d)| (k.clone(), d.as_millis() as u64)),
            })
        }),
    }
}

/// Creates the run directory and journal and records `run_started`; the clock starts now.
/// Call from within a tokio runtime.
pub fn start(loaded: &Loaded, opts: StartOptions, clock: Arc<dyn Clock>) -> Result<Opened, String> {
    start_fired(loaded, opts, clock, None)
}

/// `start` for a run an automatic trigger started: `run_started` records the trigger.
pub fn start_fired(
    loaded: &Loaded,
    opts: StartOptions,
    clock: Arc<dyn Clock>,
    fired: Option<FiredTrigger>,
) -> Result<Opened, String> {
    let plan = Arc::new(loaded.plan.clone());
    let bytes = loaded.source.text.as_bytes();
    let plan_path = std::path::absolute(&loaded.source.path)
        .unwrap_or_else(|_| PathBuf::from(&loaded.source.path));
    let plan_dir = plan_path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let now = chrono::DateTime::from_timestamp_millis(clock.now_ms()).unwrap_or_default();
    let holder = rundir::holder_text(&opts.operator, now);
    let run =
        rundir::create(&opts.runs_root, &plan.plan.value, now, bytes, &holder).map_err(|e| {
            format!(
                "cannot create the run directory under {}: {e}",
                opts.runs_root.display()
            )
        })?;
    let journal = Journal::create(&run.timeline())
        .map_err(|e| format!("cannot create {}: {e}", run.timeline().display()))?;
    let mut info = run_info(
        &plan,
        bytes,
        &plan_path.display().to_string(),
        &run.id,
        &opts,
    );
    if fired.is_some() {
        info.trigger = Trigger::Auto;
        info.fired = fired.map(Box::new);
    }
    let (runner, rx) = runner(opts.grace);
    let parts = Parts {
        state: RunState::for_run(&plan, opts.scenario.as_deref(), &opts.regions),
        plan,
        plan_dir,
        run,
        operator: opts.operator,
        mode: opts.mode,
        vars: opts.vars,
        drill: opts.drill,
        clock,
        logs: opts.logs,
        hangup: opts.hangup,
    };
    let mut session = Session::new(parts, journal, runner, Vec::new());
    session
        .handle(Input::Start(Box::new(info), session.mode))
        .map_err(|Fatal(e)| e)?;
    Ok((session, rx))
}

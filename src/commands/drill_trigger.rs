//! `rollback drill PLAN --exercise NAME` of an exercise with `trigger:`: the drill starts by
//! watching, as `rollback watch --drill` does, with the exercised trigger alone on the board
//! and its probe's answers played on the drill clock (`healthy`, then `firing` once `after`
//! has passed). When the severity policy starts the rollback, the run is the drill itself:
//! the same options `rollback drill` built, with the trigger in its `run_started`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::args::HeadlessArgs;
use super::watch_start::{ExerciseWatch, Prepared};
use crate::engine::Trigger;
use crate::exit::Exit;
use crate::monitor::{ProbeSpec, Spec};
use crate::plan::model::ExerciseTrigger;
use crate::plan::vars::{Given, process_env, resolve_from};
use crate::plan::{Loaded, Plan};
use crate::probe::Context;
use crate::session::StartOptions;

/// Drill time before a trigger's played probe turns from `healthy` to `firing`, by default.
pub const DEFAULT_AFTER: Duration = Duration::from_secs(60);

/// The exercised trigger as the drill's watch runs it: the plan's trigger (its condition,
/// window, severity and cancel window) with a played probe instead of its own.
pub fn played_spec(plan: &Plan, t: &ExerciseTrigger) -> Result<Spec, String> {
    let trigger = plan
        .triggers
        .iter()
        .find(|x| x.name.value == t.name.value)
        .ok_or_else(|| format!("the plan has no trigger `{}`", t.name.value))?;
    let mut spec = Spec::resolve(trigger)?;
    if let (None, Some(w)) = (&trigger.cancel_window, &plan.cancel_window) {
        spec.cancel_window = w.value.0;
    }
    spec.probe = ProbeSpec::Drill {
        healthy: t.healthy.value.clone(),
        firing: t.firing.value.clone(),
        after: t.after.as_ref().map_or(DEFAULT_AFTER, |a| a.value.0),
    };
    Ok(spec)
}

pub fn run(
    loaded: Loaded,
    given: &Given,
    opts: StartOptions,
    t: &ExerciseTrigger,
    h: &HeadlessArgs,
) -> color_eyre::Result<Exit> {
    let spec = match played_spec(&loaded.plan, t) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback drill: {}", crate::text::inline(&e));
            return Ok(Exit::BadInput);
        }
    };
    let vars = match resolve_from(&loaded.plan, given, &process_env) {
        Ok(v) => v,
        Err(problems) => {
            for p in problems {
                eprintln!("rollback: {}", crate::text::inline(&p));
            }
            return Ok(Exit::BadInput);
        }
    };
    let pairs: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let workdir = Path::new(&loaded.source.path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let trainee = opts
        .drill
        .trainee
        .clone()
        .unwrap_or_else(|| opts.operator.clone());
    let prepared = Prepared {
        specs: vec![spec],
        cx: Context {
            workdir,
            env: pairs,
            receivers: Default::default(),
        },
        // The trigger started it, as in a real watch.
        opts: StartOptions {
            vars,
            trigger: Trigger::Auto,
            ..opts
        },
        json: false,
        headless: h.clone().into(),
        exercise: Some(ExerciseWatch {
            trainee,
            headless: h.clone(),
        }),
        loaded,
    };
    let runtime = super::run::runtime()?;
    if h.headless {
        return runtime.block_on(super::watch_lines::watch(prepared));
    }
    crate::tui::watch::run(&runtime, prepared)
}

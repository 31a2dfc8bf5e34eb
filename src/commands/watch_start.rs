//! `rollback watch PLAN`'s preparation: the triggers resolved with the variables in their
//! probes, and the options the run will start with, from the command's arguments.

use std::path::{Path, PathBuf};

use super::args::WatchArgs;
use crate::engine::{Mode, Trigger};
use crate::monitor::Spec;
use crate::plan::Loaded;
use crate::plan::vars::{process_env, resolve_from};
use crate::probe::Context;
use crate::session::{DrillOptions, StartOptions};
use crate::timeline::rundir::runs_root;
use crate::watch::prepared::Prepared;

pub fn prepare(args: &WatchArgs, loaded: Loaded) -> Result<Prepared, String> {
    let given = super::load::given_with_sources(&args.vars, &args.var_files)?;
    // A drill takes the plan's examples (or DRILL placeholders), as `rollback drill` does.
    let given = if args.drill {
        crate::plan::drill_vars::with_drill_values(&loaded.plan, &given, &process_env)
            .map_err(|p| p.join("; "))?
    } else {
        given
    };
    let vars = resolve_from(&loaded.plan, &given, &process_env).map_err(|p| p.join("; "))?;
    let pairs: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let workdir = args
        .plan
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut specs = loaded
        .plan
        .triggers
        .iter()
        .map(|t| {
            Spec::resolve(t).map(|mut s| {
                // The plan's cancel window, for the triggers that leave theirs out.
                if let (None, Some(w)) = (&t.cancel_window, &loaded.plan.cancel_window) {
                    s.cancel_window = w.value.0;
                }
                s.with_vars(&pairs)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    crate::probe::alertmanager::ready(&mut specs, &workdir)?;
    let approver = args.approve_as.as_deref().filter(|_| args.headless);
    let opts = StartOptions {
        mode: if args.drill { Mode::Drill } else { Mode::Live },
        operator: super::load::operator(args.operator.as_deref().or(approver)),
        runs_root: runs_root(args.runs.runs_dir.as_deref()),
        vars,
        scenario: None,
        regions: Vec::new(),
        rehearsal: None,
        trigger: Trigger::Auto,
        drill: DrillOptions {
            speed: 1.0,
            ..Default::default()
        },
        grace: None,
        logs: args.logs.limits(),
        hangup: args.logs.on_hangup,
    };
    Ok(Prepared {
        specs,
        cx: Context {
            workdir,
            mask: crate::plan::vars::secret_mask(&loaded.plan, &pairs),
            env: pairs,
            receivers: Default::default(),
        },
        opts,
        json: args.json,
        exercise: None,
        loaded,
    })
}

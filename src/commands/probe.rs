//! `rollback probe PLAN TRIGGER`: one sample of one trigger, judged as a watch would judge
//! it. A plan author tries a trigger with it, and the verification checklist's trigger
//! items run it as their check: only a sample whose condition does not hold passes.

use std::path::{Path, PathBuf};

use super::args::ProbeArgs;
use crate::exit::Exit;
use crate::monitor::{Outcome, Spec};

pub fn run(args: &ProbeArgs) -> color_eyre::Result<Exit> {
    let loaded = match super::load::load_for_run(&args.plan) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let Some(trigger) = loaded
        .plan
        .triggers
        .iter()
        .find(|t| t.name.value == args.trigger)
    else {
        let names: Vec<&str> = loaded
            .plan
            .triggers
            .iter()
            .map(|t| t.name.value.as_str())
            .collect();
        eprintln!(
            "rollback probe: {} has no trigger `{}` (it has: {})",
            args.plan.display(),
            args.trigger,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
        return Ok(Exit::BadInput);
    };
    // Each variable as a run takes it: `--var`, else the environment (a checklist step runs
    // this with the plan's variables in it), else the plan's default.
    let given = match super::load::given_with_sources(&args.vars, &[]) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("rollback probe: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let vars: Vec<(String, String)> = loaded
        .plan
        .vars
        .iter()
        .filter_map(|(name, var)| {
            let name = &name.value;
            given
                .get(name)
                .map(|(v, _)| v.to_string())
                .or_else(|| std::env::var(name).ok())
                .or_else(|| var.default.as_ref().map(|d| d.value.clone()))
                .map(|v| (name.clone(), v))
        })
        .collect();
    let spec = match Spec::resolve(trigger).map(|s| s.with_vars(&vars)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback probe: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let workdir = args
        .plan
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let cx = crate::probe::Context {
        workdir,
        mask: crate::plan::vars::secret_mask(&loaded.plan, &vars),
        env: vars,
        ..Default::default()
    };
    let answer = runtime.block_on(crate::probe::sample(&spec.probe, spec.timeout, &cx));
    // A blocking HTTP probe may still wait on a silent server: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    let lane = crate::probe::evaluate::Lane::default();
    let judge = spec.judging().masked_by(&cx.mask);
    let sample = crate::probe::evaluate::judge_blocking(judge, &lane, answer);
    if args.json {
        let mut v = serde_json::to_value(&sample)?;
        v["trigger"] = spec.name.clone().into();
        v["condition"] = spec.condition.text().into();
        println!("{v}");
    } else {
        let value = sample
            .value
            .as_ref()
            .map_or_else(|| "no value".to_string(), |v| v.to_string());
        let verdict = match sample.outcome {
            Outcome::Success => "does not hold: passed".to_string(),
            Outcome::Failure => "holds: failed".to_string(),
            Outcome::Inconclusive => "is inconclusive: a person must judge".to_string(),
            Outcome::Error => format!(
                "cannot be judged: {}",
                sample.message.as_deref().unwrap_or("the probe failed")
            ),
        };
        println!(
            "trigger {}: result = {value}; `{}` {verdict}",
            spec.name,
            spec.condition.text()
        );
    }
    Ok(match sample.outcome {
        Outcome::Success => Exit::Ok,
        _ => Exit::Failed,
    })
}

//! `rollback watch PLAN --headless [--json]`: samples the plan's triggers on their
//! intervals and prints one line per change of a trigger's state. The windows (PURE) say
//! when each sample is due and what it means; this loop only asks the probes and keeps
//! time. The first trigger to fire ends the watch; starting the run from here, and the
//! watch screen, come later.
//!
//! Exit codes: 0 stopped by SIGTERM or Ctrl-C with nothing fired; 1 a trigger fired;
//! 2 bad input (an invalid plan, a plan without triggers, no `--headless`); 4 internal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value as Json, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::WatchArgs;
use crate::exit::Exit;
use crate::monitor::{Sample, Spec, Verdict, Window};
use crate::plan::trigger::TriggerSeverity;

pub fn run(args: &WatchArgs) -> color_eyre::Result<Exit> {
    if !args.headless {
        eprintln!("rollback watch: the watch screen is not there yet: pass --headless");
        return Ok(Exit::BadInput);
    }
    let loaded = match super::run::load_for_run(&args.plan) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    if loaded.plan.triggers.is_empty() {
        eprintln!(
            "rollback watch: {} has no triggers to watch (see `rollback triggers`)",
            args.plan.display()
        );
        return Ok(Exit::BadInput);
    }
    let specs = match loaded
        .plan
        .triggers
        .iter()
        .map(Spec::resolve)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback watch: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let workdir = args
        .plan
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    // Probes run on blocking threads, and glibc gives each thread its own malloc arena:
    // two arenas hold a watch's small allocations at a fraction of the memory.
    // SAFETY: called before any thread is started; mallopt only sets an allocator limit.
    #[cfg(target_env = "gnu")]
    unsafe {
        nix::libc::mallopt(nix::libc::M_ARENA_MAX, 2);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let exit = runtime.block_on(watch(specs, workdir, args.json));
    // An HTTP probe's blocking thread may still wait on a silent server: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    exit
}

async fn watch(specs: Vec<Spec>, workdir: PathBuf, json: bool) -> color_eyre::Result<Exit> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let start = Instant::now();
    let mut windows: Vec<Window> = specs
        .iter()
        .map(|s| Window::new(s.limits, Duration::ZERO))
        .collect();
    let mut busy = vec![false; specs.len()];
    let receivers = std::sync::Arc::new(
        crate::probe::Receivers::start(crate::probe::receiver_ports(
            specs.iter().map(|s| &s.probe),
        ))
        .await,
    );
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Result<Json, String>)>();
    let mut probes = tokio::task::JoinSet::new();
    if !json {
        eprintln!(
            "watching {} trigger{} (Ctrl-C or SIGTERM to stop)",
            specs.len(),
            if specs.len() == 1 { "" } else { "s" }
        );
    }
    let exit = loop {
        let next = windows
            .iter()
            .enumerate()
            .filter(|(i, _)| !busy[*i])
            .filter_map(|(i, w)| w.next_due().map(|due| (due, i)))
            .min();
        tokio::select! {
            _ = tokio::time::sleep_until(start + next.map_or(Duration::ZERO, |n| n.0)), if next.is_some() => {
                let i = next.map_or(0, |n| n.1);
                busy[i] = true;
                let (probe, timeout, dir, tx) = (specs[i].probe.clone(), specs[i].timeout, workdir.clone(), tx.clone());
                let receivers = receivers.clone();
                probes.spawn(async move {
                    let answer = crate::probe::sample(&probe, timeout, &dir, &receivers).await;
                    let _ = tx.send((i, answer));
                });
            }
            Some((i, answer)) = rx.recv() => {
                busy[i] = false;
                let sample = specs[i].judge(start.elapsed(), answer);
                if let Some(verdict) = windows[i].record(sample.clone()) {
                    println!("{}", line(&specs[i], &verdict, &sample, json));
                    if matches!(verdict, Verdict::Fired { .. }) {
                        break Exit::Failed;
                    }
                }
            }
            _ = term.recv() => break Exit::Ok,
            _ = int.recv() => break Exit::Ok,
        }
    };
    // Probes still running are dropped, which kills their process groups.
    probes.shutdown().await;
    if exit == Exit::Ok {
        if json {
            println!("{}", json!({"time": now(), "watch": "stopped"}));
        } else {
            println!("{} watch stopped", now());
        }
    }
    Ok(exit)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a fired trigger would do under the severity policy.
fn would(severity: TriggerSeverity) -> &'static str {
    match severity {
        TriggerSeverity::Critical => "the rollback would start now",
        TriggerSeverity::High => "the rollback would start after its cancel window",
        TriggerSeverity::Medium => "the operator would be asked whether to roll back",
    }
}

/// One line for a change of state, as text or JSON.
pub fn line(spec: &Spec, verdict: &Verdict, sample: &Sample, json: bool) -> String {
    let fired = matches!(verdict, Verdict::Fired { .. });
    if json {
        let mut doc = json!({
            "time": now(),
            "trigger": spec.name,
            "verdict": verdict,
            "severity": spec.severity.name(),
            "sample": sample,
        });
        if fired {
            doc["explain"] = json!(spec.explain);
            doc["would"] = json!(would(spec.severity));
        }
        return doc.to_string();
    }
    let value = sample
        .value
        .as_ref()
        .map(|v| format!(" (last value {v})"))
        .unwrap_or_default();
    let state = match verdict {
        Verdict::Failing { failures, count } => format!("failing {failures} of {count}"),
        Verdict::Blind { errors } => format!(
            "BLIND after {errors} probe errors in a row: {}",
            sample.message.as_deref().unwrap_or("")
        ),
        Verdict::Ask => "INCONCLUSIVE: a person must judge".into(),
        Verdict::Fired { .. } => format!(
            "FIRED ({}): {}; {} (starting it from watch comes later)",
            spec.severity.name(),
            spec.explain,
            would(spec.severity)
        ),
        other => other.name().to_string(),
    };
    format!("{} {}: {state}{value}", now(), spec.name)
}

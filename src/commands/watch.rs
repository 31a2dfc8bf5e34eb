//! `rollback watch PLAN [--headless [--json]]`: samples the plan's triggers on their
//! intervals; the severity policy decides what a fired trigger does, and when it starts the
//! rollback the watch goes on into the run of the same plan, in the same process. The
//! loop is `watch_run`; its faces are `watch_lines` (headless) and `tui::watch`.
//!
//! Exit codes: 0 stopped by SIGTERM or Ctrl-C with nothing started; once a run started,
//! the run's code (0 completed, 1 failed or stopped on a question, 3 aborted); 2 bad input
//! (an invalid plan, a plan without triggers, a missing variable); 4 internal.

use std::time::Duration;

use serde_json::json;

use super::args::WatchArgs;
use crate::exit::Exit;
use crate::monitor::{Sample, Spec, Verdict};
use crate::plan::trigger::TriggerSeverity;

pub fn run(args: &WatchArgs) -> color_eyre::Result<Exit> {
    if args.validate {
        return super::validate_windows::watch(args);
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
    let prepared = match super::watch_start::prepare(args, loaded) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rollback watch: {}", crate::text::inline(&e));
            return Ok(Exit::BadInput);
        }
    };
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
    let exit = if args.headless {
        runtime.block_on(super::watch_lines::watch(prepared))
    } else {
        crate::tui::watch::run(&runtime, prepared)
    };
    // An HTTP probe's blocking thread may still wait on a silent server: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    exit
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a fired trigger does under the severity policy.
fn policy(severity: TriggerSeverity) -> &'static str {
    match severity {
        TriggerSeverity::Critical => "the rollback starts now",
        TriggerSeverity::High => "the rollback starts when its cancel window ends",
        TriggerSeverity::Medium => "an operator decides whether to roll back",
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
            doc["policy"] = json!(policy(spec.severity));
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
            "FIRED ({}): {}; {}",
            spec.severity.name(),
            spec.explain,
            policy(spec.severity)
        ),
        other => other.name().to_string(),
    };
    format!("{} {}: {state}{value}", now(), spec.name)
}
